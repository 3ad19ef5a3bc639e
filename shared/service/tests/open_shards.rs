//! The write-sharded open-work index end to end on DynamoDB Local (issue 17): a reconcile run
//! reads every shard and the legacy partition (items written before sharding), so an unpaid
//! deposit in any of them is looked up and expires, and a paid one in any of them is credited.

use std::sync::Arc;

use aws_adapters::dynamo::DynamoStore;
use aws_sdk_dynamodb::types::AttributeValue;
use payments::store::keys::{self, OpenShard, OpenShards};
use payments::{DepositStatus, Label, Store};
use testkit::records::new_deposit;

#[tokio::test]
async fn reconcile_reads_every_shard_and_the_legacy_partition() {
    let dynamo = testkit::stores::dynamo_store()
        .await
        .with_open_shards(OpenShards::new(4).unwrap());
    let client = dynamo.sdk_client().clone();
    let table = dynamo.table_name().to_string();
    let store: Arc<dyn Store> = Arc::new(dynamo);
    let u = Label::parse("u-shards").unwrap();
    let old = time::OffsetDateTime::now_utc() - time::Duration::days(3);
    let mut ids = Vec::new();
    for _ in 0..40 {
        let mut nd = new_deposit(&u, Some("10"), "INR");
        nd.created_at = old;
        ids.push(store.create_deposit(nd).await.unwrap().id);
    }
    // One as an older version wrote it: in the unsharded partition.
    client
        .update_item()
        .table_name(&table)
        .key("PK", AttributeValue::S(keys::deposit_pk(&ids[0])))
        .key("SK", AttributeValue::S(keys::META.into()))
        .update_expression("SET GSI1PK = :legacy")
        .expression_attribute_values(":legacy", AttributeValue::S(keys::OPEN_DEPOSITS.into()))
        .send()
        .await
        .unwrap();
    let shards = store.open_shards();
    let mut used: Vec<OpenShard> = ids[1..].iter().map(|id| shards.of(id.as_str())).collect();
    used.sort();
    used.dedup();
    assert_eq!(used.len(), 4, "40 ids fill all 4 shards");

    let deps = testkit::gateway::offline_deps()
        .store(store.clone())
        .build();
    let listed = service::reconcile::open_deposits(&deps, time::OffsetDateTime::now_utc()).await;
    let mut listed: Vec<_> = listed.unwrap().into_iter().map(|d| d.id).collect();
    listed.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(
        listed, want,
        "every shard and the legacy partition, each deposit once"
    );
    // A deposit that became terminal leaves its partition, the legacy one too.
    store
        .update_deposit_status(
            &ids[0],
            DepositStatus::Pending,
            DepositStatus::Rejected,
            Default::default(),
        )
        .await
        .unwrap();
    let left = service::reconcile::open_deposits(&deps, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(left.len(), 39);
    assert!(left.iter().all(|d| d.id != ids[0]));
}

#[tokio::test]
async fn a_table_keeps_working_when_its_shard_count_is_raised() {
    let base = testkit::stores::dynamo_store().await;
    let client = base.sdk_client().clone();
    let table = base.table_name().to_string();
    let two: Arc<dyn Store> = Arc::new(base.with_open_shards(OpenShards::new(2).unwrap()));
    let u = Label::parse("u-raise").unwrap();
    let old = time::OffsetDateTime::now_utc() - time::Duration::days(3);
    let mut ids = Vec::new();
    for _ in 0..10 {
        let mut nd = new_deposit(&u, Some("10"), "INR");
        nd.created_at = old;
        ids.push(two.create_deposit(nd).await.unwrap().id);
    }
    // Raised to 8: the items written under 2 shards sit in shards 0 and 1, both still read.
    let eight: Arc<dyn Store> =
        Arc::new(DynamoStore::new(client, table).with_open_shards(OpenShards::new(8).unwrap()));
    let deps = testkit::gateway::offline_deps().store(eight).build();
    let listed = service::reconcile::open_deposits(&deps, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(listed.len(), 10);
}
