//! Reliability: the database goes away mid-storm. The test runs its own DynamoDB Local on a
//! file (`-sharedDb -dbPath`, not in memory, so data survives a restart), storms it with
//! deposit postbacks, kills it while deliveries are in flight, checks that the webhook answers
//! 5xx meanwhile (the sandbox keeps retrying), restarts it on the same port and files, and then
//! checks that nothing was lost or credited twice.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testkit::Harness;
use testkit::reliability::{
    assert_credited_once, deliveries, expected_books, fault, pay_paced, storm_config,
    wait_delivered, window_payments,
};
use tokio::process::{Child, Command};

const PAYMENTS: usize = 1_000;
const LABELS: usize = 48;
const DUPLICATES: usize = 200;

fn jar_dir() -> PathBuf {
    PathBuf::from(std::env::var("DYNAMODB_LOCAL_JAR_DIR").unwrap_or_else(|_| {
        panic!(
            "DYNAMODB_LOCAL_JAR_DIR is not set: this test starts its own DynamoDB Local from that \
             folder (DynamoDBLocal.jar, DynamoDBLocal_lib). Run infra/scripts/test.sh, or \
             `source infra/scripts/services.sh && ensure_all && start_services`."
        )
    }))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts DynamoDB Local on `port` with its data in `db` and waits until it answers.
async fn start_dynamo(jar: &Path, db: &Path, port: u16) -> Child {
    let log =
        std::fs::File::create(db.join(format!("dynamodb-{}.log", uuid::Uuid::new_v4().simple())))
            .expect("log file");
    let child = Command::new("java")
        .arg(format!(
            "-Djava.library.path={}",
            jar.join("DynamoDBLocal_lib").display()
        ))
        .arg("-jar")
        .arg(jar.join("DynamoDBLocal.jar"))
        .arg("-sharedDb")
        .arg("-dbPath")
        .arg(db)
        .arg("-port")
        .arg(port.to_string())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start java (DynamoDB Local)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "DynamoDB Local did not start on {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_restarted_mid_storm_loses_and_doubles_nothing() {
    let started = Instant::now();
    let jar = jar_dir();
    let db = std::env::temp_dir().join(format!("rel-dynamo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&db).expect("db dir");
    let port = free_port();
    let mut dynamo = start_dynamo(&jar, &db, port).await;
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
                    dynamo = start_dynamo(&jar, &db, port).await;
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
