//! The two store adapters on fresh state: memory, and DynamoDB Local
//! ([`crate::services::dynamodb_endpoint`]) on a table of its own per test, so tests run in
//! parallel.

use std::sync::Arc;

use aws_adapters::dynamo::{DynamoStore, table};
use payments::Store;
use payments::store::memory::MemoryStore;

use crate::services::dynamodb_endpoint;

/// An empty memory store behind the port.
pub fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

/// A fresh table name with a prefix that says which suite made it.
pub fn table_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A store on a new table of DynamoDB Local.
pub async fn dynamo_store() -> DynamoStore {
    dynamo_store_counted(None).await
}

/// [`dynamo_store`] whose client counts every request it sends in `counter`.
pub async fn dynamo_store_counted(
    counter: Option<aws_adapters::dynamo::requests::RequestCounter>,
) -> DynamoStore {
    let client = DynamoStore::client_counted(Some(&dynamodb_endpoint()), counter).await;
    let name = table_name("payments-test");
    let created = table::create_table_if_missing(&client, &name)
        .await
        .expect("create the test table");
    assert!(created, "table {name} existed before the test");
    DynamoStore::new(client, name)
}

/// [`dynamo_store`] behind the port.
pub async fn dynamo() -> Arc<dyn Store> {
    Arc::new(dynamo_store().await)
}
