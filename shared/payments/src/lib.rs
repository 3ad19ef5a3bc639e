//! `payments`: the merchant's domain, shared by every function.
//!
//! - [`money`]: exact amounts and supported currencies.
//! - [`ids`]: labels, deposit and withdrawal ids.
//! - [`status`]: deposit and withdrawal state machines.
//! - [`store`]: the `Store` port with DynamoDB and in-memory adapters; an exactly-once ledger.
//! - [`postback_key`]: dedupe keys that make postbacks apply once.
//! - [`secrets`]: the gateway secrets, from Secrets Manager (cached) or the environment.
//! - [`config`]: configuration from the environment, with errors naming the variable.

pub mod config;
pub mod ids;
pub mod money;
pub mod postback_key;
pub mod secrets;
pub mod status;
pub mod store;

pub use ids::{DepositId, IdError, Label, WithdrawalId};
pub use money::{Currency, Money, MoneyError};
pub use status::{DepositStatus, TransitionError, WithdrawalStatus};
pub use store::{Store, StoreError};
