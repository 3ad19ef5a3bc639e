//! A typed async client for the gateway's API (PAYKASSMA.md sections 2-9), over one
//! `reqwest` client with rustls.
//!
//! - Every call but withdrawal creation carries `?secret=` first in its query; withdrawal
//!   creation is signed with (W) instead.
//! - Amounts are exact: answers are read from their received text (number or string) into
//!   `Decimal`, amounts we send are written as JSON numbers with the decimal's own digits.
//! - Answers are read leniently (unknown fields ignored, optional ones tolerated).
//! - Failures are sorted by what the caller may conclude, see [`Error`]: refused, not sent,
//!   outcome unknown, unreadable. Neither secret ever reaches an error, a log line or
//!   `Debug` output.
//! - Redirects are not followed: a redirect would carry the secret to another URL.
//! - Calls keep to the caller's time budget when it set one ([`deadline`]).

mod balance;
mod catalog;
mod config;
pub mod deadline;
mod deposits;
mod envelope;
mod error;
mod hash_url;
mod postbacks;
mod read;
mod transport;
mod upi_s;
mod withdrawals;

use std::future::Future;
use std::sync::Arc;

pub use balance::GatewayBalance;
pub use catalog::{
    CurrencyData, LIMIT_FAMILIES, Limit, LimitMatch, PaymentSystems, Wallet, WalletHint,
    WalletTypeImage, limit_family,
};
pub use config::{ClientConfig, Paths};
pub use deposits::{
    ActivateOutcome, ActivateRequest, DepositInfo, ManualActivateRequest, PaymentCreated,
    PaymentRequest, Screenshot,
};
pub use error::Error;
pub use hash_url::{HashUrlRequest, HashedUrls, OrderedUrl};
pub use postbacks::{
    FoundPostback, Paginate, PostbackQuery, PullKind, PullOutcome, PullPage, PulledPostback,
};
pub use upi_s::{UpiSPayment, UpiSRequest, UpiSStatus};
pub use withdrawals::{
    LEGACY_WALLET_SENDER, PaymentsDetails, WithdrawalBankDetails, WithdrawalCreated,
    WithdrawalFormat, WithdrawalRequest,
};

/// The gateway client. Cheap to clone (the connection pool and the configuration are
/// shared); `Debug` shows no secret.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
}

impl Client {
    /// Builds the HTTP client (rustls, the configured timeouts, no redirects, no proxy
    /// from the environment).
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("paykassma-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::Request(format!("cannot build the HTTP client: {}", e.without_url()))
            })?;
        Ok(Self {
            http,
            config: Arc::new(config),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Runs an endpoint and scrubs both secrets from whatever error it returns (gateway
    /// messages and body snippets are quoted in errors).
    async fn guarded<T>(&self, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        call.await.map_err(|e| self.scrub(e))
    }

    fn scrub(&self, e: Error) -> Error {
        match e {
            Error::Refused {
                message,
                fields,
                code,
                http_status,
            } => Error::Refused {
                message: self.redact(&message),
                fields: fields
                    .into_iter()
                    .map(|(k, v)| (self.redact(&k), v.iter().map(|t| self.redact(t)).collect()))
                    .collect(),
                code,
                http_status,
            },
            Error::NotFound => Error::NotFound,
            Error::Request(r) => Error::Request(self.redact(&r)),
            Error::Unreachable { reason } => Error::Unreachable {
                reason: self.redact(&reason),
            },
            Error::Unknown {
                reason,
                http_status,
            } => Error::Unknown {
                reason: self.redact(&reason),
                http_status,
            },
            Error::Unreadable {
                http_status,
                reason,
            } => Error::Unreadable {
                http_status,
                reason: self.redact(&reason),
            },
        }
    }
}
