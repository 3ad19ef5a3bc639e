//! Idempotency records in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::store::keys::trunc_micros;
use crate::store::{
    IdempotencyPut, IdempotencyRecord, IdempotencyStore, StoreError, check_key, whole_seconds,
};

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn put_idempotency(
        &self,
        record: IdempotencyRecord,
    ) -> Result<IdempotencyPut, StoreError> {
        check_key("idempotency scope", &record.scope)?;
        check_key("idempotency key", &record.key)?;
        let now = self.clock.now();
        let mut st = self.lock();
        let k = (record.scope.clone(), record.key.clone());
        if let Some(existing) = st.idempotency.get(&k)
            && existing.expires_at > now
        {
            return Ok(IdempotencyPut::Existing(existing.clone()));
        }
        let record = IdempotencyRecord {
            created_at: trunc_micros(record.created_at),
            expires_at: whole_seconds(record.expires_at),
            ..record
        };
        st.idempotency.insert(k, record);
        Ok(IdempotencyPut::Stored)
    }

    async fn get_idempotency(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let now = self.clock.now();
        let st = self.lock();
        Ok(st
            .idempotency
            .get(&(scope.to_string(), key.to_string()))
            .filter(|r| r.expires_at > now)
            .cloned())
    }
}
