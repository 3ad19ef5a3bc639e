//! The merchant's four gateway credentials ([`GatewaySecrets`]), read from one JSON document
//! (the Secrets Manager secret) or from four environment variables (local runs), and the
//! [`SecretsProvider`] port the functions ask per request. Values live in [`Secret`], whose
//! Debug/Display redact, and no error here ever carries a secret's text. The Secrets Manager
//! adapter lives in the `aws-adapters` crate.

use async_trait::async_trait;

use crate::Secret;
use crate::signature::PostbackKeys;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("secret {secret_id} not found")]
    NotFound { secret_id: String },
    /// Names the problem and the field, never the value.
    #[error("secret {secret_id} is malformed: {problem}")]
    Malformed { secret_id: String, problem: String },
    #[error("environment variable {0} is not set")]
    MissingEnv(&'static str),
    #[error("Secrets Manager: {0}")]
    Backend(String),
}

/// The four credentials of the merchant's Paykassma account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewaySecrets {
    /// `?secret=` on every API call.
    pub pluginapi_secret: Secret,
    /// Signs withdrawal requests (W).
    pub withdrawal_private_key: Secret,
    /// Expected in a postback's `access_key`; part of the (P) signature.
    pub postback_access_key: Secret,
    /// The (P) signature's private part.
    pub postback_private_key: Secret,
    /// During a key rotation: the postback keys being replaced, accepted until `valid_until`.
    pub previous_postback_keys: Option<PreviousKeys>,
}

/// Postback keys still accepted for a while after a rotation, so postbacks signed with the
/// old keys (in flight, or sent before the gateway switched) are not refused. Set in the
/// secret as `previous_postback_access_key`, `previous_postback_private_key` and
/// `previous_keys_valid_until` (RFC 3339), all three or none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousKeys {
    pub keys: PostbackKeys,
    pub valid_until: time::OffsetDateTime,
}

impl PreviousKeys {
    /// The keys, while they are still accepted at `now`.
    pub fn valid_at(&self, now: time::OffsetDateTime) -> Option<&PostbackKeys> {
        (now < self.valid_until).then_some(&self.keys)
    }
}

impl GatewaySecrets {
    pub const FIELDS: [&'static str; 4] = [
        "pluginapi_secret",
        "withdrawal_private_key",
        "postback_access_key",
        "postback_private_key",
    ];

    /// Reads the secret's JSON: `{"pluginapi_secret":"..","withdrawal_private_key":"..",
    /// "postback_access_key":"..","postback_private_key":".."}`, every value a non-empty string
    /// (extra keys ignored). Errors name the field only.
    pub fn from_json(secret_id: &str, text: &str) -> Result<Self, SecretsError> {
        let malformed = |problem: String| SecretsError::Malformed {
            secret_id: secret_id.to_string(),
            problem,
        };
        // serde_json's messages can quote input: keep only its position.
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            malformed(format!(
                "not JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let obj = v
            .as_object()
            .ok_or_else(|| malformed("not a JSON object".into()))?;
        let field = |name: &str| -> Result<Secret, SecretsError> {
            match obj.get(name) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                    Ok(Secret::new(s.clone()))
                }
                Some(serde_json::Value::String(_)) => Err(malformed(format!("{name} is empty"))),
                Some(_) => Err(malformed(format!("{name} is not a string"))),
                None => Err(malformed(format!("{name} is missing"))),
            }
        };
        const PREVIOUS: [&str; 3] = [
            "previous_postback_access_key",
            "previous_postback_private_key",
            "previous_keys_valid_until",
        ];
        let previous_postback_keys = if PREVIOUS.iter().any(|k| obj.contains_key(*k)) {
            let until = field(PREVIOUS[2])?;
            let valid_until = time::OffsetDateTime::parse(
                until.expose(),
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|_| malformed(format!("{} is not an RFC 3339 time", PREVIOUS[2])))?;
            Some(PreviousKeys {
                keys: PostbackKeys {
                    access_key: field(PREVIOUS[0])?,
                    private_key: field(PREVIOUS[1])?,
                },
                valid_until,
            })
        } else {
            None
        };
        Ok(Self {
            pluginapi_secret: field("pluginapi_secret")?,
            withdrawal_private_key: field("withdrawal_private_key")?,
            postback_access_key: field("postback_access_key")?,
            postback_private_key: field("postback_private_key")?,
            previous_postback_keys,
        })
    }

    pub fn postback_keys(&self) -> PostbackKeys {
        PostbackKeys {
            access_key: self.postback_access_key.clone(),
            private_key: self.postback_private_key.clone(),
        }
    }
}

/// Where the functions get the gateway secrets. Called per request: implementations cache.
#[async_trait]
pub trait SecretsProvider: Send + Sync {
    async fn gateway_secrets(&self) -> Result<GatewaySecrets, SecretsError>;
}

/// Local runs: the secrets from four environment variables, read once at startup.
#[derive(Clone, Debug)]
pub struct EnvProvider {
    secrets: GatewaySecrets,
}

impl EnvProvider {
    pub const VARS: [&'static str; 4] = [
        "PAYKASSMA_SECRET",
        "PAYKASSMA_WITHDRAWAL_PRIVATE_KEY",
        "PAYKASSMA_POSTBACK_ACCESS_KEY",
        "PAYKASSMA_POSTBACK_PRIVATE_KEY",
    ];

    /// Reads the variables through `lookup` (tests pass a map; `from_env` the process env).
    /// The first missing or empty one is named in the error.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SecretsError> {
        let get = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .map(Secret::new)
                .ok_or(SecretsError::MissingEnv(name))
        };
        Ok(Self {
            secrets: GatewaySecrets {
                pluginapi_secret: get(Self::VARS[0])?,
                withdrawal_private_key: get(Self::VARS[1])?,
                postback_access_key: get(Self::VARS[2])?,
                postback_private_key: get(Self::VARS[3])?,
                previous_postback_keys: None,
            },
        })
    }

    pub fn from_env() -> Result<Self, SecretsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn secrets(&self) -> &GatewaySecrets {
        &self.secrets
    }

    /// Fixed secrets (tests, the local sandbox).
    pub fn fixed(secrets: GatewaySecrets) -> Self {
        Self { secrets }
    }
}

#[async_trait]
impl SecretsProvider for EnvProvider {
    async fn gateway_secrets(&self) -> Result<GatewaySecrets, SecretsError> {
        Ok(self.secrets.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn previous_keys_come_all_three_or_not_at_all() {
        let base = r#""pluginapi_secret":"a","withdrawal_private_key":"b","postback_access_key":"c","postback_private_key":"d""#;
        let s = GatewaySecrets::from_json("id", &format!("{{{base}}}")).unwrap();
        assert_eq!(s.previous_postback_keys, None);
        let s = GatewaySecrets::from_json(
            "id",
            &format!(r#"{{{base},"previous_postback_access_key":"old-a","previous_postback_private_key":"old-p","previous_keys_valid_until":"2026-12-03T10:00:00Z"}}"#),
        )
        .unwrap();
        let p = s.previous_postback_keys.unwrap();
        assert_eq!(p.keys.access_key.expose(), "old-a");
        let until = time::macros::datetime!(2026-12-03 10:00 UTC);
        assert!(p.valid_at(until - time::Duration::seconds(1)).is_some());
        assert!(p.valid_at(until).is_none());
        for broken in [
            r#","previous_postback_access_key":"old-a""#,
            r#","previous_postback_access_key":"old-a","previous_postback_private_key":"old-p","previous_keys_valid_until":"tomorrow""#,
        ] {
            let err = GatewaySecrets::from_json("id", &format!("{{{base}{broken}}}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("previous_"), "{err}");
            assert!(!err.contains("old-a"), "no secret in errors: {err}");
        }
    }

    const JSON: &str = r#"{"pluginapi_secret":"s-api","withdrawal_private_key":"s-wd","postback_access_key":"s-pa","postback_private_key":"s-pp","extra":1}"#;

    #[test]
    fn reads_the_secret_json_and_never_prints_it() {
        let s = GatewaySecrets::from_json("id", JSON).unwrap();
        assert_eq!(s.pluginapi_secret.expose(), "s-api");
        assert_eq!(s.postback_keys().private_key.expose(), "s-pp");
        let dbg = format!("{s:?}");
        for v in ["s-api", "s-wd", "s-pa", "s-pp"] {
            assert!(!dbg.contains(v), "{dbg}");
        }
    }

    #[test]
    fn malformed_secrets_name_the_field_not_the_value() {
        let err = GatewaySecrets::from_json(
            "id",
            r#"{"pluginapi_secret":"s-api","withdrawal_private_key":7}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("withdrawal_private_key is not a string"),
            "{err}"
        );
        let err = GatewaySecrets::from_json(
            "id",
            r#"{"pluginapi_secret":"s-api","withdrawal_private_key":"x"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("postback_access_key is missing"), "{err}");
        let err = GatewaySecrets::from_json("id", "s-api-not-json")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s-api"), "{err}");
        let err = GatewaySecrets::from_json("id", r#"{"pluginapi_secret":" "}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("pluginapi_secret is empty"), "{err}");
    }

    #[tokio::test]
    async fn env_provider_names_the_missing_variable() {
        let mut env: HashMap<&str, &str> =
            EnvProvider::VARS.iter().map(|v| (*v, "value")).collect();
        let p = EnvProvider::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(
            p.gateway_secrets()
                .await
                .unwrap()
                .postback_access_key
                .expose(),
            "value"
        );
        env.insert("PAYKASSMA_POSTBACK_ACCESS_KEY", "  ");
        let err = EnvProvider::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable PAYKASSMA_POSTBACK_ACCESS_KEY is not set"
        );
    }
}
