//! Method switches (`CONFIG/METHOD#<wallet_type>`), payout switches
//! (`CONFIG/PAYOUT#<payment_system>`) and caches (`CACHE#<key>/META`, expired by `ttl`) on
//! DynamoDB.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use payments::store::{
    CacheStore, MethodStore, MethodSwitch, PayoutSwitch, StoreError, check_key, check_wallet_type,
    keys,
};
use time::OffsetDateTime;

use super::DynamoStore;
use super::items::{Reader, key, method_from, payout_from, payout_item, s, t};
use super::table::TTL;

#[async_trait]
impl MethodStore for DynamoStore {
    async fn get_method_enabled(&self, wallet_type: &str) -> Result<Option<bool>, StoreError> {
        Ok(self
            .get(keys::CONFIG.to_string(), &keys::method_sk(wallet_type))
            .await?
            .as_ref()
            .map(method_from)
            .transpose()?
            .map(|m| m.enabled))
    }

    async fn set_method_enabled(&self, wallet_type: &str, enabled: bool) -> Result<(), StoreError> {
        check_wallet_type(wallet_type)?;
        let mut item = key(keys::CONFIG.to_string(), &keys::method_sk(wallet_type));
        item.insert("type".into(), s("method"));
        item.insert("wallet_type".into(), s(wallet_type));
        item.insert("enabled".into(), AttributeValue::Bool(enabled));
        item.insert("updated_at".into(), t(self.now()));
        self.put_item(item, "set method switch").await
    }

    async fn list_method_switches(&self) -> Result<Vec<MethodSwitch>, StoreError> {
        self.query_prefix(
            keys::CONFIG.to_string(),
            keys::METHOD_PREFIX,
            "list method switches",
        )
        .await?
        .iter()
        .map(method_from)
        .collect()
    }

    async fn get_payout_switch(
        &self,
        payment_system: &str,
    ) -> Result<Option<PayoutSwitch>, StoreError> {
        self.get(keys::CONFIG.to_string(), &keys::payout_sk(payment_system))
            .await?
            .as_ref()
            .map(payout_from)
            .transpose()
    }

    async fn put_payout_switch(
        &self,
        mut switch: PayoutSwitch,
    ) -> Result<PayoutSwitch, StoreError> {
        switch.validate()?;
        switch.updated_at = self.now();
        self.put_item(payout_item(&switch), "set payout switch")
            .await?;
        Ok(switch)
    }

    async fn list_payout_switches(&self) -> Result<Vec<PayoutSwitch>, StoreError> {
        self.query_prefix(
            keys::CONFIG.to_string(),
            keys::PAYOUT_PREFIX,
            "list payout switches",
        )
        .await?
        .iter()
        .map(payout_from)
        .collect()
    }
}

#[async_trait]
impl CacheStore for DynamoStore {
    async fn get_cache(&self, key_name: &str) -> Result<Option<String>, StoreError> {
        let Some(item) = self.get(keys::cache_pk(key_name), keys::META).await? else {
            return Ok(None);
        };
        let r = Reader::new(&item);
        if r.time("expires_at")? <= self.clock.now() {
            return Ok(None);
        }
        Ok(Some(r.s("value")?.to_string()))
    }

    async fn put_cache(
        &self,
        key_name: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        check_key("cache key", key_name)?;
        let mut item = key(keys::cache_pk(key_name), keys::META);
        item.insert("type".into(), s("cache"));
        item.insert("value".into(), s(value));
        item.insert("expires_at".into(), t(expires_at));
        item.insert(
            TTL.into(),
            AttributeValue::N(expires_at.unix_timestamp().to_string()),
        );
        self.put_item(item, "put cache").await
    }
}
