//! The table DynamoDB Local creates from `table::definition()` is the table the CloudFormation
//! rendering describes: one definition, no drift.

use aws_adapters::dynamo::table;

#[tokio::test]
async fn the_created_table_matches_the_cloudformation_rendering() {
    let store = testkit::stores::dynamo_store().await;
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
