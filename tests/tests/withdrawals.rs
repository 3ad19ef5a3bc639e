//! Withdrawals end to end: the API, the sandbox gateway and DynamoDB Local. Each flow checks
//! the books to the cent afterwards.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Harness, json};

fn imps(amount: &str) -> Value {
    json!({
        "payment_system": "imps", "amount": amount, "currency": "INR",
        "account_number": "123456789012", "account_name": "Ravi Kumar",
        "receiver_name": "Ravi Kumar", "bank_code": "SBIN0001234"
    })
}

async fn wait_withdrawal(h: &Harness, label: &str, id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let (code, body) = h.user(label).get(&format!("/v1/withdrawals/{id}")).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        if body["status"] == status {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("withdrawal {id} never reached {status}: {last}");
}

#[tokio::test]
async fn processed_withdrawal_is_paid_once_and_replays_idempotently() {
    let h = Harness::start().await;
    h.fund("wa", "1000").await;
    let user = h.user("wa");
    let (status, created) = user.post("/v1/withdrawals", Some("w-1"), imps("400")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["amount"], "400.00");
    let id = created["withdrawal_id"].as_str().unwrap().to_string();
    assert_eq!(created["id"], created["withdrawal_id"]);
    assert_eq!(h.balance("wa", "INR").await, "600.00");

    // A retry of the same request: the first answer, no second debit.
    let (status, again) = user.post("/v1/withdrawals", Some("w-1"), imps("400")).await;
    assert_eq!((status, &again), (StatusCode::CREATED, &created));
    let (status, reused) = user.post("/v1/withdrawals", Some("w-1"), imps("401")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");

    h.sandbox(&format!("/_sandbox/withdrawals/{id}/process"), json!({}))
        .await;
    wait_withdrawal(&h, "wa", &id, "processed").await;
    assert_eq!(h.balance("wa", "INR").await, "600.00");
    let (_, balance) = user.get("/v1/balance").await;
    assert_eq!(balance["balances"]["INR"]["held"], "0.00", "{balance}");

    // The gateway repeating its postback changes nothing.
    let text = h
        .stack
        .sandbox()
        .postback_texts()
        .into_iter()
        .find(|t| t.contains(&id))
        .unwrap();
    let (status, body) = h.post_postback(text).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status":"ok"})));
    assert_eq!(h.balance("wa", "INR").await, "600.00");
    assert_eq!(h.ledger_len("wa").await, 2);
}

#[tokio::test]
async fn rejected_withdrawal_is_refunded_once() {
    let h = Harness::start().await;
    h.fund("wb", "1000").await;
    let (status, created) = h
        .user("wb")
        .post("/v1/withdrawals", Some("w-1"), imps("300"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    h.sandbox(&format!("/_sandbox/withdrawals/{id}/reject"), json!({}))
        .await;
    let done = wait_withdrawal(&h, "wb", &id, "rejected").await;
    assert!(done["message"].is_string());
    assert_eq!(h.balance("wb", "INR").await, "1000.00");
    let text = h
        .stack
        .sandbox()
        .postback_texts()
        .into_iter()
        .find(|t| t.contains(&id))
        .unwrap();
    let (status, _) = h.post_postback(text).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.balance("wb", "INR").await, "1000.00");
    assert_eq!(h.ledger_len("wb").await, 3, "credit, debit, one refund");
}

#[tokio::test]
async fn gateway_insufficient_balance_is_rejected_and_refunded() {
    let h = Harness::start().await;
    h.fund("wc", "1000").await;
    h.sandbox(
        "/_sandbox/balances",
        json!([{"wallet_type":"upi_l","currency_code":"INR","amount":"10.00"}]),
    )
    .await;
    let (status, created) = h
        .user("wc")
        .post("/v1/withdrawals", Some("w-1"), imps("500"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "rejected");
    assert!(
        created["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Insufficient balance"),
        "{created}"
    );
    assert_eq!(h.balance("wc", "INR").await, "1000.00");
    assert_eq!(h.ledger_len("wc").await, 3);
}

#[tokio::test]
async fn bad_requests_change_nothing() {
    let h = Harness::start().await;
    h.fund("wd", "100").await;
    let user = h.user("wd");
    let (status, body) = user.post("/v1/withdrawals", Some("k"), imps("101")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "insufficient_funds");
    let (status, body) = user
        .post(
            "/v1/withdrawals",
            Some("k2"),
            json!({"payment_system":"imps","amount":"50","currency":"INR","account_number":"12"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["fields"]["bank_code"].is_string(), "{body}");
    assert!(
        body["error"]["fields"]["account_number"].is_string(),
        "{body}"
    );
    let (status, _) = user.post("/v1/withdrawals", None, imps("50")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .anonymous()
        .post("/v1/withdrawals", Some("k3"), imps("50"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.balance("wd", "INR").await, "100.00");
    assert_eq!(h.ledger_len("wd").await, 1);

    // Someone else's withdrawal is not found.
    let (status, created) = user.post("/v1/withdrawals", Some("k4"), imps("50")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = h
        .user("intruder")
        .get(&format!(
            "/v1/withdrawals/{}",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_retries_of_one_request_debit_and_send_once() {
    let h = Harness::start().await;
    h.fund("we", "1000").await;
    let user = h.user("we");
    let answers = futures_join(&user).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
    for (status, body) in &answers {
        // Every retry sees the one withdrawal (or is told to retry while it is being made).
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{status} {body}"
        );
    }
    assert_eq!(h.balance("we", "INR").await, "800.00");
    assert_eq!(h.ledger_len("we").await, 2, "one credit, one debit");
}

async fn futures_join(user: &testkit::User) -> Vec<(StatusCode, Value)> {
    let body = imps("200");
    let (a, b, c, d, e) = tokio::join!(
        user.post("/v1/withdrawals", Some("same"), body.clone()),
        user.post("/v1/withdrawals", Some("same"), body.clone()),
        user.post("/v1/withdrawals", Some("same"), body.clone()),
        user.post("/v1/withdrawals", Some("same"), body.clone()),
        user.post("/v1/withdrawals", Some("same"), body.clone()),
    );
    vec![a, b, c, d, e]
}
