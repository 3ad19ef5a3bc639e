//! Admin routes end to end (locally `X-Dev-Admin: 1`; on Lambda IAM): method switches take
//! effect at once, the gateway balance, the reconciliation report.

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Harness, json};

fn upi(amount: &str) -> Value {
    json!({"wallet_type": "upi_l", "amount": amount, "currency": "INR"})
}

#[tokio::test]
async fn a_disabled_method_refuses_deposits_and_enabled_again_accepts_them() {
    let h = Harness::start().await;
    let user = h.user("ad");
    let (status, body) = h
        .admin(
            reqwest::Method::PUT,
            "/v1/admin/payment-methods/upi_l",
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], false);

    let (status, refused) = user.post("/v1/deposits", Some("k-1"), upi("500")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "method_unavailable");
    let (_, methods) = user.get("/v1/payment-methods?currency=INR").await;
    assert!(
        !methods["methods"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["wallet_type"] == "upi_l"),
        "{methods}"
    );
    let (_, listed) = h
        .admin(reqwest::Method::GET, "/v1/admin/payment-methods", None)
        .await;
    assert_eq!(listed["methods"][0]["wallet_type"], "upi_l");

    let (status, _) = h
        .admin(
            reqwest::Method::PUT,
            "/v1/admin/payment-methods/upi_l",
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let created = user.deposit("k-2", upi("500")).await;
    assert_eq!(created["status"], "pending");
    assert_eq!(h.balance("ad", "INR").await, "0.00");
}

#[tokio::test]
async fn admin_routes_need_an_admin() {
    let h = Harness::start().await;
    for path in [
        "/v1/admin/payment-methods",
        "/v1/admin/gateway-balance",
        "/v1/admin/reconciliation",
    ] {
        let (status, _) = h.user("someone").get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn gateway_balance_and_the_reconciliation_report() {
    let h = Harness::start().await;
    let (status, body) = h
        .admin(reqwest::Method::GET, "/v1/admin/gateway-balance", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let upi_l = body["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["wallet_type"] == "upi_l")
        .cloned()
        .unwrap();
    assert_eq!(upi_l["currency_code"], "INR");
    assert_eq!(upi_l["amount"], "1000000.00");

    let (_, before) = h
        .admin(reqwest::Method::GET, "/v1/admin/reconciliation", None)
        .await;
    assert_eq!(before["last_run"], Value::Null);
    h.user("rep")
        .deposit(
            "k",
            json!({"wallet_type": "upi_s", "amount": "100", "currency": "INR"}),
        )
        .await;
    let summary = service::reconcile::run(&h.stack.deps).await.unwrap();
    let (status, after) = h
        .admin(reqwest::Method::GET, "/v1/admin/reconciliation", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["last_run"]["started_at"], summary.started_at.as_str());
    assert_eq!(after["open_deposits"]["total"], 1);
    assert_eq!(after["open_deposits"]["by_age"]["under_10m"], 1);
}
