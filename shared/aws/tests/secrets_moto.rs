//! The Secrets Manager provider against moto's Secrets Manager: parsing, the TTL cache (a
//! changed value is not seen until the TTL passes) and a missing secret.

use std::time::Duration;

use aws_adapters::secrets::SecretsManagerProvider;
use paykassma::credentials::{SecretsError, SecretsProvider};

fn builder() -> aws_sdk_secretsmanager::config::Builder {
    aws_sdk_secretsmanager::config::Builder::new()
        .behavior_version_latest()
        .endpoint_url(testkit::services::secrets_manager_endpoint())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
}

fn json(api: &str) -> String {
    format!(
        r#"{{"pluginapi_secret":"{api}","withdrawal_private_key":"wd","postback_access_key":"pa","postback_private_key":"pp"}}"#
    )
}

async fn create(client: &aws_sdk_secretsmanager::Client, value: &str) -> String {
    let name = format!("paykassma/test-{}", uuid::Uuid::new_v4().simple());
    client
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    name
}

#[tokio::test]
async fn values_are_cached_until_the_ttl_passes() {
    let client = aws_sdk_secretsmanager::Client::from_conf(builder().build());
    let id = create(&client, &json("api-v1")).await;
    let provider = SecretsManagerProvider::from_builder(builder(), &id, Duration::from_secs(2));
    let first = provider.gateway_secrets().await.unwrap();
    assert_eq!(first.pluginapi_secret.expose(), "api-v1");
    assert_eq!(first.postback_keys().access_key.expose(), "pa");

    client
        .put_secret_value()
        .secret_id(&id)
        .secret_string(json("api-v2"))
        .send()
        .await
        .unwrap();
    let cached = provider.gateway_secrets().await.unwrap();
    assert_eq!(
        cached.pluginapi_secret.expose(),
        "api-v1",
        "served from the cache within the TTL"
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let fresh = provider.gateway_secrets().await.unwrap();
    assert_eq!(
        fresh.pluginapi_secret.expose(),
        "api-v2",
        "refreshed after the TTL"
    );
}

#[tokio::test]
async fn a_missing_secret_is_named() {
    let provider = SecretsManagerProvider::from_builder(
        builder(),
        "paykassma/does-not-exist",
        Duration::from_secs(60),
    );
    match provider.gateway_secrets().await {
        Err(SecretsError::NotFound { secret_id }) => {
            assert_eq!(secret_id, "paykassma/does-not-exist")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_secret_names_the_field_without_its_value() {
    let client = aws_sdk_secretsmanager::Client::from_conf(builder().build());
    let id = create(&client, r#"{"pluginapi_secret":"top-secret-value"}"#).await;
    let provider = SecretsManagerProvider::from_builder(builder(), &id, Duration::from_secs(60));
    let err = provider.gateway_secrets().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SecretsError::Malformed { .. }), "{text}");
    assert!(text.contains("withdrawal_private_key is missing"), "{text}");
    assert!(!text.contains("top-secret-value"), "{text}");
}
