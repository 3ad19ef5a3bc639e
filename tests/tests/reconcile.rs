//! Reconciliation end to end: missed postbacks found with `pullpostbacks` and applied once,
//! unknown withdrawals settled or re-sent with the same id, on DynamoDB Local with the books
//! checked to the cent. Runs are triggered directly (the local timer is off in tests) with
//! ages of zero so every open item is due.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Harness, json};

async fn start() -> Harness {
    start_resending(service::settings::ResendPolicy::Off).await
}

async fn start_resending(policy: service::settings::ResendPolicy) -> Harness {
    Harness::start_adjusted(|config| {
        let r = &mut config.settings.reconcile;
        r.deposit_min_age = Duration::ZERO;
        r.withdrawal_min_age = Duration::ZERO;
        r.withdrawal_resend_grace = Duration::ZERO;
        r.withdrawal_resend = policy;
    })
    .await
}

fn imps(amount: &str) -> Value {
    json!({
        "payment_system": "imps", "amount": amount, "currency": "INR",
        "account_number": "123456789012", "account_name": "Ravi Kumar",
        "receiver_name": "Ravi Kumar", "bank_code": "SBIN0001234"
    })
}

async fn fault(h: &Harness, target: &str, mode: &str) {
    h.sandbox(
        "/_sandbox/faults",
        json!({"target": target, "mode": mode, "count": 1}),
    )
    .await;
}

async fn run(h: &Harness) -> service::reconcile::ReconcileSummary {
    let s = service::reconcile::run(&h.stack.deps).await.unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    s
}

async fn withdrawal_status(h: &Harness, label: &str, id: &str) -> String {
    let (code, body) = h.user(label).get(&format!("/v1/withdrawals/{id}")).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body["status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn gateway_timeout_then_reconcile_finds_the_postback_and_processes() {
    let h = start().await;
    h.fund("ra", "1000").await;
    fault(&h, "/v2/withdrawal/create", "drop_after").await;
    let (status, created) = h
        .user("ra")
        .post("/v1/withdrawals", Some("k"), imps("300"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "unknown");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(h.balance("ra", "INR").await, "700.00");

    fault(&h, "postback", "drop").await;
    h.sandbox(&format!("/_sandbox/withdrawals/{id}/process"), json!({}))
        .await;
    assert_eq!(withdrawal_status(&h, "ra", &id).await, "unknown");

    let s = run(&h).await;
    assert_eq!(s.count("withdrawal_processed"), 1, "{:?}", s.counts);
    assert_eq!(withdrawal_status(&h, "ra", &id).await, "processed");
    assert_eq!(h.balance("ra", "INR").await, "700.00");
    let again = run(&h).await;
    assert_eq!(again.findings(), 0, "{:?}", again.counts);
    assert_eq!(h.ledger_len("ra").await, 2);
}

#[tokio::test]
async fn an_unknown_withdrawal_is_held_for_an_operator_unless_resending_is_allowed() {
    let h = start().await;
    h.fund("ra", "1000").await;
    fault(&h, "/v2/withdrawal/create", "drop").await;
    let (_, created) = h
        .user("ra")
        .post("/v1/withdrawals", Some("k"), imps("250"))
        .await;
    assert_eq!(created["status"], "unknown", "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let s = run(&h).await;
        assert_eq!(s.count("withdrawal_needs_attention"), 1, "{:?}", s.counts);
    }
    assert!(
        h.sandbox_withdrawal(&id).await.is_none(),
        "never re-sent by default"
    );
    assert_eq!(withdrawal_status(&h, "ra", &id).await, "unknown");
    assert_eq!(h.balance("ra", "INR").await, "750.00");
}

#[tokio::test]
async fn an_unknown_withdrawal_the_gateway_never_received_is_resent_once_with_the_same_id() {
    let h = start_resending(service::settings::ResendPolicy::AfterNotFound).await;
    h.fund("rb", "1000").await;
    fault(&h, "/v2/withdrawal/create", "drop").await;
    let (_, created) = h
        .user("rb")
        .post("/v1/withdrawals", Some("k"), imps("250"))
        .await;
    assert_eq!(created["status"], "unknown", "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(h.sandbox_withdrawal(&id).await.is_none(), "never received");

    // The first "not found" is only noted; the second (a grace later) allows the re-send.
    let s = run(&h).await;
    assert_eq!(s.count("withdrawal_not_found_once"), 1, "{:?}", s.counts);
    let s = run(&h).await;
    assert_eq!(s.count("withdrawal_resent"), 1, "{:?}", s.counts);
    let sent = h
        .sandbox_withdrawal(&id)
        .await
        .expect("re-sent with the same id");
    assert_eq!(sent["amount"], "250", "{sent}");
    assert_eq!(sent["withdrawal_id"], id.as_str());
    assert_eq!(withdrawal_status(&h, "rb", &id).await, "submitted");
    let again = run(&h).await;
    assert_eq!(again.count("withdrawal_resent"), 0, "{:?}", again.counts);

    h.sandbox(&format!("/_sandbox/withdrawals/{id}/process"), json!({}))
        .await;
    for _ in 0..100 {
        if withdrawal_status(&h, "rb", &id).await == "processed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(withdrawal_status(&h, "rb", &id).await, "processed");
    assert_eq!(h.balance("rb", "INR").await, "750.00");
    assert_eq!(h.ledger_len("rb").await, 2, "one credit, one debit");
}

#[tokio::test]
async fn a_deposit_whose_postback_was_dropped_is_credited_once_and_the_late_webhook_changes_nothing()
 {
    let h = start().await;
    let user = h.user("rc");
    let created = user
        .deposit(
            "d-1",
            json!({"wallet_type": "upi_s", "amount": "500.00", "currency": "INR"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    fault(&h, "postback", "drop").await;
    h.sandbox(&format!("/_sandbox/deposits/{id}/complete"), json!({}))
        .await;
    assert_eq!(h.balance("rc", "INR").await, "0.00");

    let s = run(&h).await;
    assert_eq!(s.count("deposit_credited"), 1, "{:?}", s.counts);
    h.wait_deposit_status("rc", &id, "credited").await;
    assert_eq!(h.balance("rc", "INR").await, "500.00");

    let text = h
        .stack
        .sandbox()
        .postback_texts()
        .into_iter()
        .find(|t| t.contains(&id))
        .unwrap();
    let (status, body) = h.post_postback(text).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status":"ok"})));
    assert_eq!(h.balance("rc", "INR").await, "500.00");
    assert_eq!(h.ledger_len("rc").await, 1);
    assert_eq!(run(&h).await.findings(), 0);
}
