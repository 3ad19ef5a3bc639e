//! `cargo run -p local`: the API on :3000 with the Paykassma sandbox on :3100, in memory
//! (`--dynamodb URL` for DynamoDB Local). Prints a tour of curl commands, runs until Ctrl-C.
//! `--gateway https://api.{server} --plugin https://plugin.{server}` runs the same stack on a
//! real Paykassma server instead of the sandbox, with the four `PAYKASSMA_*` keys from the
//! environment, as the functions read them.

use anyhow::Context;
use clap::Parser;
use local::{GatewayChoice, Stack, StackConfig, StoreChoice};
use paykassma::credentials::EnvProvider;

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
    /// Run reconciliation every this many seconds (0: never).
    #[arg(long, default_value_t = 60)]
    reconcile_seconds: u64,
    /// A real Paykassma API base (`https://api.{server}`) instead of the sandbox; the keys come
    /// from PAYKASSMA_SECRET, PAYKASSMA_WITHDRAWAL_PRIVATE_KEY, PAYKASSMA_POSTBACK_ACCESS_KEY and
    /// PAYKASSMA_POSTBACK_PRIVATE_KEY.
    #[arg(long, value_name = "URL", requires = "plugin")]
    gateway: Option<url::Url>,
    /// The payment window's base with --gateway (`https://plugin.{server}`).
    #[arg(long, value_name = "URL", requires = "gateway")]
    plugin: Option<url::Url>,
    /// An origin whose pages may call the API from a browser (repeat it, or comma-separate
    /// them); the deployed API's `CorsAllowedOrigins`. Default: the checkout page's dev server
    /// (http://127.0.0.1:5173, http://localhost:5173). The page at / is same-origin.
    #[arg(
        long = "cors-origin",
        value_name = "ORIGIN",
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<url::Url>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber_init();
    let args = Args::parse();
    let mut config = StackConfig::quickstart();
    config.port = args.port;
    config.sandbox.port = args.sandbox_port;
    if !args.cors_origins.is_empty() {
        // `Url` prints a bare origin with a trailing `/`, which a browser's Origin never has.
        config.cors_origins = args
            .cors_origins
            .iter()
            .map(|u| u.origin().ascii_serialization())
            .collect();
    }
    config.reconcile_every = (args.reconcile_seconds > 0)
        .then(|| std::time::Duration::from_secs(args.reconcile_seconds));
    config.settings = service::Settings::from_lookup(|name| std::env::var(name).ok())
        .context("settings from the environment")?;
    if let (Some(api_base), Some(plugin_base)) = (args.gateway, args.plugin) {
        let keys = EnvProvider::from_env().context("the gateway keys for --gateway")?;
        config.gateway = GatewayChoice::Remote {
            api_base,
            plugin_base,
            credentials: Box::new(keys.secrets().clone()),
        };
    }
    if let Some(endpoint) = args.dynamodb {
        config.store = StoreChoice::Dynamo {
            endpoint,
            table: args.table,
        };
    }
    let stack = Stack::start(config)
        .await
        .context("starting the local stack")?;
    if stack.has_sandbox() {
        println!("{}", local::tour(&stack.base_url(), &stack.sandbox_url()));
    } else {
        println!(
            "Local stack ready: API {} on the Paykassma server {}. Ctrl-C stops it.\n\
             Postbacks reach it only where the merchant's postback URL points: route that URL \
             (e.g. a tunnel) to {}/v1/postbacks/paykassma.",
            stack.base_url(),
            stack.deps.gateway.config().api_base,
            stack.base_url()
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    stack.stop().await;
    Ok(())
}

fn tracing_subscriber_init() {
    // JSON logs like on Lambda, at RUST_LOG's level (default info). The metric lines (EMF, on
    // stdout) are not log lines: they are printed whatever RUST_LOG says.
    service::telemetry::init();
}
