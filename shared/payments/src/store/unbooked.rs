//! Unbooked postbacks: verified payments we hold but cannot book automatically (more decimals
//! than the currency allows, a currency we do not keep, an order that cannot take it, an owner
//! the gateway has not confirmed yet). Recorded before the gateway is answered, listed for an
//! operator, and closed exactly once.

use async_trait::async_trait;

use super::{Page, PageRequest, Resolution, StoreError, UnbookedPostback, check_key};

#[async_trait]
pub trait UnbookedStore: Send + Sync {
    /// Keeps `postback` (state `Open`); `false` when its key is already recorded (the first
    /// record stays, open or closed).
    async fn record_unbooked(&self, postback: UnbookedPostback) -> Result<bool, StoreError>;

    async fn get_unbooked(&self, key: &str) -> Result<Option<UnbookedPostback>, StoreError>;

    /// The open ones, oldest first.
    async fn list_unbooked(&self, page: &PageRequest)
    -> Result<Page<UnbookedPostback>, StoreError>;

    /// Closes an open one with `resolution`: `NotFound`, or `StateConflict` when it was
    /// closed already (nothing changes then).
    async fn close_unbooked(
        &self,
        key: &str,
        resolution: Resolution,
    ) -> Result<UnbookedPostback, StoreError>;
}

/// The record's key and body must fit an item, like a postback's.
pub fn validate_unbooked(postback: &UnbookedPostback) -> Result<(), StoreError> {
    super::validate_postback(&postback.key, &postback.raw_body)?;
    check_key("unbooked reason", &postback.reason)
}
