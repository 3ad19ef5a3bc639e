//! Building [`Deps`] from the environment, once per cold start. Every problem is a startup
//! error naming the variable; secret values never appear in it.
//!
//! - Store: `STORE=memory` (tests, demos), else DynamoDB table `TABLE_NAME` (endpoint override
//!   `DYNAMODB_ENDPOINT` for DynamoDB Local).
//! - Secrets: `SECRET_ID` names a Secrets Manager JSON secret with `pluginapi_secret`,
//!   `withdrawal_private_key`, `postback_access_key`, `postback_private_key` (endpoint override
//!   `SECRETS_MANAGER_ENDPOINT`); without it the same four come from `PAYKASSMA_PLUGINAPI_SECRET`,
//!   `PAYKASSMA_WITHDRAWAL_PRIVATE_KEY`, `PAYKASSMA_POSTBACK_ACCESS_KEY`,
//!   `PAYKASSMA_POSTBACK_PRIVATE_KEY`.
//! - Gateway: `PAYKASSMA_API_BASE`, `PAYKASSMA_PLUGIN_BASE`, `PAYKASSMA_TIMEOUT_SECONDS`
//!   (30), `PAYKASSMA_CONNECT_TIMEOUT_SECONDS` (5).
//! - Behaviour: [`Settings::from_env`].

use std::sync::Arc;
use std::time::Duration;

use paykassma::Secret;
use paykassma::client::{Client, ClientConfig};
use paykassma::signature::PostbackKeys;
use payments::Store;
use payments::store::dynamo::DynamoStore;
use payments::store::memory::MemoryStore;
use url::Url;

use crate::Deps;
use crate::clock::SystemClock;
use crate::settings::{Settings, SettingsError};

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name}: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("secret {secret_id}: {problem}")]
    Secret { secret_id: String, problem: String },
    #[error("gateway client: {0}")]
    Client(String),
}

/// The four gateway secrets.
pub struct GatewaySecrets {
    pub pluginapi_secret: Secret,
    pub withdrawal_private_key: Secret,
    pub postback_keys: PostbackKeys,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn required(name: &'static str) -> Result<String, BootstrapError> {
    env(name).ok_or(BootstrapError::Missing(name))
}

fn url(name: &'static str) -> Result<Url, BootstrapError> {
    let v = required(name)?;
    Url::parse(&v).map_err(|e| BootstrapError::Invalid {
        name,
        problem: format!("{v:?}: {e}"),
    })
}

fn seconds(name: &'static str, default: u64) -> Result<Duration, BootstrapError> {
    match env(name) {
        None => Ok(Duration::from_secs(default)),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .ok_or(BootstrapError::Invalid {
                name,
                problem: format!("{v:?} is not a positive number of seconds"),
            }),
    }
}

/// The store the environment names.
pub async fn store_from_env() -> Result<Arc<dyn Store>, BootstrapError> {
    if env("STORE").as_deref() == Some("memory") {
        return Ok(Arc::new(MemoryStore::new()));
    }
    let table = required("TABLE_NAME")?;
    let endpoint = env("DYNAMODB_ENDPOINT");
    let client = DynamoStore::client(endpoint.as_deref()).await;
    Ok(Arc::new(DynamoStore::new(client, table)))
}

/// Reads the four secrets from a JSON object.
pub fn secrets_from_json(secret_id: &str, text: &str) -> Result<GatewaySecrets, BootstrapError> {
    let bad = |problem: String| BootstrapError::Secret {
        secret_id: secret_id.to_string(),
        problem,
    };
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|_| bad("is not a JSON object".into()))?;
    let field = |name: &str| -> Result<Secret, BootstrapError> {
        v.get(name)
            .and_then(|s| s.as_str())
            .filter(|s| !s.trim().is_empty())
            .map(Secret::new)
            .ok_or_else(|| bad(format!("field {name} is missing or empty")))
    };
    Ok(GatewaySecrets {
        pluginapi_secret: field("pluginapi_secret")?,
        withdrawal_private_key: field("withdrawal_private_key")?,
        postback_keys: PostbackKeys {
            access_key: field("postback_access_key")?,
            private_key: field("postback_private_key")?,
        },
    })
}

/// The secrets from Secrets Manager (`SECRET_ID`) or the environment.
pub async fn secrets_from_env() -> Result<GatewaySecrets, BootstrapError> {
    if let Some(secret_id) = env("SECRET_ID") {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(endpoint) = env("SECRETS_MANAGER_ENDPOINT") {
            loader = loader.endpoint_url(endpoint);
        }
        let client = aws_sdk_secretsmanager::Client::new(&loader.load().await);
        let out = client
            .get_secret_value()
            .secret_id(&secret_id)
            .send()
            .await
            .map_err(|e| BootstrapError::Secret {
                secret_id: secret_id.clone(),
                problem: format!(
                    "cannot read it: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                ),
            })?;
        let text = out.secret_string().ok_or_else(|| BootstrapError::Secret {
            secret_id: secret_id.clone(),
            problem: "has no string value".into(),
        })?;
        return secrets_from_json(&secret_id, text);
    }
    let secret = |name: &'static str| required(name).map(Secret::new);
    Ok(GatewaySecrets {
        pluginapi_secret: secret("PAYKASSMA_PLUGINAPI_SECRET")?,
        withdrawal_private_key: secret("PAYKASSMA_WITHDRAWAL_PRIVATE_KEY")?,
        postback_keys: PostbackKeys {
            access_key: secret("PAYKASSMA_POSTBACK_ACCESS_KEY")?,
            private_key: secret("PAYKASSMA_POSTBACK_PRIVATE_KEY")?,
        },
    })
}

impl Deps {
    /// Everything from the environment (see the module documentation).
    pub async fn from_env() -> Result<Self, BootstrapError> {
        let settings = Settings::from_env()?;
        let secrets = secrets_from_env().await?;
        let mut config = ClientConfig::new(
            url("PAYKASSMA_API_BASE")?,
            url("PAYKASSMA_PLUGIN_BASE")?,
            secrets.pluginapi_secret,
            secrets.withdrawal_private_key,
        );
        config.timeout = seconds("PAYKASSMA_TIMEOUT_SECONDS", 30)?;
        config.connect_timeout = seconds("PAYKASSMA_CONNECT_TIMEOUT_SECONDS", 5)?;
        let gateway = Client::new(config).map_err(|e| BootstrapError::Client(e.to_string()))?;
        Ok(Deps {
            store: store_from_env().await?,
            gateway,
            postback_keys: secrets.postback_keys,
            clock: Arc::new(SystemClock),
            settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_json_errors_name_the_field_not_the_value() {
        let ok = secrets_from_json(
            "s",
            r#"{"pluginapi_secret":"a1","withdrawal_private_key":"b2","postback_access_key":"c3","postback_private_key":"d4"}"#,
        )
        .unwrap();
        assert_eq!(ok.postback_keys.private_key.expose(), "d4");
        let err = secrets_from_json(
            "s",
            r#"{"pluginapi_secret":"topsecret","withdrawal_private_key":"","postback_access_key":"c","postback_private_key":"d"}"#,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("withdrawal_private_key") && !err.contains("topsecret"),
            "{err}"
        );
        assert!(secrets_from_json("s", "nope").is_err());
    }
}
