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

/// A table made before the history index (`GSI2`) existed: `create_table_if_missing` adds the
/// index, and DynamoDB fills it from the items already there, so old deposits are listed. On a
/// DynamoDB Local of its own: the shared one, holding every other test's tables, can leave a
/// new index `CREATING` for minutes.
#[tokio::test]
async fn an_older_table_gets_the_missing_index_and_lists_its_old_items() {
    use aws_adapters::dynamo::DynamoStore;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    use payments::store::PageRequest;
    use payments::store::prelude::*;

    let port = testkit::services::free_port();
    let _own = testkit::services::start_dynamodb(None, port).await;
    let client = DynamoStore::client(Some(&format!("http://127.0.0.1:{port}"))).await;
    let name = testkit::stores::table_name("payments-old");
    let key = |pk: &str, sk: &str| {
        vec![
            KeySchemaElement::builder()
                .attribute_name(pk)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
            KeySchemaElement::builder()
                .attribute_name(sk)
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        ]
    };
    let mut old = client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key("PK", "SK")))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("GSI1")
                .set_key_schema(Some(key("GSI1PK", "GSI1SK")))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        );
    for a in ["PK", "SK", "GSI1PK", "GSI1SK"] {
        old = old.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        );
    }
    old.send().await.unwrap();

    let store = DynamoStore::new(client.clone(), name.clone());
    let label = payments::Label::parse("u-old").unwrap();
    let deposit = store
        .create_deposit(testkit::records::new_deposit(&label, Some("10"), "INR"))
        .await
        .unwrap();

    assert!(
        !table::create_table_if_missing(&client, &name)
            .await
            .unwrap()
    );
    let live = table::describe_as_properties(&client, &name).await.unwrap();
    let cfn = table::cloudformation_properties();
    assert_eq!(
        live["GlobalSecondaryIndexes"],
        cfn["GlobalSecondaryIndexes"]
    );
    let page = store
        .list_user_deposits(&label, None, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items, vec![deposit]);
}
