//! `paykassma-sandbox`: runs the local gateway until Ctrl-C. Flags override the config file.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use paykassma::Secret;
use paykassma::signature::Scheme;
use paykassma_sandbox::{ConfigFile, Sandbox, SandboxConfig};

#[derive(Parser, Debug)]
#[command(
    name = "paykassma-sandbox",
    about = "A local Paykassma gateway for development and tests"
)]
struct Args {
    /// JSON configuration file (see the README); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Port to listen on (0: any free port).
    #[arg(long, env = "SANDBOX_PORT")]
    port: Option<u16>,
    /// Interface to bind.
    #[arg(long)]
    host: Option<String>,
    /// Where postbacks are delivered.
    #[arg(long, env = "SANDBOX_POSTBACK_URL")]
    postback_url: Option<String>,
    /// pluginapi_secret expected in `?secret=`.
    #[arg(long, env = "SANDBOX_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Key of the (W) withdrawal signature.
    #[arg(long, env = "SANDBOX_WITHDRAWAL_KEY", hide_env_values = true)]
    withdrawal_private_key: Option<String>,
    /// postback_access_key.
    #[arg(long, env = "SANDBOX_POSTBACK_ACCESS_KEY", hide_env_values = true)]
    postback_access_key: Option<String>,
    /// postback_private_key.
    #[arg(long, env = "SANDBOX_POSTBACK_PRIVATE_KEY", hide_env_values = true)]
    postback_private_key: Option<String>,
    /// Postback signature: postback (P) or request (W).
    #[arg(long)]
    postback_scheme: Option<Scheme>,
    /// Settle withdrawals automatically after this many milliseconds.
    #[arg(long)]
    withdrawal_auto_settle_ms: Option<u64>,
    /// First retry delay of postbacks, in milliseconds.
    #[arg(long)]
    retry_initial_ms: Option<u64>,
    /// Longest retry delay, in milliseconds.
    #[arg(long)]
    retry_max_ms: Option<u64>,
    /// Most delivery attempts per postback (0: unlimited).
    #[arg(long)]
    retry_max_attempts: Option<u32>,
    /// key1 prefix that makes an activation suspect.
    #[arg(long)]
    suspect_key1_prefix: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = build_config(Args::parse())?;
    let sandbox = Sandbox::start(config).await?;
    println!("paykassma-sandbox listening on {}", sandbox.base_url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sandbox.stop().await;
    Ok(())
}

/// Defaults (port 3100), then the config file, then the flags.
fn build_config(args: Args) -> anyhow::Result<SandboxConfig> {
    let mut config = SandboxConfig {
        port: 3100,
        ..SandboxConfig::default()
    };
    if let Some(path) = &args.config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: ConfigFile =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        config = file.apply(config);
    }
    if let Some(v) = args.port {
        config.port = v;
    }
    if let Some(v) = args.host {
        config.host = v;
    }
    if args.postback_url.is_some() {
        config.postback_url = args.postback_url;
    }
    if let Some(v) = args.secret {
        config.secret = Secret::new(v);
    }
    if let Some(v) = args.withdrawal_private_key {
        config.withdrawal_private_key = Secret::new(v);
    }
    if let Some(v) = args.postback_access_key {
        config.postback_keys.access_key = Secret::new(v);
    }
    if let Some(v) = args.postback_private_key {
        config.postback_keys.private_key = Secret::new(v);
    }
    if let Some(v) = args.postback_scheme {
        config.postback_scheme = v;
    }
    if let Some(v) = args.withdrawal_auto_settle_ms {
        config.withdrawal_auto_settle = Some(Duration::from_millis(v));
    }
    if let Some(v) = args.retry_initial_ms {
        config.retry.initial = Duration::from_millis(v);
    }
    if let Some(v) = args.retry_max_ms {
        config.retry.max = Duration::from_millis(v);
    }
    if let Some(v) = args.retry_max_attempts {
        config.retry.max_attempts = v;
    }
    if let Some(v) = args.suspect_key1_prefix {
        config.suspect_key1_prefix = v;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_the_defaults() {
        let path = std::env::temp_dir().join(format!("sandbox-cfg-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"port":4000,"secret":"from-file","suspect_key1_prefix":"8888","retry_max_attempts":3}"#).unwrap();
        let args = Args::try_parse_from([
            "paykassma-sandbox",
            "--config",
            path.to_str().unwrap(),
            "--port",
            "4100",
            "--postback-url",
            "http://127.0.0.1:3000/pb",
            "--postback-scheme",
            "request",
            "--withdrawal-auto-settle-ms",
            "250",
        ])
        .unwrap();
        let config = build_config(args).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(config.port, 4100);
        assert!(config.secret.ct_eq("from-file"));
        assert_eq!(config.suspect_key1_prefix, "8888");
        assert_eq!(config.retry.max_attempts, 3);
        assert_eq!(
            config.postback_url.as_deref(),
            Some("http://127.0.0.1:3000/pb")
        );
        assert_eq!(config.postback_scheme, Scheme::Request);
        assert_eq!(
            config.withdrawal_auto_settle,
            Some(Duration::from_millis(250))
        );
        let defaults = build_config(Args::try_parse_from(["paykassma-sandbox"]).unwrap()).unwrap();
        assert_eq!(defaults.port, 3100);
        assert!(defaults.postback_url.is_none());
    }

    #[test]
    fn a_broken_config_file_is_an_error() {
        let args =
            Args::try_parse_from(["paykassma-sandbox", "--config", "/nonexistent/sandbox.json"])
                .unwrap();
        assert!(build_config(args).is_err());
    }
}
