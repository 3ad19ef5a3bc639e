//! Reliability: a storm of deposit postbacks on DynamoDB Local. Thousands of payments at the
//! sandbox gateway at concurrency 64, a share of them delivered twice at once by the sandbox's
//! `duplicate` fault and more replayed by hand while the storm runs: every unique payment is
//! credited exactly once, each user's ledger equals the balance to the cent, every order's
//! deposit is `credited`, and every postback was delivered. Payments are paced so that at most
//! 64 postbacks wait for their first acknowledgement (an unbounded backlog only measures how
//! long DynamoDB Local takes to dig out of it; see docs/reliability.md).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rust_decimal::Decimal;
use testkit::reliability::{
    Payment, assert_credited_once, concurrently, deliveries, expected_books, fault, pay_paced,
    replay, storm_config, wait_delivered, window_payments,
};
use testkit::{Harness, json};

const CONCURRENCY: usize = 64;
/// Payments without an order (credited to the label's balance).
const WINDOW_PAYMENTS: usize = 5_800;
/// Payments of deposits created through the API (credited to the deposit).
const ORDERS: usize = 200;
const LABELS: usize = 256;
/// Postbacks the sandbox delivers twice at once.
const SANDBOX_DUPLICATES: usize = 1_800;
/// Postbacks re-POSTed by the test while the storm runs.
const REPLAYS: usize = 2_300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_postbacks_with_duplicates_credit_each_payment_once() {
    let started = Instant::now();
    let endpoint = testkit::services::dynamodb_endpoint();
    let table = testkit::stores::table_name("rel");
    let h = Harness::start_with(storm_config(&endpoint, &table), table).await;

    // Orders: window deposits created through the API, paid later in the storm.
    let order_amount = Decimal::new(43_210, 2);
    let keys: Vec<usize> = (0..ORDERS).collect();
    let users: Vec<testkit::User> = keys
        .iter()
        .map(|i| h.user(&format!("storm{}", i % LABELS)))
        .collect();
    let created = concurrently(
        users.into_iter().zip(keys).collect(),
        CONCURRENCY,
        |(user, i)| async move {
            user.deposit(
                &format!("order-{i}"),
                json!({"wallet_type": "upi_l", "amount": "432.10", "currency": "INR", "mode": "window"}),
            )
            .await
        },
    )
    .await;
    let orders: Vec<Payment> = created
        .iter()
        .enumerate()
        .map(|(i, d)| Payment {
            label: format!("storm{}", i % LABELS),
            amount: order_amount,
            order: Some(d["id"].as_str().expect("deposit id").to_string()),
        })
        .collect();

    // The storm: orders interleaved with window payments.
    let mut payments = window_payments("storm", WINDOW_PAYMENTS, LABELS);
    for (k, o) in orders.iter().enumerate() {
        payments.insert(k * (WINDOW_PAYMENTS / ORDERS), o.clone());
    }
    let expected = expected_books(&payments);
    let unique = payments.len();
    fault(&h, "postback", "duplicate", SANDBOX_DUPLICATES).await;

    // A hang guard, not a speed target: each window payment also makes one gateway lookup now,
    // and the suite shares two cores with the other tests.
    let storm = tokio::time::timeout(Duration::from_secs(420), async {
        let paying = pay_paced(&h, payments, CONCURRENCY, 0);
        // Replays of postbacks already produced, in batches, while the payments go on.
        let replaying = async {
            let mut answers = Vec::new();
            while answers.len() < REPLAYS {
                let texts = h.stack.sandbox().postback_texts();
                if texts.len() < 200 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                let batch: Vec<String> = texts
                    .iter()
                    .rev()
                    .step_by(7)
                    .take(100.min(REPLAYS - answers.len()))
                    .cloned()
                    .collect();
                answers.extend(replay(&h, batch, CONCURRENCY).await);
            }
            answers
        };
        let ticker = async {
            loop {
                // Progress, so a slow machine's run can be read from the log.
                tokio::time::sleep(Duration::from_secs(10)).await;
                let d = deliveries(&h);
                eprintln!(
                    "storm at {:?}: {} postbacks, {} acknowledged, {} attempts",
                    started.elapsed(),
                    d.postbacks,
                    d.acknowledged,
                    d.attempts
                );
            }
        };
        let ((), answers) = tokio::select! {
            r = async { tokio::join!(paying, replaying) } => r,
            () = ticker => unreachable!(),
        };
        answers
    })
    .await
    .expect("the storm finished in time");
    let paid_at = started.elapsed();

    let d = wait_delivered(
        &h,
        unique,
        unique + SANDBOX_DUPLICATES,
        0,
        Duration::from_secs(120),
    )
    .await;
    let delivered_at = started.elapsed();
    let faults = testkit::reliability::armed_faults(&h).await;
    assert_eq!(faults, json!([]), "every duplicate fault was used");

    let not_ok: Vec<_> = storm
        .iter()
        .filter(|(s, b)| *s != StatusCode::OK || b != r#"{"status":"ok"}"#)
        .collect();
    // A replay racing the first delivery may meet storage contention (503, retried by the
    // gateway in real life); anything else is a failure.
    assert!(
        not_ok
            .iter()
            .all(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE),
        "{not_ok:?}"
    );
    let deliveries_total = d.acknowledged + storm.len();
    let duplicates = deliveries_total - unique;
    assert!(deliveries_total >= 10_000, "{deliveries_total}");
    assert!(
        duplicates * 10 >= deliveries_total * 3,
        "{duplicates} of {deliveries_total}"
    );

    assert_credited_once(&h, &expected).await;
    let ids: Vec<(String, String)> = orders
        .iter()
        .map(|o| (o.label.clone(), o.order.clone().unwrap_or_default()))
        .collect();
    let statuses = concurrently(ids, 16, |(label, id)| {
        let user = h.user(&label);
        async move {
            let (code, body) = user.get(&format!("/v1/deposits/{id}")).await;
            assert_eq!(code, StatusCode::OK, "{body}");
            (body["status"].clone(), body["credited_amount"].clone())
        }
    })
    .await;
    for (status, credited) in statuses {
        assert_eq!(status, "credited");
        assert_eq!(credited, "432.10");
    }
    let checked_at = started.elapsed();
    eprintln!(
        "storm: {unique} unique payments, {} sandbox deliveries acknowledged ({} attempts: {:?}), \
         {} replays ({} not ok: {:?}), {deliveries_total} deliveries, {duplicates} duplicates \
         ({:.1}%); paid in {paid_at:?}, delivered by {delivered_at:?}, books checked by {checked_at:?}",
        d.acknowledged,
        d.attempts,
        d.by_status,
        storm.len(),
        not_ok.len(),
        not_ok.iter().map(|(s, _)| s.as_u16()).collect::<Vec<_>>(),
        duplicates as f64 * 100.0 / deliveries_total as f64,
    );
}
