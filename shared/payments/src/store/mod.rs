//! The merchant's storage port, in domain verbs, split by the aggregate each verb touches
//! (one trait per file: [`DepositStore`], [`WithdrawalStore`], [`PostbackStore`],
//! [`UnbookedStore`], [`AttentionStore`], [`AccountStore`], [`IdempotencyStore`], [`MethodStore`], [`CacheStore`]); [`Store`] is all of
//! them, used as `Arc<dyn Store>`. Adapters: [`memory::MemoryStore`] here and the DynamoDB one
//! in the `aws-adapters` crate. One contract suite runs against both.
//!
//! Exactly-once rules every adapter keeps:
//! - a credit, a withdrawal with its debit, a refund: each all-or-nothing, guarded by conditions
//!   (postback key not seen, balance covers the amount, status is what we expect);
//! - for every user and currency, the ledger entries sum to `available`, to the cent, and
//!   `held` is the sum of the user's open withdrawals.
//!
//! Call the verbs with `use payments::store::prelude::*;` in scope.

mod accounts;
mod attention;
mod config;
mod deposits;
mod idempotency;
pub mod keys;
pub mod memory;
mod model;
mod postbacks;
mod unbooked;
mod withdrawals;

pub use accounts::AccountStore;
pub use attention::{AttentionStore, MAX_OBSERVATIONS, flagged, validate_flag};
pub use config::{CacheStore, MethodStore};
pub use deposits::DepositStore;
pub use idempotency::IdempotencyStore;
pub use model::*;
pub use postbacks::{MAX_RAW_BODY, PostbackStore};
pub use unbooked::{UnbookedStore, validate_unbooked};
pub use withdrawals::WithdrawalStore;

// The rules every adapter applies before it writes, shared so the adapters cannot disagree:
// each validates its input or plans its effect without touching storage.
pub use deposits::{check_deposit_move, validate_new_deposit};
pub use postbacks::{Plan, credit_effect, validate_postback};
pub use withdrawals::check_withdrawal_mark;

use crate::status::TransitionError;

/// Every verb's trait, to bring them into scope at once.
pub mod prelude {
    pub use super::{
        AccountStore, AttentionStore, CacheStore, DepositStore, IdempotencyStore, MethodStore,
        PostbackStore, Store, UnbookedStore, WithdrawalStore,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} {id} already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("insufficient funds")]
    InsufficientFunds,
    /// The record is not in the state the operation expected (someone else moved it).
    #[error("{what} {id} is {actual}, not {expected}")]
    StateConflict {
        what: &'static str,
        id: String,
        expected: String,
        actual: String,
    },
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Concurrent writers kept cancelling each other; safe to retry later.
    #[error("too much contention on {0}; retry")]
    Contention(String),
    /// A stored item could not be read back as a domain record.
    #[error("corrupt item {key}: {problem}")]
    Corrupt { key: String, problem: String },
    #[error("storage backend: {0}")]
    Backend(String),
}

/// The domain's storage: every aggregate's verbs. Implemented for any type that implements
/// them all, so an adapter implements the per-aggregate traits only. All times are UTC.
pub trait Store:
    DepositStore
    + WithdrawalStore
    + PostbackStore
    + UnbookedStore
    + AttentionStore
    + AccountStore
    + IdempotencyStore
    + MethodStore
    + CacheStore
{
}

impl<T> Store for T where
    T: DepositStore
        + WithdrawalStore
        + PostbackStore
        + UnbookedStore
        + AttentionStore
        + AccountStore
        + IdempotencyStore
        + MethodStore
        + CacheStore
{
}

/// Keys that become part of an item key: non-empty, bounded, printable.
pub fn check_key(what: &str, key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > 512 || key.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} must be 1..=512 bytes without control characters"
        )));
    }
    Ok(())
}

/// A wallet type as a switch key: 1..=190 characters without surrounding spaces.
pub fn check_wallet_type(wallet_type: &str) -> Result<(), StoreError> {
    if wallet_type.is_empty() || wallet_type.len() > 190 || wallet_type.trim() != wallet_type {
        return Err(StoreError::Invalid(
            "wallet_type must be 1..=190 characters without surrounding spaces".into(),
        ));
    }
    Ok(())
}

/// Expiry times are kept to the second (DynamoDB's `ttl` is epoch seconds).
pub fn whole_seconds(t: time::OffsetDateTime) -> time::OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}
