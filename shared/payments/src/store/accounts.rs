//! A user's money: balances per currency and the ledger that explains them.

use async_trait::async_trait;

use super::{Balance, LedgerEntry, Page, PageRequest, StoreError};
use crate::ids::Label;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// The user's balances, one per currency ever credited, by currency code.
    async fn get_balances(&self, label: &Label) -> Result<Vec<Balance>, StoreError>;

    /// The user's ledger, newest first.
    async fn list_ledger(
        &self,
        label: &Label,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError>;
}
