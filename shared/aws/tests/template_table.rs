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
    let mut deployed: serde_json::Value =
        serde_json::to_value(&table["Properties"]).expect("table properties convert to JSON");
    // The customer-managed key is the template's choice (KmsKeyArn), not the code's: both keys
    // are conditional on it, and with them removed the rest must match the code exactly.
    let sse = deployed["SSESpecification"]
        .as_object_mut()
        .expect("SSESpecification is a map");
    for (field, when_set) in [("SSEType", "KMS"), ("KMSMasterKeyId", "KmsKeyArn")] {
        let v = sse
            .remove(field)
            .unwrap_or_else(|| panic!("{field} in SSESpecification"));
        let text = v.to_string();
        assert!(
            text.contains("HasKmsKey") && text.contains(when_set) && text.contains("AWS::NoValue"),
            "{field} is set only with KmsKeyArn: {text}"
        );
    }
    assert_eq!(
        deployed,
        cloudformation_properties(),
        "template.yaml's Table drifted from aws_adapters::dynamo::table::definition()"
    );
}
