//! Deposits: create, read, guarded status moves, the user's history and the open-work listing
//! reconciliation reads. Crediting moves go through [`super::PostbackStore`] only (they move money).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::keys::{OpenShard, OpenShards};
use super::{Deposit, DepositUpdate, NewDeposit, Page, PageRequest, StoreError};
use crate::ids::{DepositId, Label};
use crate::status::{DepositStatus, StateMachine};

#[async_trait]
pub trait DepositStore: Send + Sync {
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

    /// `label`'s deposits, newest first (creation time, then id), of every status or of
    /// `status` only. The cursor is bound to the label, the list and the filter
    /// ([`super::keys::HistoryScope`]): one from another user, list or filter is `Invalid`.
    async fn list_user_deposits(
        &self,
        label: &Label,
        status: Option<DepositStatus>,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError>;

    /// The open-work index's shards (deposits and withdrawals alike).
    fn open_shards(&self) -> OpenShards;

    /// Open deposits of `shard` created before `older_than`, oldest first (sparse index: only
    /// non-terminal). Every shard of [`Self::open_shards`] together holds them all.
    async fn list_open_deposits(
        &self,
        shard: OpenShard,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError>;
}

/// Checks a guarded move before touching storage.
pub fn check_deposit_move(from: DepositStatus, to: DepositStatus) -> Result<(), StoreError> {
    if to == DepositStatus::Credited || to == DepositStatus::AmountMismatch {
        return Err(StoreError::Invalid(format!(
            "deposit status {to} is set by apply_deposit_postback only (it credits money)"
        )));
    }
    from.transition(to)?;
    Ok(())
}

pub fn validate_new_deposit(d: &NewDeposit) -> Result<(), StoreError> {
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
