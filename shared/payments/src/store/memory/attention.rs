//! Withdrawals held for a person, in memory: flagged (opened or reopened), listed while open,
//! closed once.

use async_trait::async_trait;

use super::{MemoryStore, conflict, open_page};
use crate::ids::WithdrawalId;
use crate::store::keys::trunc_micros;
use crate::store::{
    AttentionFlag, AttentionState, AttentionStore, Page, PageRequest, StoreError,
    WithdrawalAttention, flagged, validate_flag,
};

#[async_trait]
impl AttentionStore for MemoryStore {
    async fn flag_withdrawal(
        &self,
        flag: AttentionFlag,
    ) -> Result<WithdrawalAttention, StoreError> {
        validate_flag(&flag)?;
        let mut st = self.lock();
        let id = flag.withdrawal_id.clone();
        let item = flagged(st.attention.get(&id).cloned(), flag);
        st.attention.insert(id, item.clone());
        Ok(item)
    }

    async fn get_attention(
        &self,
        id: &WithdrawalId,
    ) -> Result<Option<WithdrawalAttention>, StoreError> {
        Ok(self.lock().attention.get(id).cloned())
    }

    async fn list_attention(
        &self,
        page: &PageRequest,
    ) -> Result<Page<WithdrawalAttention>, StoreError> {
        let st = self.lock();
        let far = crate::store::keys::END_OF_TIME;
        open_page(
            st.attention.values().map(|a| {
                let closed = a.state != AttentionState::Open;
                (a.since, a.withdrawal_id.to_string(), closed, a.clone())
            }),
            far,
            page,
        )
    }

    async fn close_attention(
        &self,
        id: &WithdrawalId,
        state: AttentionState,
    ) -> Result<WithdrawalAttention, StoreError> {
        let AttentionState::Closed {
            outcome,
            by,
            note,
            at,
        } = state
        else {
            return Err(StoreError::Invalid(
                "an item is closed with a Closed state".into(),
            ));
        };
        let mut st = self.lock();
        let Some(a) = st.attention.get_mut(id) else {
            return Err(conflict("withdrawal attention", id.as_str(), "open", None));
        };
        if let AttentionState::Closed { outcome, .. } = &a.state {
            return Err(conflict(
                "withdrawal attention",
                id.as_str(),
                "open",
                Some(outcome.as_str()),
            ));
        }
        a.state = AttentionState::Closed {
            outcome,
            by,
            note,
            at: trunc_micros(at),
        };
        a.revision += 1;
        Ok(a.clone())
    }
}
