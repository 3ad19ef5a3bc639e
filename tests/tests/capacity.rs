//! The DynamoDB requests each step of a deposit's life and a withdrawal cost, counted on the
//! wire (every attempt) against DynamoDB Local through the whole local stack: the figures
//! `docs/capacity.md` prices. Each step is measured alone (the sandbox's postback is held and
//! posted by the test), and the counts are asserted, so the document cannot drift from the code.

use std::collections::BTreeMap;

use aws_adapters::dynamo::requests::RequestCounter;
use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Harness, json};

type Counts = BTreeMap<String, u64>;

fn delta(before: &Counts, after: &Counts) -> Counts {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn counts(pairs: &[(&str, u64)]) -> Counts {
    pairs.iter().map(|(op, n)| (op.to_string(), *n)).collect()
}

#[tokio::test]
async fn requests_per_step_of_a_deposit_and_a_withdrawal() {
    let counter = RequestCounter::default();
    let h = Harness::start_adjusted(|config| {
        config.dynamo_requests = Some(counter.clone());
        config.settings.reconcile.deposit_min_age = std::time::Duration::ZERO;
    })
    .await;
    let user = h.user("cap-user");
    let mut table = vec![
        "| step | DynamoDB requests |".to_string(),
        "|---|---|".to_string(),
    ];
    let mut step = |name: &str, before: &Counts, want: &[(&str, u64)]| {
        let got = delta(before, &counter.snapshot());
        let shown = got
            .iter()
            .map(|(op, n)| format!("{n} {op}"))
            .collect::<Vec<_>>()
            .join(" + ");
        table.push(format!("| {name} | {shown} |"));
        assert_eq!(got, counts(want), "{name}");
    };

    let before = counter.snapshot();
    let (status, _) = user.get("/v1/payment-methods?currency=INR").await;
    assert_eq!(status, StatusCode::OK);
    // The gateway's list (cached per user and currency) and its media hints (cached for all):
    // two misses and two puts; the switches of every method in one query.
    step(
        "GET /v1/payment-methods (cache misses)",
        &before,
        &[("GetItem", 2), ("PutItem", 2), ("Query", 1)],
    );

    let before = counter.snapshot();
    let created = user
        .deposit(
            "cap-1",
            json!({"wallet_type":"upi_l","amount":"500","currency":"INR"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    // The idempotency record, the derived deposit id, the cached list, the method's switch;
    // the deposit and the answer's idempotency record.
    step(
        "POST /v1/deposits (UPI P2P)",
        &before,
        &[("GetItem", 4), ("PutItem", 2)],
    );

    // The user pays; the activation's postback is held so the two are counted apart.
    h.sandbox(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_l","key1":"111122223333","amount":"500","currency_code":"INR"}),
    )
    .await;
    h.sandbox(
        "/_sandbox/faults",
        json!({"target":"postback","mode":"drop","count":1}),
    )
    .await;
    let before = counter.snapshot();
    let (status, answer) = user
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"111122223333"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // The deposit, and its move to `processing` with the attempt before the gateway call.
    step(
        "POST /v1/deposits/{id}/activate",
        &before,
        &[("GetItem", 1), ("UpdateItem", 1)],
    );

    let attempts: Value = h
        .http
        .get(format!("{}/_sandbox/postbacks", h.stack.sandbox_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = attempts
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|a| a["status"] == "dropped")
        .and_then(|a| a["body"].as_str())
        .expect("the held postback")
        .to_string();
    let before = counter.snapshot();
    let (status, _) = h.post_postback(body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    step(
        "POST /v1/postbacks/paykassma (credit)",
        &before,
        &[("BatchGetItem", 1), ("TransactWriteItems", 1)],
    );
    let before = counter.snapshot();
    let (status, _) = h.post_postback(body).await;
    assert_eq!(status, StatusCode::OK);
    step(
        "the same postback again (repeat)",
        &before,
        &[("BatchGetItem", 1)],
    );

    let before = counter.snapshot();
    let (_, read) = user.get(&format!("/v1/deposits/{id}")).await;
    assert_eq!(read["status"], "credited");
    step("GET /v1/deposits/{id}", &before, &[("GetItem", 1)]);
    let before = counter.snapshot();
    user.get("/v1/balance").await;
    step("GET /v1/balance", &before, &[("Query", 1)]);

    let before = counter.snapshot();
    let (status, w) = user
        .post(
            "/v1/withdrawals",
            Some("cap-w"),
            json!({"payment_system":"paytm","amount":"100","currency":"INR","account_number":"9876543210"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    // The idempotency record and the payout switch; the debit with the withdrawal (one
    // transaction), `unknown` before the send and `submitted` after; the answer's record.
    step(
        "POST /v1/withdrawals (sent, accepted)",
        &before,
        &[
            ("GetItem", 2),
            ("PutItem", 1),
            ("TransactWriteItems", 1),
            ("UpdateItem", 2),
        ],
    );

    let before = counter.snapshot();
    let summary = service::reconcile::run(&h.stack.deps).await.unwrap();
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    // Nothing is due (the withdrawal is younger than its minimum age): every partition of the
    // open-work index is read (the legacy one and 8 shards, deposits and withdrawals: 18
    // queries), the unbooked queue (1), and the run's summary is kept (1 put).
    let got = delta(&before, &counter.snapshot());
    table.push(format!(
        "| a reconcile run, nothing to do | {} |",
        got.iter()
            .map(|(op, n)| format!("{n} {op}"))
            .collect::<Vec<_>>()
            .join(" + ")
    ));
    assert_eq!(got, counts(&[("PutItem", 1), ("Query", 19)]), "reconcile");
    println!("{}", table.join("\n"));
}
