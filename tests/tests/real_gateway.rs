//! The local stack on a Paykassma server that is not its embedded sandbox (`--gateway`,
//! `--plugin`): no sandbox starts, the client calls the given server with the given keys, and
//! a deposit is credited end to end by that server's postback. A separately started sandbox
//! with keys of its own stands in for the merchant's staging server.

use local::{GatewayChoice, StackConfig, StoreChoice};
use paykassma::Secret;
use paykassma::credentials::GatewaySecrets;
use paykassma::signature::PostbackKeys;
use paykassma_sandbox::Sandbox;
use reqwest::StatusCode;
use testkit::{Harness, json};

#[tokio::test]
async fn a_deposit_is_credited_through_a_server_given_by_url_and_keys() {
    let mut server_config = testkit::sandbox::fast_config();
    server_config.secret = Secret::new("staging-pluginapi-secret");
    server_config.withdrawal_private_key = Secret::new("staging-withdrawal-key");
    server_config.postback_keys = PostbackKeys {
        access_key: Secret::new("staging-access"),
        private_key: Secret::new("staging-private"),
    };
    let server = Sandbox::start(server_config.clone()).await.expect("server");

    let table = testkit::stores::table_name("e2e");
    let mut config = StackConfig::ephemeral(StoreChoice::Dynamo {
        endpoint: testkit::services::dynamodb_endpoint(),
        table: table.clone(),
    });
    config.gateway = GatewayChoice::Remote {
        api_base: url::Url::parse(&server.api_base()).expect("URL"),
        plugin_base: url::Url::parse(&format!("{}/plugin/", server.base_url())).expect("URL"),
        credentials: Box::new(GatewaySecrets {
            pluginapi_secret: server_config.secret.clone(),
            withdrawal_private_key: server_config.withdrawal_private_key.clone(),
            postback_access_key: server_config.postback_keys.access_key.clone(),
            postback_private_key: server_config.postback_keys.private_key.clone(),
            previous_postback_keys: None,
        }),
    };
    let h = Harness::start_with(config, table).await;
    assert!(!h.stack.has_sandbox());
    server.set_postback_url(Some(h.api("/v1/postbacks/paykassma")));

    let alice = h.user("alice");
    let (status, methods) = alice.get("/v1/payment-methods?currency=INR").await;
    assert_eq!(status, StatusCode::OK, "{methods}");
    let created = alice
        .deposit(
            "real-1",
            json!({"wallet_type":"upi_l","amount":"500.00","currency":"INR"}),
        )
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["pay_to"], "upi_l.sandbox@upi");

    let paid = h
        .http
        .post(format!("{}/_sandbox/payments", server.base_url()))
        .json(&json!({"wallet_type":"upi_l","key1":"123456789012","amount":"500.00","currency_code":"INR"}))
        .send()
        .await
        .expect("server reachable");
    assert!(paid.status().is_success());
    let (status, activated) = alice
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"123456789012"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{activated}");
    h.wait_deposit_status("alice", &id, "credited").await;
    assert_eq!(h.balance("alice", "INR").await, "500.00");
}
