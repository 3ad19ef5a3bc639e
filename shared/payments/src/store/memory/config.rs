//! Method and payout switches and caches in memory.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryStore;
use crate::store::{
    CacheStore, MethodStore, MethodSwitch, PayoutSwitch, StoreError, check_key, check_wallet_type,
};

#[async_trait]
impl MethodStore for MemoryStore {
    async fn get_method_enabled(&self, wallet_type: &str) -> Result<Option<bool>, StoreError> {
        Ok(self.lock().methods.get(wallet_type).map(|m| m.enabled))
    }

    async fn set_method_enabled(&self, wallet_type: &str, enabled: bool) -> Result<(), StoreError> {
        check_wallet_type(wallet_type)?;
        let updated_at = self.now();
        self.lock().methods.insert(
            wallet_type.to_string(),
            MethodSwitch {
                wallet_type: wallet_type.to_string(),
                enabled,
                updated_at,
            },
        );
        Ok(())
    }

    async fn list_method_switches(&self) -> Result<Vec<MethodSwitch>, StoreError> {
        Ok(self.lock().methods.values().cloned().collect())
    }

    async fn get_payout_switch(
        &self,
        payment_system: &str,
    ) -> Result<Option<PayoutSwitch>, StoreError> {
        Ok(self.lock().payouts.get(payment_system).cloned())
    }

    async fn put_payout_switch(
        &self,
        mut switch: PayoutSwitch,
    ) -> Result<PayoutSwitch, StoreError> {
        switch.validate()?;
        switch.updated_at = self.now();
        self.lock()
            .payouts
            .insert(switch.payment_system.clone(), switch.clone());
        Ok(switch)
    }

    async fn list_payout_switches(&self) -> Result<Vec<PayoutSwitch>, StoreError> {
        Ok(self.lock().payouts.values().cloned().collect())
    }
}

#[async_trait]
impl CacheStore for MemoryStore {
    async fn get_cache(&self, key: &str) -> Result<Option<String>, StoreError> {
        let now = self.clock.now();
        let st = self.lock();
        Ok(st
            .cache
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone()))
    }

    async fn put_cache(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        check_key("cache key", key)?;
        self.lock()
            .cache
            .insert(key.to_string(), (value.to_string(), expires_at));
        Ok(())
    }
}
