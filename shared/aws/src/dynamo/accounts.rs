//! Balances (`USER#<label>/BALANCE#<cur>`) and the ledger (`USER#<label>/LEDGER#<time>#<id>`)
//! on DynamoDB.

use async_trait::async_trait;
use payments::Label;
use payments::store::{AccountStore, Balance, LedgerEntry, Page, PageRequest, StoreError, keys};

use super::DynamoStore;
use super::items::{balance_from, key, ledger_from, page_of, s};
use super::table::SK;
use super::tx::values;

#[async_trait]
impl AccountStore for DynamoStore {
    async fn get_balances(&self, label: &Label) -> Result<Vec<Balance>, StoreError> {
        self.query_prefix(keys::user_pk(label), keys::BALANCE_PREFIX, "get balances")
            .await?
            .iter()
            .map(balance_from)
            .collect()
    }

    async fn list_ledger(
        &self,
        label: &Label,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError> {
        let pk = keys::user_pk(label);
        let start = page
            .cursor
            .as_deref()
            .map(|c| keys::decode_cursor(c, keys::LEDGER_PREFIX))
            .transpose()?
            .map(|sk| key(pk.clone(), &sk));
        let (items, next) = self
            .query_page(
                None,
                "PK = :pk AND begins_with(SK, :prefix)",
                values([(":pk", s(pk.clone())), (":prefix", s(keys::LEDGER_PREFIX))]),
                false,
                page.limit,
                start,
                SK,
            )
            .await?;
        page_of(&items, next, ledger_from)
    }
}
