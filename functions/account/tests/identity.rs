//! On Lambda the user is the authorizer's JWT claim: an API Gateway v2 event (parsed by
//! `lambda_http` as in production) reaches the router with the claim, and the local-only
//! `X-Dev-User` header means nothing.

use std::sync::Arc;

use axum::body::Body;
use payments::Label;
use payments::store::DepositCredit;
use rust_decimal::Decimal;
use service::Deps;
use tower::ServiceExt;

fn deps(claim: &str) -> Arc<Deps> {
    let mut settings = service::Settings::from_lookup(|_| None).unwrap();
    settings.auth_claim = claim.to_string();
    Arc::new(testkit::gateway::offline_deps().settings(settings).build())
}

/// An API Gateway v2 event for `GET /v1/balance` with the given JWT claims and headers.
fn event(claims: serde_json::Value, headers: serde_json::Value) -> lambda_http::Request {
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /v1/balance",
        "rawPath": "/v1/balance",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.test",
            "domainPrefix": "api",
            "http": {"method": "GET", "path": "/v1/balance", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "test"},
            "requestId": "r1",
            "routeKey": "GET /v1/balance",
            "stage": "$default",
            "time": "23/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795442400000i64,
            "authorizer": {"jwt": {"claims": claims, "scopes": null}}
        },
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
}

async fn call(deps: Arc<Deps>, req: lambda_http::Request) -> (u16, serde_json::Value) {
    let (parts, body) = req.into_parts();
    let req = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let resp = account::router(deps).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

async fn credit(deps: &Deps, label: &str, amount: i64) {
    deps.store
        .apply_deposit_postback(DepositCredit {
            dedupe_key: format!("in:tx:{label}"),
            label: Label::parse(label).unwrap(),
            money: payments::Money::new(Decimal::from(amount), "INR".parse().unwrap()).unwrap(),
            deposit_id: None,
            wallet_type: None,
            raw_body: "{}".into(),
            received_at: time::OffsetDateTime::now_utc(),
            read: payments::store::DepositRead::Unread,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_jwt_claim_names_the_user() {
    let d = deps("sub");
    credit(&d, "alice", 500).await;
    credit(&d, "bob", 7).await;
    let (status, body) = call(
        d.clone(),
        event(serde_json::json!({"sub": "alice"}), serde_json::json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["balances"]["INR"]["available"], "500.00");
}

#[tokio::test]
async fn a_configured_claim_is_used_instead_of_sub() {
    let d = deps("custom:player_id");
    credit(&d, "bob", 7).await;
    let (status, body) = call(
        d,
        event(
            serde_json::json!({"sub": "alice", "custom:player_id": "bob"}),
            serde_json::json!({}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["balances"]["INR"]["available"], "7.00");
}

#[tokio::test]
async fn without_the_claim_dev_headers_do_not_authenticate() {
    let d = deps("sub");
    credit(&d, "alice", 500).await;
    let (status, body) = call(
        d,
        event(
            serde_json::json!({"email": "alice@example.test"}),
            serde_json::json!({"x-dev-user": "alice", "x-dev-admin": "1"}),
        ),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthenticated");
}
