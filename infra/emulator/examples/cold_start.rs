//! Cold start and peak RSS of one Lambda binary, apart from the services it uses: the binary
//! is started `RUNS` times under the emulator with its keys in the environment (no Secrets
//! Manager call) and answers one API Gateway event for a route it does not serve (a 404
//! written by the router, no DynamoDB call), so what is timed is exec, the runtime and the
//! dependencies' set-up, and one request: what a release profile changes.
//! `bench/release-profiles.sh` runs it for each candidate profile.
//!
//!     cargo run --release -p lambda-emulator --example cold_start -- BINARY [RUNS]

use std::time::Duration;

use lambda_emulator::{Function, Outcome};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(binary) = args.next() else {
        eprintln!("usage: cold_start BINARY [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let event: serde_json::Value =
        serde_json::from_str(include_str!("../events/apigw-v2-get-balance-no-auth.json"))
            .expect("event fixture");
    let env: Vec<(String, String)> = [
        ("TABLE_NAME", "cold-start"),
        ("DYNAMODB_ENDPOINT", "http://127.0.0.1:9"),
        ("PAYKASSMA_API_BASE", "http://127.0.0.1:9"),
        ("PAYKASSMA_PLUGIN_BASE", "http://127.0.0.1:9"),
        ("PAYKASSMA_SECRET", "cold-start-secret"),
        ("PAYKASSMA_WITHDRAWAL_PRIVATE_KEY", "cold-start-key"),
        ("PAYKASSMA_POSTBACK_ACCESS_KEY", "cold-start-access"),
        ("PAYKASSMA_POSTBACK_PRIVATE_KEY", "cold-start-private"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (mut starts, mut peaks) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut f = Function::spawn(std::path::Path::new(&binary), "cold-start", &env)
            .await
            .expect("the binary starts");
        let outcome = f
            .invoke(event.clone(), Duration::from_secs(30))
            .await
            .expect("an answer");
        assert!(
            matches!(outcome, Outcome::Response(_)),
            "{outcome:?}\n{}",
            f.logs()
        );
        starts.push(f.cold_start.expect("timed"));
        peaks.push(f.peak_rss_kib().unwrap_or(0));
    }
    starts.sort();
    peaks.sort_unstable();
    println!(
        "{} cold start median {:.1} ms (min {:.1}), peak RSS {:.1} MiB",
        binary,
        starts[starts.len() / 2].as_secs_f64() * 1000.0,
        starts[0].as_secs_f64() * 1000.0,
        peaks[peaks.len() - 1] as f64 / 1024.0
    );
}
