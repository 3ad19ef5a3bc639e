//! The table DynamoDB Local creates from `table::definition()` is the table the CloudFormation
//! rendering describes: one definition, no drift.

mod common;

use payments::store::dynamo::table;

#[tokio::test]
async fn the_created_table_matches_the_cloudformation_rendering() {
    let store = common::dynamo_store().await;
    let live = table::describe_as_properties(store.sdk_client(), store.table_name())
        .await
        .unwrap();
    let cfn = table::cloudformation_properties();
    for field in [
        "BillingMode",
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "TimeToLiveSpecification",
    ] {
        assert_eq!(
            live[field], cfn[field],
            "{field} differs between the live table and the rendering"
        );
    }
    // Creating again is a no-op.
    assert!(
        !table::create_table_if_missing(store.sdk_client(), store.table_name())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn config_builds_a_store_on_the_configured_endpoint() {
    use payments::Store;
    let table_name = format!("payments-cfg-{}", uuid::Uuid::new_v4().simple());
    let env = std::collections::HashMap::from([
        ("TABLE_NAME", table_name.clone()),
        ("DYNAMODB_ENDPOINT", common::dynamodb_endpoint()),
        ("SECRET_ID", "unused".to_string()),
        ("PAYKASSMA_API_BASE", "https://api.example.test".to_string()),
        (
            "PAYKASSMA_PLUGIN_BASE",
            "https://plugin.example.test".to_string(),
        ),
    ]);
    let config = payments::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let store = config.dynamo_store().await;
    assert_eq!(store.table_name(), table_name);
    assert!(
        table::create_table_if_missing(store.sdk_client(), store.table_name())
            .await
            .unwrap()
    );
    store.set_method_enabled("upi_s", true).await.unwrap();
    assert_eq!(store.get_method_enabled("upi_s").await.unwrap(), Some(true));
}
