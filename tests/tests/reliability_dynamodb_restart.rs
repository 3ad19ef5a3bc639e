//! Reliability: the database goes away mid-storm. The test runs its own DynamoDB Local on a
//! file (`-sharedDb -dbPath`, not in memory, so data survives a restart), storms it with
//! deposit postbacks, kills it while deliveries are in flight, checks that the webhook answers
//! 5xx meanwhile (the sandbox keeps retrying), restarts it on the same port and files, and then
//! checks that nothing was lost or credited twice.

use std::time::{Duration, Instant};

use testkit::Harness;
use testkit::reliability::{
    assert_credited_once, deliveries, expected_books, fault, pay_paced, storm_config,
    wait_delivered, window_payments,
};
use testkit::services::{free_port, start_dynamodb};

const PAYMENTS: usize = 1_000;
const LABELS: usize = 48;
const DUPLICATES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_restarted_mid_storm_loses_and_doubles_nothing() {
    let started = Instant::now();
    let db = std::env::temp_dir().join(format!("rel-dynamo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&db).expect("db dir");
    let port = free_port();
    let mut dynamo = start_dynamodb(Some(&db), port).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let table = testkit::stores::table_name("rel");
    let h = Harness::start_with(storm_config(&endpoint, &table), table).await;

    let payments = window_payments("dr", PAYMENTS, LABELS);
    let expected = expected_books(&payments);
    fault(&h, "postback", "duplicate", DUPLICATES).await;

    // A hang guard, not a speed target (window payments each make one gateway lookup too).
    let outcome = tokio::time::timeout(Duration::from_secs(300), async {
        let paying = pay_paced(&h, payments, 64, 0);
        let outage = async {
            // Kill the database once a fifth of the payments are credited.
            while deliveries(&h).acknowledged < PAYMENTS / 5 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            dynamo.kill().await.expect("kill DynamoDB Local");
            let killed = Instant::now();
            let before = deliveries(&h);
            // The webhook answers 5xx while it is down, and the sandbox keeps retrying.
            loop {
                let d = deliveries(&h);
                let server_errors: usize = d
                    .by_status
                    .iter()
                    .filter(|(s, _)| s.starts_with('5'))
                    .map(|(_, n)| *n)
                    .sum();
                if server_errors >= 20 && killed.elapsed() > Duration::from_secs(2) {
                    // Back on the same port and files; the paced payments resume with it.
                    let down_for = killed.elapsed();
                    dynamo = start_dynamodb(Some(&db), port).await;
                    break (before, d, down_for);
                }
                assert!(
                    killed.elapsed() < Duration::from_secs(45),
                    "no 5xx answers while the database is down: {d:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let ((), outcome) = tokio::join!(paying, outage);
        outcome
    })
    .await
    .expect("the storm and the outage finished in time");
    let (before, during, down_for) = outcome;
    let restarted_at = started.elapsed();

    let d = wait_delivered(
        &h,
        PAYMENTS,
        PAYMENTS + DUPLICATES,
        0,
        Duration::from_secs(120),
    )
    .await;
    assert_credited_once(&h, &expected).await;
    eprintln!(
        "dynamodb restart: {PAYMENTS} payments + {DUPLICATES} duplicate deliveries; killed after {} \
         acknowledged, down {down_for:?} (attempts while down: {:?}); restarted at {restarted_at:?}; \
         finally {} acknowledged of {} attempts {:?}; {:?}",
        before.acknowledged,
        during.by_status,
        d.acknowledged,
        d.attempts,
        d.by_status,
        started.elapsed()
    );
    let _ = dynamo.kill().await;
    let _ = std::fs::remove_dir_all(&db);
}
