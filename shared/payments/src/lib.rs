//! `payments`: the merchant's domain, shared by every function.
//!
//! - [`money`]: exact amounts and supported currencies.
//! - [`ids`]: labels, deposit and withdrawal ids.
//! - [`status`]: deposit and withdrawal state machines.
//! - [`store`]: the `Store` port (one trait per aggregate) and its in-memory adapter; an
//!   exactly-once ledger. The DynamoDB adapter lives in `aws-adapters`.
//! - [`clock`]: time as a dependency.

pub mod clock;
pub mod ids;
pub mod money;
pub mod status;
pub mod store;

pub use ids::{DepositId, IdError, Label, WithdrawalId};
pub use money::{Currency, Money, MoneyError};
pub use status::{DepositStatus, StateMachine, TransitionError, WithdrawalStatus};
pub use store::{Store, StoreError};
