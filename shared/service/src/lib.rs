//! `service`: the merchant's application layer. Use cases that combine the [`payments`] store
//! with the [`paykassma`] gateway client, and the HTTP plumbing every function's axum router
//! shares. Function crates only wire routes to these.

pub mod account;
pub mod admin;
pub mod bootstrap;
pub mod config;
pub mod deposits;
pub mod deps;
pub mod http;
pub mod methods;
pub mod metrics;
pub mod postback_key;
pub mod postbacks;
pub mod reconcile;
pub mod settings;
pub mod telemetry;
pub mod verdicts;
pub mod withdrawals;

pub use deps::{Deps, DepsBuilder};
pub use http::ApiError;
pub use settings::Settings;
