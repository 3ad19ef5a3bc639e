//! `paykassma-sandbox`: a local Paykassma gateway for development and tests.
//!
//! It serves every endpoint of `shared/PAYKASSMA.md` sections 2-9 with the documented
//! validation and error bodies, keeps its state in memory, sends signed postbacks (retried until
//! the receiver answers HTTP 200 `{"status":"ok"}`), injects faults, and offers control routes
//! under `/_sandbox/` to play the user and the gateway's back office. See the crate README.
//!
//! ```no_run
//! # async fn demo() -> Result<(), paykassma_sandbox::StartError> {
//! let sandbox = paykassma_sandbox::Sandbox::start(paykassma_sandbox::SandboxConfig::default()).await?;
//! println!("gateway at {}", sandbox.api_base());
//! sandbox.stop().await;
//! # Ok(()) }
//! ```
//!
//! Modules: [`config`] (settings), `api` (gateway routes), `control` (`/_sandbox/` routes),
//! `ledger` (credits, savings, settlements), `postbacks` (bodies), `delivery` (retries),
//! `faults`, `server` (accept loop), [`state`] (memory).

mod access_log;
mod api;
mod clock;
pub mod config;
mod control;
mod delivery;
mod faults;
mod input;
mod ledger;
mod postbacks;
mod reply;
mod server;
pub mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::middleware;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{
    BalanceConfig, ConfigFile, DepositKind, Limit, RetryPolicy, SandboxConfig, WalletConfig,
};
pub use state::{Attempt, AttemptStatus, FaultMode};
use state::{Shared, SharedRef, State};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// Entry point: [`Sandbox::start`].
pub struct Sandbox;

impl Sandbox {
    /// Binds `config.host:config.port` (port 0: a free one) and serves until the handle is
    /// stopped or dropped.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, StartError> {
        let addr = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| StartError::Client(e.to_string()))?;
        let base_url = format!("http://{local}");
        let shared: SharedRef = Arc::new(Shared {
            state: Mutex::new(State::new(&config)),
            postback_url: Mutex::new(config.postback_url.clone()),
            config,
            http,
            tasks: Mutex::new(Vec::new()),
            base_url,
        });
        let app = api::router(shared.clone())
            .merge(control::router(shared.clone()))
            .layer(middleware::from_fn_with_state(
                shared.clone(),
                faults::api_faults,
            ))
            .layer(middleware::from_fn(access_log::log_requests));
        let (shutdown, rx) = watch::channel(false);
        let server = tokio::spawn(server::serve(listener, app, rx));
        tracing::info!(addr = %local, "paykassma sandbox listening");
        Ok(SandboxHandle {
            shared,
            addr: local,
            shutdown,
            server: Some(server),
        })
    }
}

/// A running sandbox. Dropping it stops the server too (without waiting).
pub struct SandboxHandle {
    shared: SharedRef,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: control routes live under `/_sandbox/`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// What the client calls `https://api.{server}`: the same origin here.
    pub fn api_base(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// Where postbacks go from now on (`None`: nowhere; attempts fail and are retried).
    pub fn set_postback_url(&self, url: Option<String>) {
        self.shared.set_postback_url(url);
    }

    /// Every delivery attempt so far.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.shared.lock().attempts.clone()
    }

    /// The signed text of every postback produced so far, oldest first.
    pub fn postback_texts(&self) -> Vec<String> {
        self.shared
            .lock()
            .postbacks
            .iter()
            .map(|p| p.text.clone())
            .collect()
    }

    /// The gateway balances as `(wallet_type, currency_code, amount)`.
    pub fn balances(&self) -> Vec<(String, String, rust_decimal::Decimal)> {
        self.shared
            .lock()
            .balances
            .iter()
            .map(|b| (b.wallet_type.clone(), b.currency_code.clone(), b.amount))
            .collect()
    }

    /// A withdrawal as the gateway holds it.
    pub fn withdrawal(&self, withdrawal_id: &str) -> Option<state::Withdrawal> {
        self.shared
            .lock()
            .withdrawals
            .iter()
            .find(|w| w.withdrawal_id == withdrawal_id)
            .cloned()
    }

    /// Every payout the gateway holds under `withdrawal_id` (more than one only when
    /// repeated ids are accepted as new payouts).
    pub fn payouts(&self, withdrawal_id: &str) -> Vec<state::Withdrawal> {
        self.shared
            .lock()
            .withdrawals
            .iter()
            .filter(|w| w.withdrawal_id == withdrawal_id)
            .cloned()
            .collect()
    }

    /// How the sandbox plays the behaviours the documents leave open.
    pub fn set_behaviour(&self, behaviour: state::Behaviour) {
        self.shared.lock().behaviour = behaviour;
    }

    /// The URL behind a `hash-url` hash while it is valid.
    pub fn resolve_hash(&self, hash: &str) -> Option<String> {
        let now = std::time::Instant::now();
        self.shared
            .lock()
            .hashes
            .get(hash)
            .filter(|h| h.expires > now)
            .map(|h| h.url.clone())
    }

    /// Stops accepting, closes open connections and ends background deliveries.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.shared.abort_all();
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.shared.abort_all();
    }
}
