//! Withdrawals held for a person on DynamoDB: `ATTENTION#<withdrawal id>/META`, in the
//! open-work index (`OPEN#ATTENTION`, by `since`) while open. Every write replaces the item
//! guarded by the revision it read, so two flags at once cannot lose an observation: the
//! loser reads again and reapplies ([`payments::store::flagged`] is the one rule).

use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use payments::WithdrawalId;
use payments::store::{
    AttentionFlag, AttentionOutcome, AttentionState, AttentionStore, Page, PageRequest, StoreError,
    WithdrawalAttention, flagged, keys, validate_flag,
};
use rust_decimal::Decimal;

use super::DynamoStore;
use super::items::{Item, Reader, key, n, page_of, s, t};
use super::table::{GSI1PK, GSI1SK};
use super::tx::backend;

/// Concurrent flags on one item are rare (reconciliation and a postback); a few rounds settle them.
const MAX_ROUNDS: usize = 5;

fn item_of(a: &WithdrawalAttention) -> Item {
    let mut item = key(keys::attention_pk(a.withdrawal_id.as_str()), keys::META);
    item.insert("type".into(), s("attention"));
    item.insert("withdrawal_id".into(), s(a.withdrawal_id.as_str()));
    item.insert("label".into(), s(a.label.as_str()));
    item.insert("reason".into(), s(a.reason.clone()));
    item.insert("detail".into(), s(a.detail.clone()));
    item.insert("since".into(), t(a.since));
    item.insert(
        "observations".into(),
        AttributeValue::L(a.observations.iter().map(|o| s(o.clone())).collect()),
    );
    item.insert("revision".into(), n(Decimal::from(a.revision)));
    match &a.state {
        AttentionState::Open => {
            item.insert("status".into(), s("open"));
            item.insert(GSI1PK.into(), s(keys::OPEN_ATTENTION));
            item.insert(
                GSI1SK.into(),
                s(keys::open_sk(a.since, a.withdrawal_id.as_str())),
            );
        }
        AttentionState::Closed {
            outcome,
            by,
            note,
            at,
        } => {
            item.insert("status".into(), s(outcome.as_str()));
            item.insert("resolved_by".into(), s(by.clone()));
            item.insert("resolved_note".into(), s(note.clone()));
            item.insert("resolved_at".into(), t(*at));
        }
    }
    item
}

fn corrupt(problem: String) -> StoreError {
    StoreError::Corrupt {
        key: "attention".into(),
        problem,
    }
}

fn from_item(item: &Item) -> Result<WithdrawalAttention, StoreError> {
    let r = Reader::new(item);
    let status = r.s("status")?;
    let state = if status == "open" {
        AttentionState::Open
    } else {
        AttentionState::Closed {
            outcome: AttentionOutcome::parse(status)
                .ok_or_else(|| corrupt(format!("unknown status {status}")))?,
            by: r.s("resolved_by")?.to_string(),
            note: r.s("resolved_note")?.to_string(),
            at: r.time("resolved_at")?,
        }
    };
    let observations = match item.get("observations") {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| {
                v.as_s()
                    .cloned()
                    .map_err(|_| corrupt("observation not text".into()))
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
        Some(_) => return Err(corrupt("observations not a list".into())),
    };
    let revision =
        u64::try_from(r.n("revision")?).map_err(|e| corrupt(format!("revision: {e}")))?;
    Ok(WithdrawalAttention {
        withdrawal_id: WithdrawalId::parse(r.s("withdrawal_id")?)
            .map_err(|e| corrupt(e.to_string()))?,
        label: r.label()?,
        reason: r.s("reason")?.to_string(),
        detail: r.s("detail")?.to_string(),
        since: r.time("since")?,
        observations,
        state,
        revision,
    })
}

impl DynamoStore {
    /// Writes `after` if the stored item is still at `before`'s revision (or still absent).
    /// `Ok(false)`: someone wrote in between.
    async fn replace_attention(
        &self,
        before: Option<&WithdrawalAttention>,
        after: &WithdrawalAttention,
    ) -> Result<bool, StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_of(after)));
        put = match before {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(b) => put
                .condition_expression("revision = :rev")
                .expression_attribute_values(":rev", n(Decimal::from(b.revision))),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(backend("write withdrawal attention", e)),
        }
    }
}

#[async_trait]
impl AttentionStore for DynamoStore {
    async fn flag_withdrawal(
        &self,
        flag: AttentionFlag,
    ) -> Result<WithdrawalAttention, StoreError> {
        validate_flag(&flag)?;
        for _ in 0..MAX_ROUNDS {
            let before = self.get_attention(&flag.withdrawal_id).await?;
            let after = flagged(before.clone(), flag.clone());
            if self.replace_attention(before.as_ref(), &after).await? {
                return Ok(after);
            }
        }
        Err(StoreError::Contention(format!(
            "withdrawal attention {}",
            flag.withdrawal_id
        )))
    }

    async fn get_attention(
        &self,
        id: &WithdrawalId,
    ) -> Result<Option<WithdrawalAttention>, StoreError> {
        self.get(keys::attention_pk(id.as_str()), keys::META)
            .await?
            .as_ref()
            .map(from_item)
            .transpose()
    }

    async fn list_attention(
        &self,
        page: &PageRequest,
    ) -> Result<Page<WithdrawalAttention>, StoreError> {
        let far = keys::END_OF_TIME;
        let (items, next) = self
            .list_open(keys::OPEN_ATTENTION, keys::attention_pk, far, page)
            .await?;
        page_of(&items, next, from_item)
    }

    async fn close_attention(
        &self,
        id: &WithdrawalId,
        state: AttentionState,
    ) -> Result<WithdrawalAttention, StoreError> {
        let state = match state {
            AttentionState::Closed {
                outcome,
                by,
                note,
                at,
            } => AttentionState::Closed {
                outcome,
                by,
                note,
                at: keys::trunc_micros(at),
            },
            AttentionState::Open => {
                return Err(StoreError::Invalid(
                    "an item is closed with a Closed state".into(),
                ));
            }
        };
        for _ in 0..MAX_ROUNDS {
            let Some(before) = self.get_attention(id).await? else {
                return Err(StoreError::NotFound {
                    what: "withdrawal attention",
                    id: id.to_string(),
                });
            };
            if let AttentionState::Closed { outcome, .. } = &before.state {
                return Err(StoreError::StateConflict {
                    what: "withdrawal attention",
                    id: id.to_string(),
                    expected: "open".into(),
                    actual: outcome.as_str().into(),
                });
            }
            let after = WithdrawalAttention {
                state: state.clone(),
                revision: before.revision + 1,
                ..before.clone()
            };
            if self.replace_attention(Some(&before), &after).await? {
                return Ok(after);
            }
        }
        Err(StoreError::Contention(format!("withdrawal attention {id}")))
    }
}
