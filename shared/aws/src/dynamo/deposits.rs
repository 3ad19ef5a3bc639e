//! Deposits on DynamoDB: `DEPOSIT#<id>/META`, in the open-work index until terminal and in
//! the history index (by `label`, `created_at`) always.

use async_trait::async_trait;
use payments::store::{
    Deposit, DepositStore, DepositUpdate, NewDeposit, Page, PageRequest, StoreError,
    check_deposit_move, keys, validate_new_deposit,
};
use payments::{DepositId, DepositStatus, Label};
use time::OffsetDateTime;

use super::DynamoStore;
use super::items::{deposit_from, deposit_item, n, page_of, s};
use super::tx::StatusMove;

impl DynamoStore {
    /// Reads the deposit and tells a missing one from one in another state.
    pub(super) async fn deposit_conflict(
        &self,
        id: &DepositId,
        expected: DepositStatus,
    ) -> StoreError {
        match self.get_deposit(id).await {
            Ok(None) => StoreError::NotFound {
                what: "deposit",
                id: id.to_string(),
            },
            Ok(Some(d)) => StoreError::StateConflict {
                what: "deposit",
                id: id.to_string(),
                expected: expected.to_string(),
                actual: d.status.to_string(),
            },
            Err(e) => e,
        }
    }
}

#[async_trait]
impl DepositStore for DynamoStore {
    async fn create_deposit(&self, d: NewDeposit) -> Result<Deposit, StoreError> {
        validate_new_deposit(&d)?;
        let dep = Deposit::pending(d);
        if self
            .put_new(deposit_item(&dep, self.open_shards), "create deposit")
            .await?
        {
            Ok(dep)
        } else {
            Err(StoreError::AlreadyExists {
                what: "deposit",
                id: dep.id.to_string(),
            })
        }
    }

    async fn get_deposit(&self, id: &DepositId) -> Result<Option<Deposit>, StoreError> {
        self.get(keys::deposit_pk(id), keys::META)
            .await?
            .as_ref()
            .map(deposit_from)
            .transpose()
    }

    async fn update_deposit_status(
        &self,
        id: &DepositId,
        from: DepositStatus,
        to: DepositStatus,
        update: DepositUpdate,
    ) -> Result<Deposit, StoreError> {
        check_deposit_move(from, to)?;
        let mut extra = Vec::new();
        if let Some(k) = update.activation_key {
            extra.push(("activation_key", s(k)));
        }
        if let Some(m) = update.message {
            extra.push(("message", s(m)));
        }
        if let Some(a) = update.attempts {
            extra.push(("attempts", n(rust_decimal::Decimal::from(a))));
        }
        let mv = StatusMove {
            pk: keys::deposit_pk(id),
            from: from.as_str(),
            to: to.as_str(),
            extra,
            close: to.is_terminal(),
        };
        match self.move_status(mv, self.now()).await? {
            Ok(item) => deposit_from(&item),
            Err(()) => Err(self.deposit_conflict(id, from).await),
        }
    }

    async fn list_user_deposits(
        &self,
        label: &Label,
        status: Option<DepositStatus>,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError> {
        let scope = keys::HistoryScope::deposits(label, status);
        let (items, next) = self.list_history(&scope, &page).await?;
        page_of(&items, next, deposit_from)
    }

    fn open_shards(&self) -> keys::OpenShards {
        self.open_shards
    }

    async fn list_open_deposits(
        &self,
        shard: keys::OpenShard,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError> {
        let pk_of = |id: &str| format!("DEPOSIT#{id}");
        let partition = keys::open_pk(keys::OPEN_DEPOSITS, shard);
        let (items, next) = self.list_open(&partition, pk_of, older_than, &page).await?;
        page_of(&items, next, deposit_from)
    }
}
