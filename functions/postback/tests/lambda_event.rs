//! The webhook behind API Gateway: the source-IP allowlist reads `requestContext.http.sourceIp`
//! of the real event shape, and a signed postback from an allowed address is applied once.

use std::sync::Arc;

use axum::body::Body;
use paykassma::Secret;
use paykassma::php::PhpValue;
use paykassma::signature::{PostbackKeys, Scheme, sign_postback_body};
use payments::Label;
use service::Deps;
use testkit::gateway::{keys, offline_deps, unreachable_gateway};
use tower::ServiceExt;

fn deps(allowed: &str) -> Arc<Deps> {
    let settings =
        service::Settings::from_lookup(|k| (k == "POSTBACK_ALLOWED_IPS").then(|| allowed.into()))
            .unwrap();
    Arc::new(offline_deps().settings(settings).build())
}

/// A deposit postback of 250 INR for `bob`'s deposit `dep-bob-1`, signed (P).
fn signed_postback() -> String {
    signed_postback_for_order("dep-bob-1")
}

async fn bob_deposit(d: &Deps) {
    use payments::store::NewDeposit;
    use payments::{Currency, DepositId, Money};
    d.store
        .create_deposit(NewDeposit {
            id: DepositId::parse("dep-bob-1").unwrap(),
            label: Label::parse("bob").unwrap(),
            currency: Currency::parse("INR").unwrap(),
            amount: Some(Money::parse("250.00", "INR").unwrap()),
            wallet_type: "upi_l".into(),
            details: Default::default(),
            created_at: time::OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
}

/// The same, naming our deposit `order` (signed: it is inside `additional_data`).
fn signed_postback_for_order(order: &str) -> String {
    signed_with(&keys(), order, "777788889999")
}

/// 250 INR for `order`, transaction `tx`, signed (P) with `keys`.
fn signed_with(keys: &PostbackKeys, order: &str, tx: &str) -> String {
    let entry = PhpValue::Map(vec![
        ("amount".into(), PhpValue::string("250.00")),
        ("currency_code".into(), PhpValue::string("INR")),
        ("wallet_type".into(), PhpValue::string("upi_l")),
        ("transaction_id".into(), PhpValue::string(tx)),
        ("plugin_custom_order_id".into(), PhpValue::string(order)),
    ]);
    let body = vec![
        ("wallet_type".into(), PhpValue::string("upi_l")),
        ("amount".into(), PhpValue::int(250)),
        ("currency_code".into(), PhpValue::string("INR")),
        ("label".into(), PhpValue::string("bob")),
        ("direction".into(), PhpValue::string("ingoing")),
        (
            "created_datetime".into(),
            PhpValue::string("2026-11-23 20:00:00"),
        ),
        (
            "access_key".into(),
            PhpValue::string(keys.access_key.expose()),
        ),
        ("additional_data".into(), PhpValue::List(vec![entry])),
    ];
    sign_postback_body(keys, Scheme::Postback, &PhpValue::Map(body)).unwrap()
}

fn event(source_ip: &str, body: &str) -> lambda_http::Request {
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "POST /v1/postbacks/paykassma",
        "rawPath": "/v1/postbacks/paykassma",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.test",
            "domainPrefix": "api", "requestId": "r1", "routeKey": "POST /v1/postbacks/paykassma",
            "stage": "$default", "time": "23/Nov/2026:10:00:00 +0000", "timeEpoch": 1795442400000i64,
            "http": {"method": "POST", "path": "/v1/postbacks/paykassma", "protocol": "HTTP/1.1",
                     "sourceIp": source_ip, "userAgent": "gateway"}
        },
        "body": body,
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
}

async fn call(deps: Arc<Deps>, req: lambda_http::Request) -> (u16, String) {
    let (parts, body) = req.into_parts();
    let req = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let resp = postback::router(deps).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn available(deps: &Deps, label: &str) -> Option<String> {
    deps.store
        .get_balances(&Label::parse(label).unwrap())
        .await
        .unwrap()
        .first()
        .map(|b| b.available.normalize().to_string())
}

#[tokio::test]
async fn allowed_source_is_applied_once_and_others_are_refused() {
    let d = deps("203.0.113.9");
    bob_deposit(&d).await;
    let text = signed_postback();

    let (status, body) = call(d.clone(), event("198.51.100.1", &text)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(available(&d, "bob").await, None);

    for _ in 0..2 {
        let (status, body) = call(d.clone(), event("203.0.113.9", &text)).await;
        assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    }
    assert_eq!(available(&d, "bob").await.as_deref(), Some("250"));

    let forged = text.replace("\"label\":\"bob\"", "\"label\":\"eve\"");
    assert_ne!(forged, text);
    // The (P) signature covers additional_data only, so a relabelled copy still verifies
    // (which is why the source allowlist matters); its dedupe key is the transaction id, so it
    // is a duplicate: answered 200, nobody credited again.
    let (status, _) = call(d.clone(), event("203.0.113.9", &forged)).await;
    assert_eq!(status, 200);
    assert_eq!(available(&d, "eve").await, None);
    assert_eq!(available(&d, "bob").await.as_deref(), Some("250"));
}

#[tokio::test]
async fn a_payment_without_our_order_waits_for_the_gateway_to_name_its_payer() {
    // The gateway (127.0.0.1:9) cannot be asked: nothing is credited to the body's unsigned
    // label, the payment is kept, and the answer asks the gateway to deliver again.
    let d = deps("203.0.113.9");
    let text = signed_postback_for_order("");
    for _ in 0..2 {
        let (status, body) = call(d.clone(), event("203.0.113.9", &text)).await;
        assert_eq!(status, 503, "{body}");
    }
    assert_eq!(available(&d, "bob").await, None);
    let kept = d
        .store
        .get_unbooked("in:tx:777788889999")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.reason, "awaiting_gateway_confirmation");
    assert!(!kept.raw_body.contains("access-1"), "{}", kept.raw_body);
}

#[tokio::test]
async fn a_relabelled_first_delivery_credits_the_order_owner() {
    let d = deps("203.0.113.9");
    bob_deposit(&d).await;
    let id = payments::DepositId::parse("dep-bob-1").unwrap();
    // A man in the middle rewrites the unsigned top-level label before the first delivery.
    let forged =
        signed_postback_for_order("dep-bob-1").replace("\"label\":\"bob\"", "\"label\":\"eve\"");
    assert!(forged.contains("\"label\":\"eve\""));
    let (status, body) = call(d.clone(), event("203.0.113.9", &forged)).await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    assert_eq!(
        available(&d, "eve").await,
        None,
        "the body's label is not signed"
    );
    assert_eq!(available(&d, "bob").await.as_deref(), Some("250"));
    let deposit = d.store.get_deposit(&id).await.unwrap().unwrap();
    assert_eq!(deposit.status, payments::DepositStatus::Credited);
}

#[tokio::test]
async fn previous_keys_are_accepted_during_the_rotation_window_and_refused_after() {
    use paykassma::credentials::PreviousKeys;
    use payments::clock::ManualClock;

    let old = PostbackKeys {
        access_key: Secret::new("old-access"),
        private_key: Secret::new("old-private"),
    };
    let now = time::OffsetDateTime::now_utc();
    let clock = Arc::new(ManualClock::new(now));
    let d = Arc::new(
        offline_deps()
            .previous_postback_keys(Some(PreviousKeys {
                keys: old.clone(),
                valid_until: now + time::Duration::hours(1),
            }))
            .clock(clock.clone())
            .build(),
    );
    bob_deposit(&d).await;
    let (status, body) = call(
        d.clone(),
        event("203.0.113.9", &signed_with(&old, "dep-bob-1", "t-old-1")),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    assert_eq!(available(&d, "bob").await.as_deref(), Some("250"));
    // Keys that were never ours are refused, window or not.
    let stranger = PostbackKeys {
        access_key: Secret::new("x"),
        private_key: Secret::new("y"),
    };
    let (status, _) = call(
        d.clone(),
        event("203.0.113.9", &signed_with(&stranger, "", "t-x")),
    )
    .await;
    assert_eq!(status, 401);
    // After the window the old keys are refused; the current keys still work.
    clock.advance(time::Duration::hours(1));
    let (status, body) = call(
        d.clone(),
        event("203.0.113.9", &signed_with(&old, "", "t-old-2")),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(available(&d, "bob").await.as_deref(), Some("250"));
}

/// A secret whose value an operator changes while the function stays warm.
struct Rotating(std::sync::Mutex<paykassma::credentials::GatewaySecrets>);

#[async_trait::async_trait]
impl paykassma::credentials::SecretsProvider for Rotating {
    async fn gateway_secrets(
        &self,
    ) -> Result<paykassma::credentials::GatewaySecrets, paykassma::credentials::SecretsError> {
        Ok(self.0.lock().unwrap().clone())
    }
}

#[tokio::test]
async fn a_key_rotation_reaches_a_warm_function_through_its_secrets_provider() {
    use paykassma::credentials::{GatewaySecrets, PreviousKeys};

    let first = GatewaySecrets {
        pluginapi_secret: Secret::new("s"),
        withdrawal_private_key: Secret::new("w"),
        postback_access_key: keys().access_key,
        postback_private_key: keys().private_key,
        previous_postback_keys: None,
    };
    let provider = Arc::new(Rotating(std::sync::Mutex::new(first.clone())));
    let d = Arc::new(
        Deps::builder(unreachable_gateway(), first.postback_keys())
            .secrets_provider(provider.clone())
            .build(),
    );
    let new = PostbackKeys {
        access_key: Secret::new("new-access"),
        private_key: Secret::new("new-private"),
    };
    // Before the rotation, the new keys are refused.
    let (status, _) = call(
        d.clone(),
        event("203.0.113.9", &signed_with(&new, "", "t-n0")),
    )
    .await;
    assert_eq!(status, 401);
    // The operator rotates: new keys current, the old ones accepted for an hour.
    *provider.0.lock().unwrap() = GatewaySecrets {
        postback_access_key: new.access_key.clone(),
        postback_private_key: new.private_key.clone(),
        previous_postback_keys: Some(PreviousKeys {
            keys: keys(),
            valid_until: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        }),
        ..first
    };
    bob_deposit(&d).await;
    let (status, body) = call(
        d.clone(),
        event("203.0.113.9", &signed_with(&new, "dep-bob-1", "t-n1")),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    assert_eq!(available(&d, "bob").await.as_deref(), Some("250"));
    let (status, _) = call(
        d.clone(),
        event("203.0.113.9", &signed_with(&keys(), "", "t-o1")),
    )
    .await;
    assert_ne!(status, 401, "the old keys are still accepted in the window");
}
