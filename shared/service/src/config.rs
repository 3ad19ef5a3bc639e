//! The one configuration of a function, read once at cold start from the environment: the
//! infrastructure (table, endpoints, where the gateway secrets come from, the gateway's hosts
//! and timeout) and the behaviour [`Settings`]. Every error names the variable that is missing
//! or wrong, so a misconfigured function fails fast with a clear log line; secret values never
//! appear in it.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `TABLE_NAME` | the DynamoDB table | required |
//! | `DYNAMODB_ENDPOINT` | DynamoDB Local URL | AWS |
//! | `SECRET_ID` | Secrets Manager secret with the gateway keys | else the four `PAYKASSMA_*` keys |
//! | `SECRETS_TTL_SECONDS` | how long a fetched secret is served from memory | 300 |
//! | `SECRETS_MANAGER_ENDPOINT` | Secrets Manager URL (moto locally) | AWS |
//! | `PAYKASSMA_SECRET`, `PAYKASSMA_WITHDRAWAL_PRIVATE_KEY`, `PAYKASSMA_POSTBACK_ACCESS_KEY`, `PAYKASSMA_POSTBACK_PRIVATE_KEY` | local secrets when `SECRET_ID` is unset | |
//! | `PAYKASSMA_API_BASE` | `https://api.{server}` | required |
//! | `PAYKASSMA_PLUGIN_BASE` | `https://plugin.{server}` | required |
//! | `GATEWAY_TIMEOUT_MS` | timeout of one gateway call | 10000 |
//! | `OPEN_INDEX_SHARDS` | write shards of the open-work index (raise only) | 8 |
//!
//! The behaviour settings (`AUTH_CLAIM`, `POSTBACK_SCHEME`, reconciliation ages...) are in
//! [`Settings`].

use std::sync::Arc;
use std::time::Duration;

use aws_adapters::dynamo::DynamoStore;
use aws_adapters::secrets::SecretsManagerProvider;
use paykassma::credentials::{EnvProvider, GatewaySecrets, SecretsError, SecretsProvider};
use payments::clock::Clock;
use payments::store::keys::OpenShards;
use url::Url;

use crate::settings::Settings;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {var} is invalid: {problem}")]
    Invalid { var: &'static str, problem: String },
    #[error(
        "gateway secrets: set SECRET_ID (Secrets Manager), or for local runs all of PAYKASSMA_SECRET, \
         PAYKASSMA_WITHDRAWAL_PRIVATE_KEY, PAYKASSMA_POSTBACK_ACCESS_KEY, PAYKASSMA_POSTBACK_PRIVATE_KEY \
         ({0} is not set)"
    )]
    NoSecrets(&'static str),
}

impl ConfigError {
    /// The variable this error names, when it names one.
    pub fn var(&self) -> Option<&'static str> {
        match self {
            Self::Missing(v) | Self::NoSecrets(v) | Self::Invalid { var: v, .. } => Some(v),
        }
    }
}

/// Where the gateway secrets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsSource {
    SecretsManager {
        secret_id: String,
        ttl: Duration,
        endpoint: Option<String>,
    },
    /// Read from the environment at startup (values redacted in Debug).
    Env(GatewaySecrets),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub dynamodb_endpoint: Option<String>,
    /// `OPEN_INDEX_SHARDS` (1-64, default 8): the open-work index's write shards. Only ever
    /// raise it on a live table.
    pub open_shards: OpenShards,
    pub secrets: SecretsSource,
    pub api_base: Url,
    pub plugin_base: Url,
    pub gateway_timeout: Duration,
    /// What the application does (read by [`Settings::from_lookup`] from the same lookup).
    pub settings: Settings,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration through `lookup` (tests pass a map; the process env is never
    /// touched here). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));

        let table_name = required("TABLE_NAME")?;
        if !(3..=255).contains(&table_name.len())
            || !table_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            return Err(ConfigError::Invalid {
                var: "TABLE_NAME",
                problem: "3..=255 characters of letters, digits, '_', '-', '.'".into(),
            });
        }
        let dynamodb_endpoint = get("DYNAMODB_ENDPOINT")
            .map(|v| url_var("DYNAMODB_ENDPOINT", &v))
            .transpose()?;

        let open_shards = number("OPEN_INDEX_SHARDS", get("OPEN_INDEX_SHARDS"), 8, 1..=64)
            .and_then(|n| {
                u16::try_from(n)
                    .ok()
                    .and_then(|n| OpenShards::new(n).ok())
                    .ok_or(ConfigError::Invalid {
                        var: "OPEN_INDEX_SHARDS",
                        problem: format!("{n} is not 1-64"),
                    })
            })?;
        let secrets = match get("SECRET_ID") {
            Some(secret_id) => SecretsSource::SecretsManager {
                secret_id,
                ttl: Duration::from_secs(number(
                    "SECRETS_TTL_SECONDS",
                    get("SECRETS_TTL_SECONDS"),
                    300,
                    1..=86_400,
                )?),
                endpoint: get("SECRETS_MANAGER_ENDPOINT")
                    .map(|v| url_var("SECRETS_MANAGER_ENDPOINT", &v))
                    .transpose()?,
            },
            None => match EnvProvider::from_lookup(get) {
                Ok(p) => SecretsSource::Env(p.secrets().clone()),
                Err(SecretsError::MissingEnv(var)) => return Err(ConfigError::NoSecrets(var)),
                Err(e) => {
                    return Err(ConfigError::Invalid {
                        var: "PAYKASSMA_SECRET",
                        problem: e.to_string(),
                    });
                }
            },
        };

        let api_base = Url::parse(&url_var(
            "PAYKASSMA_API_BASE",
            &required("PAYKASSMA_API_BASE")?,
        )?)
        .map_err(|e| ConfigError::Invalid {
            var: "PAYKASSMA_API_BASE",
            problem: e.to_string(),
        })?;
        let plugin_base = Url::parse(&url_var(
            "PAYKASSMA_PLUGIN_BASE",
            &required("PAYKASSMA_PLUGIN_BASE")?,
        )?)
        .map_err(|e| ConfigError::Invalid {
            var: "PAYKASSMA_PLUGIN_BASE",
            problem: e.to_string(),
        })?;
        let gateway_timeout = Duration::from_millis(number(
            "GATEWAY_TIMEOUT_MS",
            get("GATEWAY_TIMEOUT_MS"),
            10_000,
            100..=120_000,
        )?);
        Ok(Self {
            table_name,
            dynamodb_endpoint,
            open_shards,
            secrets,
            api_base,
            plugin_base,
            gateway_timeout,
            settings: Settings::from_lookup(&lookup)?,
        })
    }

    /// The secrets provider this configuration names (build once per process).
    pub async fn secrets_provider(&self) -> Result<Arc<dyn SecretsProvider>, SecretsError> {
        Ok(match &self.secrets {
            SecretsSource::Env(s) => Arc::new(EnvProvider::fixed(s.clone())),
            SecretsSource::SecretsManager {
                secret_id,
                ttl,
                endpoint,
            } => Arc::new(
                SecretsManagerProvider::new(secret_id.clone(), *ttl, endpoint.as_deref()).await?,
            ),
        })
    }

    /// The DynamoDB store this configuration names, stamping with `clock` (build once per
    /// process).
    pub async fn dynamo_store(&self, clock: Arc<dyn Clock>) -> DynamoStore {
        DynamoStore::with_clock(
            DynamoStore::client(self.dynamodb_endpoint.as_deref()).await,
            self.table_name.clone(),
            clock,
        )
        .with_open_shards(self.open_shards)
    }
}

fn url_var(var: &'static str, v: &str) -> Result<String, ConfigError> {
    let u = Url::parse(v).map_err(|e| ConfigError::Invalid {
        var,
        problem: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(ConfigError::Invalid {
            var,
            problem: "must be an http(s) URL with a host".into(),
        });
    }
    Ok(v.trim_end_matches('/').to_string())
}

fn number(
    var: &'static str,
    v: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(v) = v else { return Ok(default) };
    let n: u64 = v.parse().map_err(|_| ConfigError::Invalid {
        var,
        problem: format!("not a whole number: {v:?}"),
    })?;
    if !range.contains(&n) {
        return Err(ConfigError::Invalid {
            var,
            problem: format!("must be in {}..={}", range.start(), range.end()),
        });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paykassma::signature::Scheme;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("TABLE_NAME", "payments"),
            ("SECRET_ID", "paykassma/gateway"),
            ("PAYKASSMA_API_BASE", "https://api.example.test/"),
            ("PAYKASSMA_PLUGIN_BASE", "https://plugin.example.test"),
        ])
    }

    fn load(env: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| env.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn defaults_apply() {
        let c = load(&base()).unwrap();
        assert_eq!(c.table_name, "payments");
        assert_eq!(c.api_base.as_str(), "https://api.example.test/");
        assert_eq!(c.settings.auth_claim, "sub");
        assert_eq!(c.settings.postback_scheme, Scheme::Postback);
        assert_eq!(c.gateway_timeout, Duration::from_secs(10));
        assert_eq!(c.dynamodb_endpoint, None);
        assert_eq!(
            c.secrets,
            SecretsSource::SecretsManager {
                secret_id: "paykassma/gateway".into(),
                ttl: Duration::from_secs(300),
                endpoint: None
            }
        );
    }

    #[test]
    fn each_missing_variable_is_named() {
        for var in ["TABLE_NAME", "PAYKASSMA_API_BASE", "PAYKASSMA_PLUGIN_BASE"] {
            let mut env = base();
            env.remove(var);
            assert_eq!(load(&env).unwrap_err(), ConfigError::Missing(var));
            env.insert(var, "  ");
            assert_eq!(
                load(&env).unwrap_err(),
                ConfigError::Missing(var),
                "blank counts as unset"
            );
        }
    }

    #[test]
    fn invalid_values_are_named() {
        for (var, value) in [
            ("PAYKASSMA_API_BASE", "api.example.test"),
            ("PAYKASSMA_PLUGIN_BASE", "ftp://plugin.example.test"),
            ("POSTBACK_SCHEME", "md5"),
            ("GATEWAY_TIMEOUT_MS", "ten"),
            ("SECRETS_TTL_SECONDS", "0"),
            ("TABLE_NAME", "a b"),
            ("DYNAMODB_ENDPOINT", "localhost:8000"),
        ] {
            let mut env = base();
            env.insert(var, value);
            match load(&env) {
                Err(ConfigError::Invalid { var: v, .. }) => assert_eq!(v, var),
                other => panic!("{var}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn local_secrets_come_from_the_environment_and_stay_redacted() {
        let mut env = base();
        env.remove("SECRET_ID");
        assert_eq!(
            load(&env).unwrap_err(),
            ConfigError::NoSecrets("PAYKASSMA_SECRET")
        );
        env.extend([
            ("PAYKASSMA_SECRET", "s-api"),
            ("PAYKASSMA_WITHDRAWAL_PRIVATE_KEY", "s-wd"),
            ("PAYKASSMA_POSTBACK_ACCESS_KEY", "s-pa"),
        ]);
        let err = load(&env).unwrap_err();
        assert_eq!(
            err,
            ConfigError::NoSecrets("PAYKASSMA_POSTBACK_PRIVATE_KEY")
        );
        assert!(
            err.to_string()
                .contains("PAYKASSMA_POSTBACK_PRIVATE_KEY is not set")
        );
        env.insert("PAYKASSMA_POSTBACK_PRIVATE_KEY", "s-pp");
        env.insert("POSTBACK_SCHEME", "request");
        env.insert("AUTH_CLAIM", "custom:label");
        let c = load(&env).unwrap();
        let SecretsSource::Env(s) = &c.secrets else {
            panic!("expected env secrets")
        };
        assert_eq!(s.postback_private_key.expose(), "s-pp");
        assert_eq!(
            (c.settings.postback_scheme, c.settings.auth_claim.as_str()),
            (Scheme::Request, "custom:label")
        );
        let dbg = format!("{c:?}");
        for v in ["s-api", "s-wd", "s-pa", "s-pp"] {
            assert!(!dbg.contains(v), "{dbg}");
        }
    }
}
