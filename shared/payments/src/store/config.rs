//! Operator switches for payment methods, and small expiring caches (the gateway's method
//! list, redirect-URL hashes, the last reconcile summary).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{MethodSwitch, StoreError};

#[async_trait]
pub trait MethodStore: Send + Sync {
    /// `None` when no operator ever set it (the caller's default applies).
    async fn get_method_enabled(&self, wallet_type: &str) -> Result<Option<bool>, StoreError>;

    async fn set_method_enabled(&self, wallet_type: &str, enabled: bool) -> Result<(), StoreError>;

    /// All switches, by wallet type.
    async fn list_method_switches(&self) -> Result<Vec<MethodSwitch>, StoreError>;
}

#[async_trait]
pub trait CacheStore: Send + Sync {
    /// The cached value, or `None` if absent or expired.
    async fn get_cache(&self, key: &str) -> Result<Option<String>, StoreError>;

    async fn put_cache(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}
