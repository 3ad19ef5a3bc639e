//! One source of truth for the table: the definition the code creates locally must be the
//! table `template.yaml` deploys, property for property.

use aws_adapters::dynamo::table::cloudformation_properties;

#[test]
fn template_table_matches_the_code_definition() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml at the repository root");
    let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("template.yaml is YAML");
    let table = &template["Resources"]["Table"];
    assert_eq!(
        table["Type"],
        serde_yaml::Value::from("AWS::DynamoDB::Table")
    );
    let deployed: serde_json::Value =
        serde_json::to_value(&table["Properties"]).expect("table properties convert to JSON");
    assert_eq!(
        deployed,
        cloudformation_properties(),
        "template.yaml's Table drifted from aws_adapters::dynamo::table::definition()"
    );
}
