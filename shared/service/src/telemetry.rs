//! Logging setup: JSON lines (CloudWatch-friendly) with the level from `RUST_LOG`
//! (default `info`). Called once per cold start by every function's `main`.

use tracing_subscriber::EnvFilter;

/// Installs the global JSON subscriber; a second call is a no-op.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        // Lambda adds its own timestamp to every line.
        .without_time()
        .try_init();
}
