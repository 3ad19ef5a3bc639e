//! `cargo run --release -p bench`: the project's benchmark program (issue 8).
//!
//! Against the local stack on DynamoDB Local (`DYNAMODB_ENDPOINT`, a fresh table per run) it
//! measures postback handling at several concurrencies beside the floor (the same credit
//! straight to the store), signature verification beside raw md5 + sha1, a deposit end to end
//! through the sandbox, the `sam build` artifacts' sizes and the stack's peak RSS, then prints
//! a markdown report and writes it to `target/bench-report.md` (`--out`).
//! It is a benchmark, not a test: the targets are reported, never asserted.

mod artifacts;
mod e2e;
mod load;
mod machine;
mod postbacks;
mod report;
mod stack_process;
mod stats;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use aws_adapters::dynamo::{DynamoStore, table};
use clap::{Parser, Subcommand};
use paykassma_sandbox::SandboxConfig;
use payments::Store;

use crate::report::{PostbackLevel, Report};
use crate::stack_process::StackProcess;

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Benchmark the local stack on DynamoDB Local and write a markdown report"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// DynamoDB (Local) endpoint.
    #[arg(long, env = "DYNAMODB_ENDPOINT", value_name = "URL")]
    dynamodb: Option<String>,
    /// Where to write the report (default: the workspace's target/bench-report.md).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Postback concurrencies.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16, 64])]
    concurrency: Vec<usize>,
    /// Postbacks per concurrency (same order as --concurrency).
    #[arg(long, value_delimiter = ',', default_values_t = [300, 2000, 4000])]
    counts: Vec<usize>,
    /// End-to-end deposits.
    #[arg(long, default_value_t = 50)]
    e2e_runs: usize,
    /// Calls per round of the verification micro-benchmark.
    #[arg(long, default_value_t = 20_000)]
    verify_iterations: u32,
    /// Where `sam build` leaves the functions (default: the workspace's .aws-sam/build).
    #[arg(long)]
    sam_build_dir: Option<PathBuf>,
    /// The emulator test's report to include (default: the workspace's target/emulator-report.md).
    #[arg(long)]
    emulator_report: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Only the verification micro-benchmark (no DynamoDB needed): its table on stdout.
    Verify,
    /// Internal: serve the stack under test (the benchmark starts this itself).
    #[command(hide = true)]
    Serve {
        #[arg(long)]
        dynamodb: String,
        #[arg(long)]
        table: String,
    },
}

/// A batch split in two halves, run in turn with another workload's halves.
fn halves(
    mut first: Vec<postbacks::Payment>,
) -> (Arc<Vec<postbacks::Payment>>, Arc<Vec<postbacks::Payment>>) {
    let second = first.split_off(first.len() / 2);
    (Arc::new(first), Arc::new(second))
}

/// A path as the report shows it: relative to the workspace when inside it.
fn shown(path: &Path) -> String {
    let ws = workspace();
    path.strip_prefix(&ws).unwrap_or(path).display().to_string()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let result = match args.command {
        Some(Command::Serve { dynamodb, table }) => stack_process::serve(dynamodb, table).await,
        Some(Command::Verify) => {
            let sandbox = SandboxConfig::default();
            verify::run(&sandbox.postback_keys, args.verify_iterations)
                .map(|r| println!("{}", report::verify_table(&r)))
        }
        None => bench(args).await,
    };
    if let Err(e) = result {
        eprintln!("bench: {e:#}");
        std::process::exit(1);
    }
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let Some(endpoint) = args.dynamodb.clone().filter(|e| !e.is_empty()) else {
        eprintln!(
            "DYNAMODB_ENDPOINT is not set: start DynamoDB Local first \
             (source infra/scripts/services.sh && ensure_dynamodb_local && start_services)"
        );
        std::process::exit(2);
    };
    anyhow::ensure!(
        args.concurrency.len() == args.counts.len(),
        "--concurrency and --counts need the same number of values"
    );
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| workspace().join("target/bench-report.md"));
    let build_dir = args
        .sam_build_dir
        .clone()
        .unwrap_or_else(|| workspace().join(".aws-sam/build"));
    let date = time::OffsetDateTime::now_utc();
    let date = format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        date.year(),
        u8::from(date.month()),
        date.day(),
        date.hour(),
        date.minute()
    );
    let machine = machine::Machine::detect().describe();
    let load_before = machine::load_average();
    let sandbox = SandboxConfig::default();
    let (keys, scheme) = (sandbox.postback_keys.clone(), sandbox.postback_scheme);

    // CPU only, before anything else runs.
    eprintln!("verification micro-benchmark...");
    let verify = verify::run(&keys, args.verify_iterations)?;

    let client = DynamoStore::client(Some(&endpoint)).await;
    let table_name = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    table::create_table_if_missing(&client, &table_name)
        .await
        .context("creating the table")?;
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(client, table_name.clone()));
    eprintln!("starting the stack on table {table_name}...");
    let stack = StackProcess::spawn(&endpoint, &table_name).await?;
    let memory_idle = stack.memory_kib();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .context("HTTP client")?;
    let webhook = format!("{}/v1/postbacks/paykassma", stack.api);

    let mut next_tx: u64 = 100_000_000_000;
    let mut batch = |tag: &str, n: usize| {
        let first = next_tx;
        next_tx += n as u64;
        (tag.to_string(), n, first)
    };

    // Warm-up: connections, the JIT of the Java server, both paths.
    eprintln!("warm-up...");
    for (tag, n, first) in [batch("warm-w", 300), batch("warm-f", 300)] {
        let p = Arc::new(postbacks::prepare(store.clone(), &keys, scheme, &tag, n, first).await?);
        if tag == "warm-w" {
            postbacks::http_load(http.clone(), webhook.clone(), p, 16).await;
        } else {
            postbacks::floor_load(store.clone(), p, 16).await;
        }
    }

    let mut levels = Vec::new();
    for (&c, &n) in args.concurrency.iter().zip(&args.counts) {
        eprintln!("postbacks at concurrency {c}: preparing {n} + {n} deposits...");
        let (tag, _, first) = batch(&format!("f{c}"), n);
        let (floor_a, floor_b) =
            halves(postbacks::prepare(store.clone(), &keys, scheme, &tag, n, first).await?);
        let (tag, _, first) = batch(&format!("w{c}"), n);
        let (web_a, web_b) =
            halves(postbacks::prepare(store.clone(), &keys, scheme, &tag, n, first).await?);
        // Floor, webhook, floor, webhook: drift of the shared server hits both alike.
        eprintln!("postbacks at concurrency {c}: floor / webhook / floor / webhook...");
        let floor = postbacks::floor_load(store.clone(), floor_a.clone(), c).await;
        let cpu_a = stack.cpu_ns();
        let webhook_run =
            postbacks::http_load(http.clone(), webhook.clone(), web_a.clone(), c).await;
        let cpu_a = cpu_a.zip(stack.cpu_ns()).map(|(a, b)| b.saturating_sub(a));
        let floor = floor.merge(postbacks::floor_load(store.clone(), floor_b.clone(), c).await);
        let cpu_b = stack.cpu_ns();
        let webhook_run = webhook_run
            .merge(postbacks::http_load(http.clone(), webhook.clone(), web_b.clone(), c).await);
        let cpu_b = cpu_b.zip(stack.cpu_ns()).map(|(a, b)| b.saturating_sub(a));
        let webhook_cpu_ns = cpu_a.zip(cpu_b).map(|(a, b)| a + b);
        let floor_credited = postbacks::count_credited(store.clone(), floor_a).await
            + postbacks::count_credited(store.clone(), floor_b).await;
        let webhook_credited = postbacks::count_credited(store.clone(), web_a).await
            + postbacks::count_credited(store.clone(), web_b).await;
        levels.push(PostbackLevel {
            concurrency: c,
            webhook: webhook_run,
            webhook_credited,
            webhook_cpu_ns,
            floor,
            floor_credited,
        });
    }

    eprintln!("DynamoDB requests per postback (in process, counted)...");
    let requests_per_postback =
        postbacks::requests_per_postback(&endpoint, &table_name, &keys, scheme, 200).await?;

    eprintln!("{} deposits end to end...", args.e2e_runs);
    let e2e = e2e::run(
        &http,
        &stack.api,
        &stack.sandbox,
        args.e2e_runs,
        std::process::id(),
    )
    .await?;
    let memory_after = stack.memory_kib();
    stack.stop().await;

    let artifacts = artifacts::scan(&build_dir).context("reading the sam build artifacts")?;
    let emulator_path = args
        .emulator_report
        .clone()
        .unwrap_or_else(|| workspace().join("target/emulator-report.md"));
    let emulator = std::fs::read_to_string(&emulator_path)
        .ok()
        .map(|text| (shown(&emulator_path), text));

    let report = Report {
        date,
        machine,
        load_before,
        load_after: machine::load_average(),
        endpoint,
        table: table_name,
        postbacks: levels,
        requests_per_postback,
        verify,
        e2e,
        e2e_runs: args.e2e_runs,
        artifacts,
        build_dir: shown(&build_dir),
        memory_idle,
        memory_after,
        emulator,
    };
    let text = report.markdown();
    println!("{text}");
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&out, &text).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("report written to {}", out.display());
    Ok(())
}
