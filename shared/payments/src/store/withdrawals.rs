//! Withdrawals: created together with their debit, moved through their non-money states,
//! settled (paid or refunded) exactly once, and listed as the user's history.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::keys::OpenShard;
use super::{NewWithdrawal, Page, PageRequest, SettleOutcome, StoreError, Withdrawal};
use crate::ids::{Label, WithdrawalId};
use crate::status::{StateMachine, WithdrawalStatus};

#[async_trait]
pub trait WithdrawalStore: Send + Sync {
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

    /// `label`'s withdrawals, newest first (creation time, then id), of every status or of
    /// `status` only; the cursor is bound like [`super::DepositStore::list_user_deposits`]'s.
    async fn list_user_withdrawals(
        &self,
        label: &Label,
        status: Option<WithdrawalStatus>,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError>;

    /// Open withdrawals of `shard` created before `older_than`, oldest first (the shards are
    /// the deposits' [`super::DepositStore::open_shards`]).
    async fn list_open_withdrawals(
        &self,
        shard: OpenShard,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError>;
}

pub fn check_withdrawal_mark(
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
