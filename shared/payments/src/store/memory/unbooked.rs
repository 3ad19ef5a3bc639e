//! Unbooked postbacks in memory: recorded once, listed while open, closed once.

use async_trait::async_trait;

use super::{MemoryStore, conflict, open_page};
use crate::store::keys::trunc_micros;
use crate::store::{
    Page, PageRequest, Resolution, StoreError, UnbookedPostback, UnbookedState, UnbookedStore,
    check_key, validate_unbooked,
};

#[async_trait]
impl UnbookedStore for MemoryStore {
    async fn record_unbooked(&self, postback: UnbookedPostback) -> Result<bool, StoreError> {
        validate_unbooked(&postback)?;
        let mut st = self.lock();
        if st.unbooked.contains_key(&postback.key) {
            return Ok(false);
        }
        let postback = UnbookedPostback {
            received_at: trunc_micros(postback.received_at),
            state: UnbookedState::Open,
            ..postback
        };
        st.unbooked.insert(postback.key.clone(), postback);
        Ok(true)
    }

    async fn get_unbooked(&self, key: &str) -> Result<Option<UnbookedPostback>, StoreError> {
        Ok(self.lock().unbooked.get(key).cloned())
    }

    async fn list_unbooked(
        &self,
        page: &PageRequest,
    ) -> Result<Page<UnbookedPostback>, StoreError> {
        let st = self.lock();
        let far = crate::store::keys::END_OF_TIME;
        open_page(
            st.unbooked.values().map(|u| {
                let closed = matches!(u.state, UnbookedState::Closed(_));
                (u.received_at, u.key.clone(), closed, u.clone())
            }),
            far,
            page,
        )
    }

    async fn close_unbooked(
        &self,
        key: &str,
        resolution: Resolution,
    ) -> Result<UnbookedPostback, StoreError> {
        check_key("unbooked key", key)?;
        let mut st = self.lock();
        let Some(u) = st.unbooked.get_mut(key) else {
            return Err(conflict("unbooked postback", key, "open", None));
        };
        if let UnbookedState::Closed(r) = &u.state {
            return Err(conflict(
                "unbooked postback",
                key,
                "open",
                Some(r.outcome.as_str()),
            ));
        }
        u.state = UnbookedState::Closed(Resolution {
            at: trunc_micros(resolution.at),
            ..resolution
        });
        Ok(u.clone())
    }
}
