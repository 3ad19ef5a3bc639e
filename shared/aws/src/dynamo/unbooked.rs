//! Unbooked postbacks on DynamoDB: `UNBOOKED#<key>/META`, in the open-work index
//! (`OPEN#UNBOOKED`) while open; closing is the guarded status move `open -> <outcome>`.

use async_trait::async_trait;
use payments::store::{
    Page, PageRequest, Resolution, StoreError, UnbookedPostback, UnbookedState, UnbookedStore,
    check_key, keys, validate_unbooked,
};

use super::DynamoStore;
use super::items::{page_of, resolution_attrs, unbooked_from, unbooked_item};
use super::tx::StatusMove;

#[async_trait]
impl UnbookedStore for DynamoStore {
    async fn record_unbooked(&self, postback: UnbookedPostback) -> Result<bool, StoreError> {
        validate_unbooked(&postback)?;
        let postback = UnbookedPostback {
            received_at: keys::trunc_micros(postback.received_at),
            state: UnbookedState::Open,
            ..postback
        };
        self.put_new(unbooked_item(&postback), "record unbooked postback")
            .await
    }

    async fn get_unbooked(&self, key: &str) -> Result<Option<UnbookedPostback>, StoreError> {
        check_key("unbooked key", key)?;
        self.get(keys::unbooked_pk(key), keys::META)
            .await?
            .as_ref()
            .map(unbooked_from)
            .transpose()
    }

    async fn list_unbooked(
        &self,
        page: &PageRequest,
    ) -> Result<Page<UnbookedPostback>, StoreError> {
        let far = keys::END_OF_TIME;
        let (items, next) = self
            .list_open(keys::OPEN_UNBOOKED, keys::unbooked_pk, far, page)
            .await?;
        page_of(&items, next, unbooked_from)
    }

    async fn close_unbooked(
        &self,
        key: &str,
        resolution: Resolution,
    ) -> Result<UnbookedPostback, StoreError> {
        check_key("unbooked key", key)?;
        let resolution = Resolution {
            at: keys::trunc_micros(resolution.at),
            ..resolution
        };
        let extra = resolution_attrs(&resolution)
            .into_iter()
            .filter(|(name, _)| *name != "status")
            .collect();
        let mv = StatusMove {
            pk: keys::unbooked_pk(key),
            from: "open",
            to: resolution.outcome.as_str(),
            extra,
            close: true,
        };
        match self.move_status(mv, resolution.at).await? {
            Ok(item) => unbooked_from(&item),
            Err(()) => {
                let actual = self.get_unbooked(key).await?;
                Err(match actual {
                    None => StoreError::NotFound {
                        what: "unbooked postback",
                        id: key.to_string(),
                    },
                    Some(u) => StoreError::StateConflict {
                        what: "unbooked postback",
                        id: key.to_string(),
                        expected: "open".into(),
                        actual: match u.state {
                            UnbookedState::Open => "open".into(),
                            UnbookedState::Closed(r) => r.outcome.as_str().into(),
                        },
                    },
                })
            }
        }
    }
}
