//! The transaction plumbing every DynamoDB operation shares: building `Put`/`Update` items,
//! sending a `TransactWriteItems` with a `ClientRequestToken`, reading cancellation reasons by
//! index, jittered backoff, consistent reads, paged queries and the guarded status update.
//!
//! SDK retries are safe: every transaction carries a token derived from the operation and this
//! attempt's generated ids, so a retry of the same request after a lost response is answered
//! as the success it was, and a new attempt never collides with an old one.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use payments::store::{PageRequest, StoreError, keys};
use rand::Rng;
use time::OffsetDateTime;

use super::DynamoStore;
use super::items::{Item, key, s, t};
use super::table::{GSI1, GSI1PK, GSI1SK};

/// How many times a transaction cancelled only by concurrent transactions is tried.
pub(super) const MAX_ATTEMPTS: u32 = 40;

/// The reason code of each item of a cancelled transaction, by index.
pub(super) struct Cancelled {
    pub(super) codes: Vec<Option<String>>,
}

impl Cancelled {
    /// Item `index`'s condition failed (and nothing else explains the cancellation).
    pub(super) fn failed(&self, index: usize) -> bool {
        self.codes.get(index).and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed")
    }

    fn any_failed(&self) -> bool {
        self.codes
            .iter()
            .any(|c| c.as_deref() == Some("ConditionalCheckFailed"))
    }

    /// Cancelled by concurrency only (or throttling): worth another attempt.
    pub(super) fn transient(&self) -> bool {
        !self.any_failed()
            && self.codes.iter().any(|c| {
                matches!(
                    c.as_deref(),
                    Some(
                        "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
                    )
                )
            })
    }
}

pub(super) enum TxError {
    Cancelled(Cancelled),
    Store(StoreError),
}

pub(super) fn backend<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Backend(format!("{what}: {}", DisplayErrorContext(e)))
}

pub(super) fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("building request: {e}"))
}

/// A `ClientRequestToken` (<= 36 characters) that names one attempt of one operation.
pub(super) fn request_token(parts: &[&str]) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5f0c_6a31_93b2_4d0e_9a43_6f1c_2b8e_7d55);
    uuid::Uuid::new_v5(&NAMESPACE, parts.join("\u{1f}").as_bytes()).to_string()
}

pub(super) async fn backoff(attempt: u32) {
    let cap = 5u64.saturating_mul(1 << attempt.min(6));
    let ms = rand::rng().random_range(1..=cap.max(2));
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

pub(super) fn values<const N: usize>(
    pairs: [(&str, AttributeValue); N],
) -> HashMap<String, AttributeValue> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

pub(super) fn names<const N: usize>(pairs: [(&str, &str); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A status move of one record: `SET status = to` (and `extra`), guarded by `status = from`.
pub(super) struct StatusMove<'a> {
    pub pk: String,
    pub from: &'a str,
    pub to: &'a str,
    /// More attributes to set with the move (`message`, `activation_key`).
    pub extra: Vec<(&'static str, AttributeValue)>,
    /// The record leaves the open-work index (a terminal state).
    pub close: bool,
}

impl DynamoStore {
    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(super) fn update(
        &self,
        key: Item,
        expression: &str,
        condition: Option<&str>,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Reads `keys` (consistently) in one `BatchGetItem`, retrying what DynamoDB leaves
    /// unprocessed (throttling); at most 100 keys. Missing items are simply not returned.
    pub(super) async fn batch_get(
        &self,
        keys: Vec<Item>,
        what: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(build_err)?,
        );
        for attempt in 0..MAX_ATTEMPTS {
            let Some(request) = pending.take() else {
                return Ok(found);
            };
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| backend(what, e))?;
            if let Some(mut items) = out.responses
                && let Some(mine) = items.remove(&self.table)
            {
                found.extend(mine);
            }
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .filter(|k| !k.keys().is_empty());
            if pending.is_some() {
                backoff(attempt).await;
            }
        }
        match pending {
            None => Ok(found),
            Some(_) => Err(StoreError::Contention(format!(
                "{what}: keys left unprocessed"
            ))),
        }
    }

    /// A transaction item that writes nothing and only holds `condition` on `key`.
    pub(super) fn check(
        &self,
        key: Item,
        condition: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition)
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Sends one transaction. While DynamoDB reports a request with this token still in
    /// progress (a timed-out first send being processed), the SAME request is sent again, so
    /// its answer is the first one's and never a second, different transaction.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        token: String,
    ) -> Result<(), TxError> {
        for attempt in 0..MAX_ATTEMPTS {
            // `Ok(false)`: still in progress.
            match self.send_once(items.clone(), token.clone()).await {
                Ok(false) => backoff(attempt).await,
                Ok(true) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Err(TxError::Store(StoreError::Contention(format!(
            "transaction {token} stayed in progress"
        ))))
    }

    async fn send_once(
        &self,
        items: Vec<TransactWriteItem>,
        token: String,
    ) -> Result<bool, TxError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(token)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(se)) => match se.err() {
                TransactWriteItemsError::TransactionCanceledException(c) => {
                    Err(TxError::Cancelled(Cancelled {
                        codes: c
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().map(str::to_string))
                            .collect(),
                    }))
                }
                TransactWriteItemsError::TransactionInProgressException(_) => Ok(false),
                other => Err(TxError::Store(StoreError::Backend(format!(
                    "transact write: {}: {}",
                    other.code().unwrap_or("error"),
                    other.message().unwrap_or("")
                )))),
            },
            Err(e) => Err(TxError::Store(backend("transact write", e))),
        }
    }

    /// One item by key, strongly consistent.
    pub(super) async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("get item", e))?;
        Ok(out.item)
    }

    /// Puts `item` unless its key exists: `Ok(false)` when it did (nothing written).
    pub(super) async fn put_new(&self, item: Item, what: &str) -> Result<bool, StoreError> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(backend(what, e)),
        }
    }

    /// Puts `item`, replacing any item with its key.
    pub(super) async fn put_item(&self, item: Item, what: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| backend(what, e))?;
        Ok(())
    }

    /// Every item of partition `pk` whose sort key starts with `prefix` (all pages).
    pub(super) async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
        what: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            out.push(item.map_err(|e| backend(what, e))?);
        }
        Ok(out)
    }

    /// Moves one record's status, guarded by its current one. `Ok(Ok(item))`: moved (the
    /// item as it is now); `Ok(Err(()))`: the record is missing or not in `from`.
    pub(super) async fn move_status(
        &self,
        mv: StatusMove<'_>,
        at: OffsetDateTime,
    ) -> Result<Result<Item, ()>, StoreError> {
        let mut set = "SET #status = :to, updated_at = :at".to_string();
        let mut vals = values([(":to", s(mv.to)), (":from", s(mv.from)), (":at", t(at))]);
        for (i, (name, value)) in mv.extra.into_iter().enumerate() {
            set.push_str(&format!(", {name} = :x{i}"));
            vals.insert(format!(":x{i}"), value);
        }
        if mv.close {
            set.push_str(&format!(" REMOVE {GSI1PK}, {GSI1SK}"));
        }
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(mv.pk, keys::META)))
            .update_expression(set)
            .condition_expression("attribute_exists(PK) AND #status = :from")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(vals))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => Ok(Ok(out.attributes.unwrap_or_default())),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(Err(())),
            Err(e) => Err(backend("status update", e)),
        }
    }

    /// One page of a key query; `start` is the last sort key of the previous page.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn query_page(
        &self,
        index: Option<&str>,
        condition: &str,
        values: HashMap<String, AttributeValue>,
        forward: bool,
        limit: usize,
        start: Option<Item>,
        sort_attr: &str,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let limit = keys::check_limit(limit)? as usize;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(forward)
            .consistent_read(index.is_none())
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| backend("query", e))?;
        let more_on_server = out.last_evaluated_key.is_some();
        let mut items = out.items.unwrap_or_default();
        let more = items.len() > limit || (more_on_server && !items.is_empty());
        items.truncate(limit);
        let next = if more {
            items
                .last()
                .and_then(|i| i.get(sort_attr))
                .and_then(|v| v.as_s().ok())
                .map(|s| keys::encode_cursor(s))
        } else {
            None
        };
        Ok((items, next))
    }

    /// One page of the open-work index partition `gsi_pk`, created before `older_than`.
    pub(super) async fn list_open(
        &self,
        gsi_pk: &str,
        pk_of: impl Fn(&str) -> String,
        older_than: OffsetDateTime,
        page: &PageRequest,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let start = match &page.cursor {
            None => None,
            Some(c) => {
                let sk = keys::decode_cursor(c, "")?;
                let id = keys::id_of_open_sk(&sk)
                    .ok_or_else(|| StoreError::Invalid("bad page cursor".into()))?;
                let mut k = key(pk_of(id), keys::META);
                k.insert(GSI1PK.into(), s(gsi_pk));
                k.insert(GSI1SK.into(), s(sk));
                Some(k)
            }
        };
        self.query_page(
            Some(GSI1),
            "GSI1PK = :pk AND GSI1SK < :t",
            values([(":pk", s(gsi_pk)), (":t", s(keys::sort_time(older_than)))]),
            true,
            page.limit,
            start,
            GSI1SK,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_fit_and_differ_per_attempt() {
        let a = request_token(&["credit", "in:tx:1", "e1"]);
        assert_eq!(a.len(), 36);
        assert_eq!(a, request_token(&["credit", "in:tx:1", "e1"]));
        assert_ne!(a, request_token(&["credit", "in:tx:1", "e2"]));
        assert_ne!(request_token(&["a", "bc"]), request_token(&["ab", "c"]));
    }

    #[test]
    fn cancellation_reasons_are_read_by_index() {
        let c = Cancelled {
            codes: vec![
                Some("None".into()),
                Some("ConditionalCheckFailed".into()),
                None,
            ],
        };
        assert!(!c.failed(0) && c.failed(1) && !c.failed(2) && !c.failed(9));
        assert!(!c.transient());
        let c = Cancelled {
            codes: vec![Some("TransactionConflict".into()), Some("None".into())],
        };
        assert!(c.transient());
    }
}
