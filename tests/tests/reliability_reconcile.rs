//! Reliability: reconciliation running while webhooks arrive. Deposits are paid at the sandbox;
//! some postbacks are dropped (only reconciliation's `pullpostbacks` can find them), some are
//! delivered twice at once, and the test replays half of every postback produced, dropped ones
//! included, while `reconcile::run` loops concurrently. Both paths race to credit the same
//! deposits: each is credited exactly once and the books balance to the cent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rust_decimal::Decimal;
use testkit::reliability::{
    Payment, assert_credited_once, concurrently, expected_books, fault, replay, storm_config,
};
use testkit::{Harness, json};

const DEPOSITS: usize = 120;
const LABELS: usize = 12;
const DROPPED: usize = 40;
const DUPLICATED: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconcile_racing_webhooks_credits_each_deposit_once() {
    let started = Instant::now();
    let endpoint = testkit::services::dynamodb_endpoint();
    let table = testkit::stores::table_name("rel");
    let h = Arc::new(Harness::start_with(storm_config(&endpoint, &table), table).await);

    let requests: Vec<(String, usize)> = (0..DEPOSITS)
        .map(|i| (format!("rr{}", i % LABELS), i))
        .collect();
    let created = concurrently(requests.clone(), 32, |(label, i)| {
        let user = h.user(&label);
        async move {
            let amount = Decimal::new(20_000 + i as i64 * 101, 2);
            let body = user
                .deposit(
                    &format!("d-{i}"),
                    json!({"wallet_type": "upi_s", "amount": amount.to_string(), "currency": "INR"}),
                )
                .await;
            Payment {
                label,
                amount,
                order: Some(body["id"].as_str().expect("id").to_string()),
            }
        }
    })
    .await;
    let expected = expected_books(&created);

    fault(&h, "postback", "drop", DROPPED).await;
    fault(&h, "postback", "duplicate", DUPLICATED).await;

    // Reconciliation in a loop for as long as payments and replays go on.
    let stop = Arc::new(AtomicBool::new(false));
    let reconciler = {
        let (h, stop) = (h.clone(), stop.clone());
        tokio::spawn(async move {
            let mut credited = 0;
            let mut runs = 0;
            // At least three runs, however fast the payments go.
            while runs < 3 || !stop.load(Ordering::SeqCst) {
                let s = service::reconcile::run(&h.stack.deps)
                    .await
                    .expect("reconcile");
                assert!(s.errors.is_empty(), "{:?}", s.errors);
                credited += s.count("deposit_credited");
                runs += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (runs, credited)
        })
    };

    let work = tokio::time::timeout(Duration::from_secs(90), async {
        // Slowly, so the reconcile loop runs many times while postbacks arrive.
        let completing = concurrently(created.clone(), 2, |p| {
            let (http, url) = (
                h.http.clone(),
                format!(
                    "{}/_sandbox/deposits/{}/complete",
                    h.stack.sandbox_url(),
                    p.order.unwrap_or_default()
                ),
            );
            async move {
                let resp = http.post(url).send().await.expect("sandbox");
                assert!(resp.status().is_success(), "{}", resp.status());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let replaying = async {
            let mut answers = Vec::new();
            let mut replayed = 0;
            loop {
                let texts = h.stack.sandbox().postback_texts();
                let batch: Vec<String> = texts
                    .iter()
                    .enumerate()
                    .skip(replayed)
                    .filter(|(i, _)| i % 2 == 0)
                    .map(|(_, t)| t.clone())
                    .collect();
                replayed = texts.len();
                answers.extend(replay(&h, batch, 16).await);
                if replayed >= DEPOSITS {
                    break answers;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::join!(completing, replaying).1
    })
    .await
    .expect("payments and replays finished in time");
    stop.store(true, Ordering::SeqCst);
    let (runs, credited_by_loop) = tokio::time::timeout(Duration::from_secs(60), reconciler)
        .await
        .expect("the reconcile loop stopped in time")
        .expect("reconcile loop");

    for (status, body) in &work {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{status} {body}"
        );
    }
    // Whatever is still open is found now; a second run finds nothing.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut credited_after = 0;
    loop {
        let s = service::reconcile::run(&h.stack.deps)
            .await
            .expect("reconcile");
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        credited_after += s.count("deposit_credited");
        if s.findings() == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{:?}", s.counts);
    }
    for p in &created {
        let id = p.order.as_deref().unwrap_or_default();
        let d = h.wait_deposit_status(&p.label, id, "credited").await;
        assert_eq!(d["credited_amount"], p.amount.to_string(), "{d}");
    }
    assert_credited_once(&h, &expected).await;
    assert!(
        credited_by_loop + credited_after >= DROPPED as u64 / 2,
        "reconciliation credited some dropped postbacks itself: {credited_by_loop} + {credited_after}"
    );
    eprintln!(
        "reconcile race: {DEPOSITS} deposits, {DROPPED} postbacks dropped, {DUPLICATED} duplicated, \
         {} replays, {runs} concurrent reconcile runs crediting {credited_by_loop}, {credited_after} after; {:?}",
        work.len(),
        started.elapsed()
    );
}
