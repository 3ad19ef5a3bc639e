//! Deposits in memory.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{MemoryStore, conflict, history_page, open_page};
use crate::ids::{DepositId, Label};
use crate::status::DepositStatus;
use crate::store::{
    Deposit, DepositStore, DepositUpdate, NewDeposit, Page, PageRequest, StoreError,
    check_deposit_move, keys, validate_new_deposit,
};

#[async_trait]
impl DepositStore for MemoryStore {
    async fn create_deposit(&self, d: NewDeposit) -> Result<Deposit, StoreError> {
        validate_new_deposit(&d)?;
        let mut st = self.lock();
        if st.deposits.contains_key(&d.id) {
            return Err(StoreError::AlreadyExists {
                what: "deposit",
                id: d.id.to_string(),
            });
        }
        let dep = Deposit::pending(d);
        st.deposits.insert(dep.id.clone(), dep.clone());
        Ok(dep)
    }

    async fn get_deposit(&self, id: &DepositId) -> Result<Option<Deposit>, StoreError> {
        Ok(self.lock().deposits.get(id).cloned())
    }

    async fn update_deposit_status(
        &self,
        id: &DepositId,
        from: DepositStatus,
        to: DepositStatus,
        update: DepositUpdate,
    ) -> Result<Deposit, StoreError> {
        check_deposit_move(from, to)?;
        let at = self.now();
        let mut st = self.lock();
        let d = match st.deposits.get_mut(id) {
            Some(d) if d.status == from => d,
            other => {
                let actual = other.map(|d| d.status.as_str());
                return Err(conflict("deposit", id.as_str(), from.as_str(), actual));
            }
        };
        d.status = to;
        if update.activation_key.is_some() {
            d.activation_key = update.activation_key;
        }
        if update.message.is_some() {
            d.message = update.message;
        }
        if let Some(n) = update.attempts {
            d.attempts = n;
        }
        d.updated_at = at;
        Ok(d.clone())
    }

    async fn list_user_deposits(
        &self,
        label: &Label,
        status: Option<DepositStatus>,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError> {
        let scope = keys::HistoryScope::deposits(label, status);
        let st = self.lock();
        let records = st
            .deposits
            .values()
            .filter(|d| d.label == *label && status.is_none_or(|s| d.status == s))
            .map(|d| (d.created_at, d.id.as_str().to_string(), d.clone()));
        history_page(records, &scope, &page)
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
        let st = self.lock();
        let in_shard = |id: &DepositId| self.open_shards.of(id.as_str()) == shard;
        let records = st.deposits.values().filter(|d| in_shard(&d.id)).map(|d| {
            (
                d.created_at,
                d.id.as_str().to_string(),
                d.status.is_terminal(),
                d.clone(),
            )
        });
        open_page(records, older_than, &page)
    }
}
