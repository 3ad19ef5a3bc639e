//! The single table's definition, as one Rust value. It is the only source of truth: the code
//! that creates (or completes) the table locally ([`create_table_if_missing`]) and the
//! CloudFormation rendering ([`cloudformation_properties`], compared with `template.yaml` by a
//! test) both read it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, SseSpecification, TableDescription, TableStatus, TimeToLiveSpecification,
};
use serde_json::{Value, json};

use payments::StoreError;

use super::tx::{backend, build_err};

/// A secondary index: keys and an `ALL` projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    /// Every key attribute (table and indexes); all strings.
    pub string_attributes: &'static [&'static str],
    pub indexes: &'static [IndexDefinition],
    /// On-demand capacity.
    pub pay_per_request: bool,
    /// Epoch-seconds attribute DynamoDB expires items by (idempotency records, caches).
    pub ttl_attribute: &'static str,
    pub point_in_time_recovery: bool,
    pub server_side_encryption: bool,
    pub deletion_protection: bool,
}

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const TTL: &str = "ttl";
/// The per-user history index. Its keys are attributes every deposit and withdrawal item has
/// carried since the first version (`label`, `created_at`), not new ones, so DynamoDB fills
/// it from the items already stored when the index is added (CloudFormation adds it in
/// place): no backfill. Ledger entries carry both attributes too and are in it as well; the
/// history queries keep only their own list's items (`begins_with(PK, ...)`).
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "label";
pub const GSI2SK: &str = "created_at";

/// The table: `PK`/`SK`, the sparse open-work index `GSI1` (`GSI1PK`/`GSI1SK`, present only
/// on non-terminal deposits and withdrawals), the history index `GSI2` (`label`/`created_at`),
/// `ttl`, PITR, SSE and deletion protection.
pub fn definition() -> TableDefinition {
    TableDefinition {
        partition_key: PK,
        sort_key: SK,
        string_attributes: &[PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK],
        indexes: &[
            IndexDefinition {
                name: GSI1,
                partition_key: GSI1PK,
                sort_key: GSI1SK,
            },
            IndexDefinition {
                name: GSI2,
                partition_key: GSI2PK,
                sort_key: GSI2SK,
            },
        ],
        pay_per_request: true,
        ttl_attribute: TTL,
        point_in_time_recovery: true,
        server_side_encryption: true,
        deletion_protection: true,
    }
}

/// The definition in the property shape of CloudFormation's `AWS::DynamoDB::Table` (without
/// `TableName`, which the template chooses).
pub fn cloudformation_properties() -> Value {
    let d = definition();
    let key = |pk: &str, sk: &str| {
        json!([
            {"AttributeName": pk, "KeyType": "HASH"},
            {"AttributeName": sk, "KeyType": "RANGE"},
        ])
    };
    json!({
        "BillingMode": if d.pay_per_request { "PAY_PER_REQUEST" } else { "PROVISIONED" },
        "AttributeDefinitions": d.string_attributes.iter()
            .map(|a| json!({"AttributeName": a, "AttributeType": "S"}))
            .collect::<Vec<_>>(),
        "KeySchema": key(d.partition_key, d.sort_key),
        "GlobalSecondaryIndexes": d.indexes.iter()
            .map(|i| json!({
                "IndexName": i.name,
                "KeySchema": key(i.partition_key, i.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }))
            .collect::<Vec<_>>(),
        "TimeToLiveSpecification": {"AttributeName": d.ttl_attribute, "Enabled": true},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": d.point_in_time_recovery},
        "SSESpecification": {"SSEEnabled": d.server_side_encryption},
        "DeletionProtectionEnabled": d.deletion_protection,
    })
}

fn key_schema(pk: &str, sk: &str) -> Result<Vec<KeySchemaElement>, StoreError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(pk)
            .key_type(KeyType::Hash)
            .build()
            .map_err(build_err)?,
        KeySchemaElement::builder()
            .attribute_name(sk)
            .key_type(KeyType::Range)
            .build()
            .map_err(build_err)?,
    ])
}

fn attribute_definition(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(build_err)
}

fn all_projection() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

/// Creates the table `name` from [`definition`] unless it exists; `true` if it created it.
/// A table that exists but lacks an index of the definition (made by an earlier version) gets
/// it added ([`add_missing_indexes`]).
/// Deletion protection is left off here: this path serves local and test tables, which must
/// stay disposable; the deployed table gets it from the template (same definition).
/// Point-in-time recovery is likewise a template-only setting (DynamoDB Local has no backups).
pub async fn create_table_if_missing(client: &Client, name: &str) -> Result<bool, StoreError> {
    let d = definition();
    let mut req = client
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(d.partition_key, d.sort_key)?))
        .billing_mode(if d.pay_per_request {
            BillingMode::PayPerRequest
        } else {
            BillingMode::Provisioned
        })
        .sse_specification(
            SseSpecification::builder()
                .enabled(d.server_side_encryption)
                .build(),
        );
    for a in d.string_attributes {
        req = req.attribute_definitions(attribute_definition(a)?);
    }
    for i in d.indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(i.name)
                .set_key_schema(Some(key_schema(i.partition_key, i.sort_key)?))
                .projection(all_projection())
                .build()
                .map_err(build_err)?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceInUseException") => {
            add_missing_indexes(client, name).await?;
            return Ok(false);
        }
        Err(e) => return Err(backend(&format!("create table {name}"), e)),
    }
    wait_active(client, name).await?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(d.ttl_attribute)
                .enabled(true)
                .build()
                .map_err(build_err)?,
        )
        .send()
        .await
        .map_err(|e| backend(&format!("enable TTL on {name}"), e))?;
    Ok(true)
}

/// Adds the definition's indexes an existing table lacks, one per `UpdateTable` (DynamoDB
/// takes one at a time), waiting for each to become active. DynamoDB fills a new index from
/// the items already stored, so a local table made before the history index (`GSI2`) lists
/// its old deposits and withdrawals too; CloudFormation does the same for the deployed table.
pub async fn add_missing_indexes(client: &Client, name: &str) -> Result<(), StoreError> {
    for i in definition().indexes {
        let live = describe(client, name).await?;
        if live
            .global_secondary_indexes()
            .iter()
            .any(|g| g.index_name() == Some(i.name))
        {
            continue;
        }
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(i.name)
            .set_key_schema(Some(key_schema(i.partition_key, i.sort_key)?))
            .projection(all_projection())
            .build()
            .map_err(build_err)?;
        client
            .update_table()
            .table_name(name)
            .attribute_definitions(attribute_definition(i.partition_key)?)
            .attribute_definitions(attribute_definition(i.sort_key)?)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(|e| backend(&format!("add index {} to {name}", i.name), e))?;
        wait_index_active(client, name, i.name).await?;
    }
    Ok(())
}

async fn wait_index_active(client: &Client, name: &str, index: &str) -> Result<(), StoreError> {
    for _ in 0..240 {
        let live = describe(client, name).await?;
        let status = live
            .global_secondary_indexes()
            .iter()
            .find(|g| g.index_name() == Some(index))
            .and_then(|g| g.index_status());
        if status == Some(&IndexStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Err(StoreError::Backend(format!(
        "index {index} of {name} did not become active"
    )))
}

async fn wait_active(client: &Client, name: &str) -> Result<(), StoreError> {
    for _ in 0..120 {
        if describe(client, name).await?.table_status() == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Err(StoreError::Backend(format!(
        "table {name} did not become active"
    )))
}

/// `DescribeTable` of `name`.
async fn describe(client: &Client, name: &str) -> Result<TableDescription, StoreError> {
    let out = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| backend(&format!("describe table {name}"), e))?;
    out.table
        .ok_or_else(|| StoreError::Backend(format!("describe table {name}: no table")))
}

/// What DynamoDB says the live table looks like, in the same shape as
/// [`cloudformation_properties`] (keys, attributes, indexes, billing, TTL), so a test can check
/// that a created table has not drifted from the definition.
pub async fn describe_as_properties(client: &Client, name: &str) -> Result<Value, StoreError> {
    let t = describe(client, name).await?;
    let keys = |ks: &[KeySchemaElement]| {
        ks.iter()
            .map(|k| json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()}))
            .collect::<Vec<_>>()
    };
    let mut attrs: Vec<Value> = t
        .attribute_definitions()
        .iter()
        .map(|a| json!({"AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()}))
        .collect();
    let order = |v: &Value| {
        definition()
            .string_attributes
            .iter()
            .position(|a| v["AttributeName"] == *a)
    };
    attrs.sort_by_key(order);
    // DynamoDB lists indexes in no fixed order: compare them in the definition's.
    let mut indexes: Vec<Value> = t
        .global_secondary_indexes()
        .iter()
        .map(|i| json!({
            "IndexName": i.index_name(),
            "KeySchema": keys(i.key_schema()),
            "Projection": {"ProjectionType": i.projection().and_then(|p| p.projection_type()).map(|p| p.as_str())},
        }))
        .collect();
    indexes.sort_by_key(|v| {
        definition()
            .indexes
            .iter()
            .position(|i| v["IndexName"] == i.name)
    });
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| backend(&format!("describe TTL {name}"), e))?;
    let ttl_attr = ttl
        .time_to_live_description()
        .and_then(|d| d.attribute_name())
        .unwrap_or_default()
        .to_string();
    Ok(json!({
        "BillingMode": t.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str()).unwrap_or("PROVISIONED"),
        "AttributeDefinitions": attrs,
        "KeySchema": keys(t.key_schema()),
        "GlobalSecondaryIndexes": indexes,
        "TimeToLiveSpecification": {"AttributeName": ttl_attr, "Enabled": true},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudformation_rendering_has_the_table_shape() {
        let p = cloudformation_properties();
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
        assert_eq!(
            p["KeySchema"],
            json!([{"AttributeName":"PK","KeyType":"HASH"},{"AttributeName":"SK","KeyType":"RANGE"}])
        );
        assert_eq!(p["AttributeDefinitions"].as_array().unwrap().len(), 6);
        for a in p["AttributeDefinitions"].as_array().unwrap() {
            assert_eq!(a["AttributeType"], "S");
        }
        let gsi = &p["GlobalSecondaryIndexes"][0];
        assert_eq!(gsi["IndexName"], "GSI1");
        assert_eq!(
            gsi["KeySchema"],
            json!([{"AttributeName":"GSI1PK","KeyType":"HASH"},{"AttributeName":"GSI1SK","KeyType":"RANGE"}])
        );
        assert_eq!(gsi["Projection"]["ProjectionType"], "ALL");
        let history = &p["GlobalSecondaryIndexes"][1];
        assert_eq!(history["IndexName"], "GSI2");
        assert_eq!(
            history["KeySchema"],
            json!([{"AttributeName":"label","KeyType":"HASH"},{"AttributeName":"created_at","KeyType":"RANGE"}])
        );
        assert_eq!(
            p["TimeToLiveSpecification"],
            json!({"AttributeName":"ttl","Enabled":true})
        );
        assert_eq!(
            p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            true
        );
        assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
        assert_eq!(p["DeletionProtectionEnabled"], true);
        assert!(p.get("TableName").is_none());
    }

    #[test]
    fn every_key_attribute_is_defined_and_nothing_else() {
        let d = definition();
        let mut used = vec![d.partition_key, d.sort_key];
        for i in d.indexes {
            used.extend([i.partition_key, i.sort_key]);
        }
        used.sort_unstable();
        let mut defined = d.string_attributes.to_vec();
        defined.sort_unstable();
        assert_eq!(
            used, defined,
            "CloudFormation rejects unused attribute definitions"
        );
    }
}
