//! Balances and the ledger in memory.

use async_trait::async_trait;

use super::{MemoryStore, page_of};
use crate::ids::Label;
use crate::store::keys;
use crate::store::{AccountStore, Balance, LedgerEntry, Page, PageRequest, StoreError};

#[async_trait]
impl AccountStore for MemoryStore {
    async fn get_balances(&self, label: &Label) -> Result<Vec<Balance>, StoreError> {
        let st = self.lock();
        Ok(st
            .balances
            .range((label.clone(), "")..)
            .take_while(|((l, _), _)| l == label)
            .map(|(_, (currency, available, held))| Balance {
                currency: *currency,
                available: *available,
                held: *held,
            })
            .collect())
    }

    async fn list_ledger(
        &self,
        label: &Label,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError> {
        let before = page
            .cursor
            .as_deref()
            .map(|c| keys::decode_cursor(c, keys::LEDGER_PREFIX))
            .transpose()?;
        let st = self.lock();
        let Some(entries) = st.ledger.get(label) else {
            keys::check_limit(page.limit)?;
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        page_of(
            entries.iter().rev().map(|(k, e)| (k.clone(), e.clone())),
            &page,
            |k| before.as_deref().is_none_or(|b| k < b),
        )
    }
}
