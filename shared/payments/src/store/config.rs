//! Operator switches for payment methods (deposits) and payout methods (with their limits),
//! and small expiring caches (the gateway's method list, redirect-URL hashes, the last
//! reconcile summary).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{MethodSwitch, PayoutSwitch, StoreError};

#[async_trait]
pub trait MethodStore: Send + Sync {
    /// `None` when no operator ever set it (the caller's default applies).
    async fn get_method_enabled(&self, wallet_type: &str) -> Result<Option<bool>, StoreError>;

    async fn set_method_enabled(&self, wallet_type: &str, enabled: bool) -> Result<(), StoreError>;

    /// All switches, by wallet type.
    async fn list_method_switches(&self) -> Result<Vec<MethodSwitch>, StoreError>;

    /// A payout method's switch; `None` when no operator ever set it.
    async fn get_payout_switch(
        &self,
        payment_system: &str,
    ) -> Result<Option<PayoutSwitch>, StoreError>;

    /// Stores `switch` (whole: enabled and every limit), stamped now ([`PayoutSwitch::validate`]
    /// first); returns what was stored.
    async fn put_payout_switch(&self, switch: PayoutSwitch) -> Result<PayoutSwitch, StoreError>;

    /// All payout switches, by payment system.
    async fn list_payout_switches(&self) -> Result<Vec<PayoutSwitch>, StoreError>;
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
