//! Building [`Deps`] from the environment, once per cold start: one [`Config`] (table,
//! endpoints, Secrets Manager or the four `PAYKASSMA_*` variables, gateway hosts and timeout,
//! and the behaviour settings), then the secrets, the gateway client and the DynamoDB store.
//! Every problem is a startup error naming the variable; secret values never appear in it.

use paykassma::client::{Client, ClientConfig};
use paykassma::credentials::SecretsError;

use crate::Deps;
use crate::config::{Config, ConfigError};

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("gateway secrets: {0}")]
    Secrets(#[from] SecretsError),
    #[error("gateway client: {0}")]
    Client(String),
}

impl Deps {
    /// Everything from the environment (see [`Config`] for the variables).
    pub async fn from_env() -> Result<Self, BootstrapError> {
        Self::from_config(&Config::from_env()?).await
    }

    /// Everything from an explicit configuration.
    pub async fn from_config(config: &Config) -> Result<Self, BootstrapError> {
        let provider = config.secrets_provider().await?;
        let secrets = provider.gateway_secrets().await?;
        let mut client = ClientConfig::new(
            config.api_base.clone(),
            config.plugin_base.clone(),
            secrets.pluginapi_secret.clone(),
            secrets.withdrawal_private_key.clone(),
        );
        client.timeout = config.gateway_timeout;
        let gateway = Client::new(client).map_err(|e| BootstrapError::Client(e.to_string()))?;
        let builder = Deps::builder(gateway, secrets.postback_keys())
            .previous_postback_keys(secrets.previous_postback_keys.clone())
            .secrets_provider(provider);
        let store = std::sync::Arc::new(config.dynamo_store(builder.clock_handle()).await);
        Ok(builder
            .store(store)
            .settings(config.settings.clone())
            .build())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned()).unwrap()
    }

    #[tokio::test]
    async fn deps_carry_the_configured_secrets_and_hosts_without_printing_them() {
        let c = config(&[
            ("TABLE_NAME", "payments-test"),
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:9"),
            ("PAYKASSMA_SECRET", "plug-secret-1"),
            ("PAYKASSMA_WITHDRAWAL_PRIVATE_KEY", "w-key-2"),
            ("PAYKASSMA_POSTBACK_ACCESS_KEY", "acc-3"),
            ("PAYKASSMA_POSTBACK_PRIVATE_KEY", "priv-4"),
            ("PAYKASSMA_API_BASE", "https://api.example.test"),
            ("PAYKASSMA_PLUGIN_BASE", "https://plugin.example.test"),
        ]);
        let deps = Deps::from_config(&c).await.unwrap();
        assert_eq!(deps.postback_keys.access_key.expose(), "acc-3");
        assert_eq!(deps.postback_keys.private_key.expose(), "priv-4");
        assert_eq!(deps.gateway.config().secret.expose(), "plug-secret-1");
        assert_eq!(
            deps.gateway.config().api_base.as_str(),
            "https://api.example.test/"
        );
        let shown = format!("{deps:?}");
        for secret in ["plug-secret-1", "w-key-2", "acc-3", "priv-4"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn missing_variables_are_named() {
        let err = Config::from_lookup(|_| None).unwrap_err();
        assert!(BootstrapError::from(err).to_string().contains("TABLE_NAME"));
    }
}
