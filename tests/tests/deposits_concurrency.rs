//! Concurrent retries and duplicate deliveries: one deposit, one credit.

use reqwest::StatusCode;
use testkit::{Harness, json};

#[tokio::test]
async fn concurrent_creates_with_one_key_make_one_deposit() {
    let h = Harness::start().await;
    let body = json!({"wallet_type":"upi_s","amount":"321.00","currency":"INR"});
    let answers = futures_join(&h, &body).await;
    let first = &answers[0].1;
    for (status, answer) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["id"], first["id"]);
        assert_eq!(answer["qr"], first["qr"]);
    }
    let id = first["id"].as_str().unwrap();
    h.sandbox(&format!("/_sandbox/deposits/{id}/complete"), json!({}))
        .await;
    h.wait_deposit_status("lena", id, "credited").await;
    assert_eq!(h.balance("lena", "INR").await, "321.00");
    assert_eq!(h.ledger_len("lena").await, 1);
}

async fn futures_join(h: &Harness, body: &serde_json::Value) -> Vec<testkit::Answer> {
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let user = h.user("lena");
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            user.post("/v1/deposits", Some("same-key"), body).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_postback_storm_credits_once() {
    let h = Harness::start().await;
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"mo","amount":"88.80","currency_code":"INR","wallet_type":"upi_l"}),
    )
    .await;
    h.wait_balance("mo", "INR", "88.80").await;
    let text = h.stack.sandbox().postback_texts().pop().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let http = h.http.clone();
        let url = h.api("/v1/postbacks/paykassma");
        let text = text.clone();
        tasks.push(tokio::spawn(async move {
            let resp = http
                .post(url)
                .header("content-type", "application/json")
                .body(text)
                .send()
                .await
                .unwrap();
            (resp.status(), resp.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, r#"{"status":"ok"}"#);
    }
    assert_eq!(h.balance("mo", "INR").await, "88.80");
    assert_eq!(h.ledger_len("mo").await, 1);
}

#[tokio::test]
async fn a_window_order_paid_in_another_currency_is_an_amount_mismatch() {
    let h = Harness::start().await;
    let nia = h.user("nia");
    let id = nia
        .deposit(
            "k-1",
            json!({"wallet_type":"upi_l","amount":"400","currency":"INR","mode":"window"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"nia","amount":"5","currency_code":"USD","wallet_type":"upi_l",
               "custom_transaction_id": id}),
    )
    .await;
    let done = h.wait_deposit_status("nia", &id, "amount_mismatch").await;
    assert_eq!(done["credited_amount"], "5.00");
    assert_eq!(h.balance("nia", "USD").await, "5.00");
    assert_eq!(h.balance("nia", "INR").await, "0.00");
}

#[tokio::test]
async fn a_gateway_failure_stores_nothing_and_the_retry_succeeds() {
    let h = Harness::start().await;
    let omar = h.user("omar");
    let body = json!({"wallet_type":"upi_s","amount":"120","currency":"INR"});
    h.sandbox(
        "/_sandbox/faults",
        json!({"target":"/api/v1/payment/create","mode":"http500","count":1}),
    )
    .await;
    let (status, failed) = omar.post("/v1/deposits", Some("k-1"), body.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{failed}");
    assert_eq!(failed["error"]["code"], "unavailable");
    let id = payments::DepositId::for_request(&payments::Label::parse("omar").unwrap(), "k-1");
    let (status, _) = omar.get(&format!("/v1/deposits/{}", id.as_str())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, created) = omar.post("/v1/deposits", Some("k-1"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["id"], id.as_str());
    assert_eq!(h.balance("omar", "INR").await, "0.00");
}
