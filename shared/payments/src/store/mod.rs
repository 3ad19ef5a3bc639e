//! The merchant's storage port: a [`Store`] trait in domain verbs, with a DynamoDB adapter
//! ([`dynamo::DynamoStore`]) and an in-memory one ([`memory::MemoryStore`]) that keep the same
//! semantics (one contract test suite runs against both).
//!
//! Exactly-once rules every adapter keeps:
//! - a credit, a withdrawal with its debit, a refund: each all-or-nothing, guarded by conditions
//!   (postback key not seen, balance covers the amount, status is what we expect);
//! - for every user and currency, the ledger entries sum to `available`, to the cent, and
//!   `held` is the sum of the user's open withdrawals.

pub mod dynamo;
pub mod keys;
pub mod memory;
mod model;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use model::*;

use crate::ids::{DepositId, Label, WithdrawalId};
use crate::status::{DepositStatus, TransitionError, WithdrawalStatus};

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

/// The domain's storage. Used as `Arc<dyn Store>`. All times are UTC.
#[async_trait]
pub trait Store: Send + Sync {
    // ---- deposits ----

    /// Records a new `Pending` deposit. `AlreadyExists` if the id is taken (ids never repeat).
    async fn create_deposit(&self, deposit: NewDeposit) -> Result<Deposit, StoreError>;

    async fn get_deposit(&self, id: &DepositId) -> Result<Option<Deposit>, StoreError>;

    /// Moves a deposit `from -> to` (not a crediting move: use `apply_deposit_postback`).
    /// An illegal move is `Transition`; a deposit no longer in `from` is `StateConflict`.
    async fn update_deposit_status(
        &self,
        id: &DepositId,
        from: DepositStatus,
        to: DepositStatus,
        update: DepositUpdate,
    ) -> Result<Deposit, StoreError>;

    /// Credits a verified deposit postback exactly once, atomically: records the postback
    /// (its dedupe key must be new), adds to the balance, appends the ledger entry and, when
    /// the deposit exists and can take it, moves it to `Credited` (or `AmountMismatch` when
    /// what was paid differs from the order: what was paid is credited).
    async fn apply_deposit_postback(
        &self,
        credit: DepositCredit,
    ) -> Result<CreditOutcome, StoreError>;

    /// Open deposits created before `older_than`, oldest first (sparse index: only non-terminal).
    async fn list_open_deposits(
        &self,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError>;

    // ---- withdrawals ----

    /// Creates a `Pending` withdrawal and debits it atomically (available -= amount,
    /// held += amount, ledger entry). `InsufficientFunds` (nothing changed) when `available`
    /// does not cover it; `AlreadyExists` when the id is taken (nothing debited twice).
    async fn create_withdrawal_with_debit(
        &self,
        withdrawal: NewWithdrawal,
    ) -> Result<Withdrawal, StoreError>;

    async fn get_withdrawal(&self, id: &WithdrawalId) -> Result<Option<Withdrawal>, StoreError>;

    /// A non-money move (`-> Submitted | Unknown`); final states go through
    /// `finish_withdrawal` / `refund_withdrawal`. Guarded like `update_deposit_status`.
    async fn mark_withdrawal(
        &self,
        id: &WithdrawalId,
        from: WithdrawalStatus,
        to: WithdrawalStatus,
        gateway_message: Option<String>,
    ) -> Result<Withdrawal, StoreError>;

    /// Paid out: status `Processed`, held released, exactly once (`AlreadyApplied` if it already
    /// is; `StateConflict` if it was refunded).
    async fn finish_withdrawal(&self, id: &WithdrawalId) -> Result<SettleOutcome, StoreError>;

    /// Not paid: status `Rejected`, the amount back to `available` with a ledger entry, exactly
    /// once (`AlreadyApplied` if already refunded; `StateConflict` if it was paid).
    async fn refund_withdrawal(
        &self,
        id: &WithdrawalId,
        reason: &str,
    ) -> Result<SettleOutcome, StoreError>;

    /// Open withdrawals created before `older_than`, oldest first.
    async fn list_open_withdrawals(
        &self,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError>;

    // ---- postbacks ----

    /// Keeps a (withdrawal) postback for audit; `true` if its dedupe key is new, `false` for a
    /// repeat (nothing written). The status change itself goes through finish/refund, whose
    /// guards make repeats harmless.
    async fn record_postback(&self, record: PostbackRecord) -> Result<bool, StoreError>;

    async fn get_postback(&self, dedupe_key: &str) -> Result<Option<PostbackRecord>, StoreError>;

    // ---- idempotency ----

    /// First write wins: stores `record` unless an unexpired record for (scope, key) exists,
    /// which is returned instead.
    async fn put_idempotency(
        &self,
        record: IdempotencyRecord,
    ) -> Result<IdempotencyPut, StoreError>;

    /// The unexpired record for (scope, key), if any.
    async fn get_idempotency(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    // ---- method switches ----

    /// `None` when no operator ever set it (the caller's default applies).
    async fn get_method_enabled(&self, wallet_type: &str) -> Result<Option<bool>, StoreError>;

    async fn set_method_enabled(&self, wallet_type: &str, enabled: bool) -> Result<(), StoreError>;

    /// All switches, by wallet type.
    async fn list_method_switches(&self) -> Result<Vec<MethodSwitch>, StoreError>;

    // ---- caches ----

    /// The cached value, or `None` if absent or expired.
    async fn get_cache(&self, key: &str) -> Result<Option<String>, StoreError>;

    async fn put_cache(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    // ---- balances and ledger ----

    /// The user's balances, one per currency ever credited, by currency code.
    async fn get_balances(&self, label: &Label) -> Result<Vec<Balance>, StoreError>;

    /// The user's ledger, newest first.
    async fn list_ledger(
        &self,
        label: &Label,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError>;
}

/// Checks a guarded move before touching storage.
pub(crate) fn check_deposit_move(from: DepositStatus, to: DepositStatus) -> Result<(), StoreError> {
    if to == DepositStatus::Credited || to == DepositStatus::AmountMismatch {
        return Err(StoreError::Invalid(format!(
            "deposit status {to} is set by apply_deposit_postback only (it credits money)"
        )));
    }
    from.transition(to)?;
    Ok(())
}

pub(crate) fn check_withdrawal_mark(
    from: WithdrawalStatus,
    to: WithdrawalStatus,
) -> Result<(), StoreError> {
    if to.is_terminal() {
        return Err(StoreError::Invalid(format!(
            "withdrawal status {to} is set by finish_withdrawal/refund_withdrawal only (it moves money)"
        )));
    }
    from.transition(to)?;
    Ok(())
}

/// What a credit should do to the deposit it names; shared by both adapters so they decide
/// alike.
pub(crate) fn credit_effect(deposit: Option<&Deposit>, credit: &DepositCredit) -> Plan {
    let Some(d) = deposit else {
        return match &credit.deposit_id {
            None => Plan::NoDeposit,
            Some(id) => Plan::Untouched(id.clone(), UntouchedReason::NotFound),
        };
    };
    if d.label != credit.label {
        return Plan::Untouched(d.id.clone(), UntouchedReason::LabelMismatch);
    }
    if !d.status.accepts_credit() {
        return Plan::Untouched(d.id.clone(), UntouchedReason::Final(d.status));
    }
    let matches = d.currency == credit.money.currency()
        && d.amount.is_none_or(|ordered| ordered == credit.money);
    let to = if matches {
        DepositStatus::Credited
    } else {
        DepositStatus::AmountMismatch
    };
    Plan::Move {
        id: d.id.clone(),
        from: d.status,
        to,
    }
}

pub(crate) enum Plan {
    NoDeposit,
    Untouched(DepositId, UntouchedReason),
    Move {
        id: DepositId,
        from: DepositStatus,
        to: DepositStatus,
    },
}

impl Plan {
    pub(crate) fn effect(&self) -> DepositEffect {
        match self {
            Plan::NoDeposit => DepositEffect::NoDeposit,
            Plan::Untouched(id, reason) => DepositEffect::Untouched {
                id: id.clone(),
                reason: reason.clone(),
            },
            Plan::Move { id, from, to } => DepositEffect::Updated {
                id: id.clone(),
                from: *from,
                to: *to,
            },
        }
    }
}

pub(crate) fn validate_new_deposit(d: &NewDeposit) -> Result<(), StoreError> {
    if let Some(m) = &d.amount
        && m.currency() != d.currency
    {
        return Err(StoreError::Invalid(format!(
            "deposit amount in {} but currency {}",
            m.currency(),
            d.currency
        )));
    }
    if d.wallet_type.trim().is_empty() {
        return Err(StoreError::Invalid("wallet_type must not be empty".into()));
    }
    Ok(())
}

/// Postback bodies kept for audit must fit in one item (DynamoDB's limit is 400 KB).
pub const MAX_RAW_BODY: usize = 256 * 1024;

/// Keys that become part of an item key: non-empty, bounded, printable.
pub(crate) fn check_key(what: &str, key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > 512 || key.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} must be 1..=512 bytes without control characters"
        )));
    }
    Ok(())
}

pub(crate) fn validate_postback(dedupe_key: &str, raw_body: &str) -> Result<(), StoreError> {
    check_key("postback dedupe key", dedupe_key)?;
    if raw_body.len() > MAX_RAW_BODY {
        return Err(StoreError::Invalid(format!(
            "postback body over {MAX_RAW_BODY} bytes"
        )));
    }
    Ok(())
}

pub(crate) fn new_entry_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
