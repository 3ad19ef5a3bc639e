//! `cargo run -p local`: the API on :3000 with the Paykassma sandbox on :3100, in memory
//! (`--dynamodb URL` for DynamoDB Local). Prints a tour of curl commands, runs until Ctrl-C.

use anyhow::Context;
use clap::Parser;
use local::{Stack, StackConfig, StoreChoice};
use payments::Label;

#[derive(Parser, Debug)]
#[command(
    name = "local",
    about = "The merchant API and a Paykassma sandbox on your machine"
)]
struct Args {
    /// API port.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Sandbox (gateway) port.
    #[arg(long, default_value_t = 3100)]
    sandbox_port: u16,
    /// DynamoDB endpoint (e.g. http://127.0.0.1:8000); in-memory store when absent.
    #[arg(long, value_name = "URL")]
    dynamodb: Option<String>,
    /// Table name with --dynamodb (created when missing).
    #[arg(long, default_value = "paykassma-local")]
    table: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber_init();
    let args = Args::parse();
    let mut config = StackConfig::quickstart();
    config.port = args.port;
    config.sandbox.port = args.sandbox_port;
    config.settings = service::Settings::from_env().context("settings from the environment")?;
    if let Some(endpoint) = args.dynamodb {
        config.store = StoreChoice::Dynamo {
            endpoint,
            table: args.table,
        };
    }
    let stack = Stack::start(config)
        .await
        .context("starting the local stack")?;
    println!("{}", tour(&stack)?);
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    stack.stop().await;
    Ok(())
}

fn tracing_subscriber_init() {
    // JSON logs like on Lambda; RUST_LOG=warn quiets them.
    service::telemetry::init();
}

/// The tour: a UPI P2P deposit credited end to end.
fn tour(stack: &Stack) -> anyhow::Result<String> {
    let label = Label::parse("alice").context("tour label")?;
    let id = service::deposits::create::derived_id(&label, "tour-1")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let api = stack.base_url();
    let sandbox = stack.sandbox_url();
    let id = id.as_str();
    Ok(format!(
        r#"
Local stack ready: API {api}, Paykassma sandbox {sandbox}. Ctrl-C stops it.
Locally the header X-Dev-User names the user (on Lambda: the JWT claim).

Tour: a UPI deposit of 500.00 INR, credited end to end.

  # 1. the methods alice may use
  curl -s '{api}/v1/payment-methods?currency=INR' -H 'X-Dev-User: alice'

  # 2. create a deposit (answer: its id {id} and the UPI id to pay to)
  curl -s -X POST {api}/v1/deposits -H 'X-Dev-User: alice' -H 'Idempotency-Key: tour-1' \
       -H 'Content-Type: application/json' -d '{{"wallet_type":"upi_l","amount":"500.00","currency":"INR"}}'

  # 3. alice pays in her UPI app (played by the sandbox); her UTR is 123456789012
  curl -s -X POST {sandbox}/_sandbox/payments -H 'Content-Type: application/json' \
       -d '{{"wallet_type":"upi_l","key1":"123456789012","amount":"500.00","currency_code":"INR"}}'

  # 4. she activates the deposit with the UTR; the gateway's postback credits it
  curl -s -X POST {api}/v1/deposits/{id}/activate -H 'X-Dev-User: alice' \
       -H 'Content-Type: application/json' -d '{{"key1":"123456789012"}}'

  # 5. the deposit, the balance and the ledger
  curl -s {api}/v1/deposits/{id} -H 'X-Dev-User: alice'
  curl -s {api}/v1/balance -H 'X-Dev-User: alice'
  curl -s {api}/v1/ledger -H 'X-Dev-User: alice'
"#
    ))
}
