//! Deposits when the gateway's answers go missing: every attempt sends a
//! `custom_transaction_id` the gateway has not seen (`<id>_<n>` after the first) and its
//! payment lands on the deposit; an activation whose answer is lost stays `processing`
//! (never "rejected") and is settled by the postback; deposits the gateway is reviewing are
//! not expired early; an expired deposit still takes a late payment, once; a creation whose
//! first request died after the gateway took the id is recovered by a retry.

use std::time::Duration;

use reqwest::StatusCode;
use testkit::{Harness, json};

async fn start_expiring() -> Harness {
    Harness::start_adjusted(|config| {
        let r = &mut config.settings.reconcile;
        r.deposit_min_age = Duration::ZERO;
        r.deposit_lifetime = Duration::ZERO;
    })
    .await
}

fn upi(amount: &str) -> serde_json::Value {
    json!({"wallet_type": "upi_l", "amount": amount, "currency": "INR"})
}

async fn pay(h: &Harness, key1: &str, amount: &str) {
    h.sandbox(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_l","key1":key1,"amount":amount,"currency_code":"INR"}),
    )
    .await;
}

#[tokio::test]
async fn a_refused_activation_retried_uses_a_new_custom_id_whose_payment_lands_on_the_deposit() {
    let h = Harness::start().await;
    let user = h.user("att-a");
    let created = user.deposit("k", upi("500.00")).await;
    let id = created["id"].as_str().unwrap().to_string();

    // The user's first number is for a payment of another amount: refused, pending again.
    pay(&h, "111111111111", "400.00").await;
    let (status, first) = user
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"111111111111"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["status"], "rejected", "{first}");
    let (_, read) = user.get(&format!("/v1/deposits/{id}")).await;
    assert_eq!(read["status"], "pending", "{read}");

    // The right number: a second attempt, under a custom id the gateway has not seen.
    pay(&h, "222222222222", "500.00").await;
    let (status, second) = user
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"222222222222"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["status"], "credited", "{second}");
    h.wait_deposit_status("att-a", &id, "credited").await;
    let text = h
        .stack
        .sandbox()
        .postback_texts()
        .pop()
        .expect("a postback");
    assert!(text.contains(&format!("{id}_2")), "{text}");
    assert_eq!(h.balance("att-a", "INR").await, "500.00");
    assert_eq!(h.ledger_len("att-a").await, 1);
}

#[tokio::test]
async fn an_activation_whose_answer_is_lost_stays_processing_and_is_credited_by_its_postback() {
    let h = Harness::start().await;
    let user = h.user("att-b");
    let created = user.deposit("k", upi("300.00")).await;
    let id = created["id"].as_str().unwrap().to_string();
    pay(&h, "333333333333", "300.00").await;
    h.sandbox(
        "/_sandbox/faults",
        json!({"target": "/api/v1/transaction/activate", "mode": "drop_after", "count": 1}),
    )
    .await;
    let (status, answer) = user
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"333333333333"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "processing", "never rejected: {answer}");
    h.wait_deposit_status("att-b", &id, "credited").await;
    assert_eq!(h.balance("att-b", "INR").await, "300.00");
    // A repeat of the activation finds it settled, and changes nothing.
    let (status, again) = user
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"333333333333"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(h.ledger_len("att-b").await, 1);
}

#[tokio::test]
async fn a_deposit_under_review_is_not_expired_with_the_unpaid_ones() {
    let h = start_expiring().await;
    let user = h.user("att-c");
    let reviewed = user.deposit("k1", upi("300.00")).await;
    let reviewed = reviewed["id"].as_str().unwrap().to_string();
    let idle = user.deposit("k2", upi("300.00")).await;
    let idle = idle["id"].as_str().unwrap().to_string();
    // The activation never reaches the gateway's answer: under review from our side.
    h.sandbox(
        "/_sandbox/faults",
        json!({"target": "/api/v1/transaction/activate", "mode": "drop", "count": 1}),
    )
    .await;
    let (_, answer) = user
        .post(
            &format!("/v1/deposits/{reviewed}/activate"),
            None,
            json!({"key1":"444444444444"}),
        )
        .await;
    assert_eq!(answer["status"], "processing", "{answer}");

    let s = service::reconcile::run(&h.stack.deps).await.unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.count("deposit_expired"), 1, "{:?}", s.counts);
    assert_eq!(s.count("deposit_under_review"), 1, "{:?}", s.counts);
    let (_, r) = user.get(&format!("/v1/deposits/{reviewed}")).await;
    assert_eq!(r["status"], "processing", "{r}");
    let (_, r) = user.get(&format!("/v1/deposits/{idle}")).await;
    assert_eq!(r["status"], "expired", "{r}");
    // Past its lifetime, the next run within the slow schedule leaves it for later.
    let s = service::reconcile::run(&h.stack.deps).await.unwrap();
    assert_eq!(s.count("deposit_review_later"), 1, "{:?}", s.counts);
}

#[tokio::test]
async fn an_expired_deposit_still_takes_its_late_payment_exactly_once() {
    let h = start_expiring().await;
    let user = h.user("att-d");
    let created = user
        .deposit(
            "k",
            json!({"wallet_type":"upi_s","amount":"250.00","currency":"INR"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let s = service::reconcile::run(&h.stack.deps).await.unwrap();
    assert_eq!(s.count("deposit_expired"), 1, "{:?}", s.counts);

    h.sandbox(&format!("/_sandbox/deposits/{id}/complete"), json!({}))
        .await;
    h.wait_deposit_status("att-d", &id, "credited").await;
    let text = h
        .stack
        .sandbox()
        .postback_texts()
        .pop()
        .expect("a postback");
    let (status, _) = h.post_postback(text).await;
    assert_eq!(status, StatusCode::OK);
    let s = service::reconcile::run(&h.stack.deps).await.unwrap();
    assert_eq!(s.findings(), 0, "{:?}", s.counts);
    assert_eq!(h.balance("att-d", "INR").await, "250.00");
    assert_eq!(h.ledger_len("att-d").await, 1);
}

#[tokio::test]
async fn a_creation_whose_first_request_died_after_the_gateway_took_the_id_is_recovered() {
    let h = Harness::start().await;
    let user = h.user("att-e");
    let body = json!({"wallet_type":"upi_s","amount":"120.00","currency":"INR"});
    // The gateway opens the order, but the answer never comes back.
    h.sandbox(
        "/_sandbox/faults",
        json!({"target": "/api/v1/payment/create/upi_s", "mode": "drop_after", "count": 1}),
    )
    .await;
    let (status, first) = user.post("/v1/deposits", Some("k"), body.clone()).await;
    assert!(status.is_server_error(), "{status} {first}");
    // The retry meets "custom transaction id taken", no first answer ever comes: it opens
    // the next attempt instead of answering 409 forever.
    let (status, created) = user.post("/v1/deposits", Some("k"), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (status, again) = user.post("/v1/deposits", Some("k"), body).await;
    assert_eq!((status, &again), (StatusCode::CREATED, &created));

    h.sandbox(&format!("/_sandbox/deposits/{id}_2/complete"), json!({}))
        .await;
    h.wait_deposit_status("att-e", &id, "credited").await;
    assert_eq!(h.balance("att-e", "INR").await, "120.00");
    assert_eq!(h.ledger_len("att-e").await, 1);
}
