//! Building [`Deps`] from the environment, once per cold start: the infrastructure and secrets
//! through [`payments::config::Config`] (table, endpoints, Secrets Manager or the four
//! `PAYKASSMA_*` variables, gateway hosts and timeout), the behaviour through
//! [`Settings::from_env`]. Every problem is a startup error naming the variable; secret values
//! never appear in it.

use std::sync::Arc;

use paykassma::client::{Client, ClientConfig};
use payments::config::{Config, ConfigError};
use payments::secrets::SecretsError;

use crate::Deps;
use crate::clock::SystemClock;
use crate::settings::{Settings, SettingsError};

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("gateway secrets: {0}")]
    Secrets(#[from] SecretsError),
    #[error("gateway client: {0}")]
    Client(String),
}

impl Deps {
    /// Everything from the environment (see [`Config`] and [`Settings`] for the variables).
    pub async fn from_env() -> Result<Self, BootstrapError> {
        let config = Config::from_env()?;
        let settings = Settings::from_env()?;
        Self::from_config(&config, settings).await
    }

    /// Everything from an explicit configuration.
    pub async fn from_config(config: &Config, settings: Settings) -> Result<Self, BootstrapError> {
        let secrets = config.secrets_provider().await?.gateway_secrets().await?;
        let mut client = ClientConfig::new(
            config.api_base.clone(),
            config.plugin_base.clone(),
            secrets.pluginapi_secret.clone(),
            secrets.withdrawal_private_key.clone(),
        );
        client.timeout = config.gateway_timeout;
        let gateway = Client::new(client).map_err(|e| BootstrapError::Client(e.to_string()))?;
        Ok(Deps {
            store: Arc::new(config.dynamo_store().await),
            gateway,
            postback_keys: secrets.postback_keys(),
            clock: Arc::new(SystemClock),
            settings,
        })
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
        let settings = Settings::from_lookup(|_| None).unwrap();
        let deps = Deps::from_config(&c, settings).await.unwrap();
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
