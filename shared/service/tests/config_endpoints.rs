//! The one configuration builds its adapters on the endpoints it names: the DynamoDB store on
//! DynamoDB Local, the secrets provider on moto's Secrets Manager.

use aws_adapters::dynamo::table;
use testkit::services::{dynamodb_endpoint, secrets_manager_endpoint};

#[tokio::test]
async fn config_builds_a_store_on_the_configured_endpoint() {
    use payments::store::prelude::*;
    let table_name = format!("payments-cfg-{}", uuid::Uuid::new_v4().simple());
    let env = std::collections::HashMap::from([
        ("TABLE_NAME", table_name.clone()),
        ("DYNAMODB_ENDPOINT", dynamodb_endpoint()),
        ("SECRET_ID", "unused".to_string()),
        ("PAYKASSMA_API_BASE", "https://api.example.test".to_string()),
        (
            "PAYKASSMA_PLUGIN_BASE",
            "https://plugin.example.test".to_string(),
        ),
    ]);
    let config = service::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let store = config
        .dynamo_store(std::sync::Arc::new(payments::clock::SystemClock))
        .await;
    assert_eq!(store.table_name(), table_name);
    assert!(
        table::create_table_if_missing(store.sdk_client(), store.table_name())
            .await
            .unwrap()
    );
    store.set_method_enabled("upi_s", true).await.unwrap();
    assert_eq!(store.get_method_enabled("upi_s").await.unwrap(), Some(true));
}

#[tokio::test]
async fn config_builds_a_provider_that_reaches_the_configured_endpoint() {
    let conf = aws_sdk_secretsmanager::config::Builder::new()
        .behavior_version_latest()
        .endpoint_url(secrets_manager_endpoint())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(conf);
    let id = format!("paykassma/test-{}", uuid::Uuid::new_v4().simple());
    client
        .create_secret()
        .name(&id)
        .secret_string(
            r#"{"pluginapi_secret":"api-from-config","withdrawal_private_key":"wd","postback_access_key":"pa","postback_private_key":"pp"}"#,
        )
        .send()
        .await
        .unwrap();
    let env = std::collections::HashMap::from([
        ("TABLE_NAME", "payments".to_string()),
        ("SECRET_ID", id.clone()),
        ("SECRETS_MANAGER_ENDPOINT", secrets_manager_endpoint()),
        ("SECRETS_TTL_SECONDS", "60".to_string()),
        ("PAYKASSMA_API_BASE", "https://api.example.test".to_string()),
        (
            "PAYKASSMA_PLUGIN_BASE",
            "https://plugin.example.test".to_string(),
        ),
    ]);
    let config = service::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let provider = config.secrets_provider().await.unwrap();
    let secrets = provider.gateway_secrets().await.unwrap();
    assert_eq!(secrets.pluginapi_secret.expose(), "api-from-config");
}
