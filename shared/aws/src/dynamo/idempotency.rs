//! Idempotency records on DynamoDB (`IDEMP#<scope>#<key>/META`, expired by `ttl`).

use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use payments::store::{
    IdempotencyPut, IdempotencyRecord, IdempotencyStore, StoreError, check_key, keys, whole_seconds,
};

use super::DynamoStore;
use super::items::{idempotency_from, idempotency_item};
use super::table::TTL;
use super::tx::backend;

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn put_idempotency(
        &self,
        record: IdempotencyRecord,
    ) -> Result<IdempotencyPut, StoreError> {
        check_key("idempotency scope", &record.scope)?;
        check_key("idempotency key", &record.key)?;
        let record = IdempotencyRecord {
            created_at: keys::trunc_micros(record.created_at),
            expires_at: whole_seconds(record.expires_at),
            ..record
        };
        // Twice at most: the first write can lose to a record that expires before we read it.
        for _ in 0..2 {
            let now = self.clock.now().unix_timestamp();
            let res = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(idempotency_item(&record)))
                // An expired record (TTL deletion is lazy) no longer counts.
                .condition_expression("attribute_not_exists(PK) OR #ttl <= :now")
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .send()
                .await;
            match res {
                Ok(_) => return Ok(IdempotencyPut::Stored),
                Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                    if let Some(existing) = self.get_idempotency(&record.scope, &record.key).await?
                    {
                        return Ok(IdempotencyPut::Existing(existing));
                    }
                }
                Err(e) => return Err(backend("put idempotency", e)),
            }
        }
        Err(StoreError::Contention(format!(
            "idempotency {}/{}",
            record.scope, record.key
        )))
    }

    async fn get_idempotency(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let rec = self
            .get(keys::idempotency_pk(scope, key), keys::META)
            .await?
            .as_ref()
            .map(idempotency_from)
            .transpose()?;
        let now = self.clock.now();
        Ok(rec.filter(|r| r.expires_at > now))
    }
}
