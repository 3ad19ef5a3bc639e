//! Stored first answers for `Idempotency-Key`s.

use async_trait::async_trait;

use super::{IdempotencyPut, IdempotencyRecord, StoreError};

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// First write wins: stores `record` unless an unexpired record for (scope, key) exists,
    /// which is returned instead.
    async fn put_idempotency(
        &self,
        record: IdempotencyRecord,
    ) -> Result<IdempotencyPut, StoreError>;

    /// The unexpired record for (scope, key), if any.
    async fn get_idempotency(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
}
