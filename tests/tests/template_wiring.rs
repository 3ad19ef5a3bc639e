//! `template.yaml` is wired the way the README and the alarms assume, read from the file itself
//! (CloudFormation's short tags `!Ref`, `!GetAtt`, `!If`, `!Sub` arrive as YAML tags):
//! reconcile's failures reach the dead-letter queue its alarm watches, the schedule sends an
//! event the function can read, the audit trail is retained, every function logs to its own
//! group, the API's routes are exactly the routes the code serves and `openapi.yaml` documents,
//! the VPC mode is off by default and complete when on, CORS admits only the origins a
//! deployment names, with the code's header and method lists, and nothing promises tracing.
//!
//! The template is also translated by SAM and linted in the test command (test.sh); this test
//! pins the intent, which no linter knows.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
const OPENAPI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn template() -> Value {
    load(TEMPLATE)
}

/// `(tag, value)` of a short-form intrinsic (`!Ref X` is `("Ref", "X")`), or of its long form
/// (`{Ref: X}`, `{Fn::GetAtt: ...}`), so either spelling in the template reads the same.
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        )),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            let k = k.as_str()?;
            (k == "Ref" || k.starts_with("Fn::"))
                .then(|| (k.trim_start_matches("Fn::").to_string(), v))
        }
        _ => None,
    }
}

/// The logical id `!Ref` names.
fn ref_of(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (tag, Value::String(name)) if tag == "Ref" => Some(name.as_str()),
        _ => None,
    }
}

/// `(logical id, attribute)` of `!GetAtt Id.Attr` or `!GetAtt [Id, Attr]`.
fn getatt_of(v: &Value) -> Option<(String, String)> {
    let (tag, v) = intrinsic(v)?;
    if tag != "GetAtt" {
        return None;
    }
    match v {
        Value::String(s) => s
            .split_once('.')
            .map(|(id, attr)| (id.to_string(), attr.to_string())),
        Value::Sequence(s) if s.len() == 2 => {
            Some((s[0].as_str()?.to_string(), s[1].as_str()?.to_string()))
        }
        _ => None,
    }
}

/// `[condition, then, else]` of `!If`.
fn if_of(v: &Value) -> Option<(&str, &Value, &Value)> {
    match intrinsic(v)? {
        (tag, Value::Sequence(s)) if tag == "If" && s.len() == 3 => {
            Some((s[0].as_str()?, &s[1], &s[2]))
        }
        _ => None,
    }
}

fn resources(t: &Value) -> BTreeMap<String, &Value> {
    t["Resources"]
        .as_mapping()
        .expect("Resources is a mapping")
        .iter()
        .map(|(k, v)| (k.as_str().expect("logical ids are strings").to_string(), v))
        .collect()
}

fn of_type<'a>(t: &'a Value, ty: &str) -> BTreeMap<String, &'a Value> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(ty))
        .collect()
}

fn functions(t: &Value) -> BTreeMap<String, &Value> {
    of_type(t, "AWS::Serverless::Function")
}

#[test]
fn reconcile_failures_reach_the_dead_letter_queue_and_its_alarm() {
    let t = template();
    let dlq = "ReconcileDeadLetterQueue";
    assert_eq!(
        t["Resources"][dlq]["Type"].as_str(),
        Some("AWS::SQS::Queue")
    );
    let reconcile = &t["Resources"]["ReconcileFunction"]["Properties"];

    // What the function itself fails with (errors, timeouts, throttles) after Lambda's retries.
    let invoke = &reconcile["EventInvokeConfig"];
    let on_failure = &invoke["DestinationConfig"]["OnFailure"];
    assert_eq!(on_failure["Type"].as_str(), Some("SQS"));
    assert_eq!(
        getatt_of(&on_failure["Destination"]),
        Some((dlq.into(), "Arn".into())),
        "OnFailure must name the DLQ's ARN"
    );
    let retries = invoke["MaximumRetryAttempts"]
        .as_u64()
        .expect("MaximumRetryAttempts is set");
    assert!(retries <= 2, "Lambda allows 0-2 retries, got {retries}");

    // What the scheduler could not deliver at all.
    let schedule = &reconcile["Events"]["Schedule"];
    assert_eq!(schedule["Type"].as_str(), Some("ScheduleV2"));
    assert_eq!(
        getatt_of(&schedule["Properties"]["DeadLetterConfig"]["Arn"]),
        Some((dlq.into(), "Arn".into()))
    );

    // And the alarm watches that very queue and tells the topic.
    let alarm = &t["Resources"]["ReconcileDeadLetterAlarm"]["Properties"];
    assert_eq!(alarm["Namespace"].as_str(), Some("AWS/SQS"));
    assert_eq!(
        alarm["MetricName"].as_str(),
        Some("ApproximateNumberOfMessagesVisible")
    );
    let dims = alarm["Dimensions"].as_sequence().expect("alarm dimensions");
    assert_eq!(dims.len(), 1);
    assert_eq!(dims[0]["Name"].as_str(), Some("QueueName"));
    assert_eq!(
        getatt_of(&dims[0]["Value"]),
        Some((dlq.into(), "QueueName".into()))
    );
    assert!(alarm["Threshold"].as_f64().is_some_and(|n| n <= 1.0));
    let actions: Vec<_> = alarm["AlarmActions"]
        .as_sequence()
        .expect("alarm actions")
        .iter()
        .filter_map(ref_of)
        .collect();
    assert_eq!(actions, ["AlarmTopic"]);
}

#[test]
fn the_schedule_sends_an_event_reconcile_can_read() {
    let t = template();
    let input = &t["Resources"]["ReconcileFunction"]["Properties"]["Events"]["Schedule"]["Properties"]
        ["Input"];
    let (tag, body) = intrinsic(input).expect("Input is a !Sub");
    assert_eq!(tag, "Sub");
    let body = body.as_str().expect("a !Sub string");
    // What CloudFormation and the scheduler substitute at run time.
    let rendered = body
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${AWS::Region}", "eu-west-1")
        .replace("<aws.scheduler.execution-id>", "d32c5kddcf5bb8c3")
        .replace("<aws.scheduler.scheduled-time>", "2026-11-23T13:05:00Z")
        .replace(
            "<aws.scheduler.schedule-arn>",
            "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/s",
        );
    assert!(
        !rendered.contains("${") && !rendered.contains("<aws."),
        "unsubstituted placeholder in {rendered}"
    );
    // The type the reconcile binary deserializes its payload into.
    let event: aws_lambda_events::eventbridge::EventBridgeEvent<serde_json::Value> =
        serde_json::from_str(&rendered).expect("the schedule's Input is the function's event");
    assert_eq!(event.detail_type, "Scheduled Event");
    assert_eq!(event.source, "aws.scheduler");
    assert_eq!(
        event.time.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-23T13:05:00+00:00")
    );
}

#[test]
fn the_audit_trail_is_retained_on_delete_and_replace() {
    let t = template();
    let kept: Vec<_> = [
        "AWS::Logs::LogGroup",
        "AWS::SQS::Queue",
        "AWS::DynamoDB::Table",
        "AWS::SecretsManager::Secret",
        "AWS::EC2::EIP",
    ]
    .iter()
    .flat_map(|ty| of_type(&t, ty))
    .collect();
    assert!(
        of_type(&t, "AWS::Logs::LogGroup").len() >= 8,
        "one log group per function and the API's access log"
    );
    for (id, r) in kept {
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert_eq!(r[policy].as_str(), Some("Retain"), "{id}: {policy}");
        }
    }
}

#[test]
fn every_function_logs_to_its_own_log_group() {
    let t = template();
    let groups = of_type(&t, "AWS::Logs::LogGroup");
    let mut used = BTreeSet::new();
    for (id, f) in functions(&t) {
        let group = ref_of(&f["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id} has no LoggingConfig.LogGroup !Ref"));
        assert!(
            groups.contains_key(group),
            "{id} logs to {group}, not a log group"
        );
        assert!(
            used.insert(group.to_string()),
            "{group} is shared by two functions"
        );
    }
    // The one group no function writes is the API's access log.
    let api_log =
        getatt_of(&t["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["DestinationArn"]);
    assert_eq!(api_log, Some(("ApiAccessLogs".into(), "Arn".into())));
    used.insert("ApiAccessLogs".into());
    let all: BTreeSet<_> = groups.keys().cloned().collect();
    assert_eq!(used, all, "a log group nothing writes to");
}

/// `(METHOD, path)` of every `HttpApi` event, with the authorizer it names (None = default JWT).
fn template_routes(t: &Value) -> BTreeMap<(String, String), Option<String>> {
    let mut out = BTreeMap::new();
    for (id, f) in functions(t) {
        let Some(events) = f["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, e) in events {
            if e["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let p = &e["Properties"];
            assert_eq!(ref_of(&p["ApiId"]), Some("HttpApi"), "{id}.{name:?}: ApiId");
            let key = (
                p["Method"].as_str().expect("Method").to_uppercase(),
                p["Path"].as_str().expect("Path").to_string(),
            );
            let auth = p["Auth"]["Authorizer"].as_str().map(str::to_string);
            assert!(
                out.insert(key.clone(), auth).is_none(),
                "{key:?} routed twice"
            );
        }
    }
    out
}

/// `(METHOD, path)` under `paths:` of `openapi.yaml`.
fn documented_routes() -> BTreeSet<(String, String)> {
    let doc = load(OPENAPI);
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().expect("openapi paths") {
        let path = path.as_str().expect("path keys are strings");
        for (method, _) in item.as_mapping().expect("a path item") {
            let method = method.as_str().unwrap_or_default();
            if ["get", "post", "put", "patch", "delete"].contains(&method) {
                out.insert((method.to_uppercase(), path.to_string()));
            }
        }
    }
    out
}

#[test]
fn the_api_routes_are_the_served_and_documented_routes() {
    let t = template();
    let routes = template_routes(&t);
    let deployed: BTreeSet<_> = routes.keys().cloned().collect();
    let served: BTreeSet<_> = local::routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        deployed, served,
        "template.yaml routes vs the function routers' ROUTES"
    );
    // `/healthz` belongs to the local server only.
    let mut documented = documented_routes();
    documented.remove(&("GET".to_string(), "/healthz".to_string()));
    assert_eq!(deployed, documented, "template.yaml routes vs openapi.yaml");

    // Admin routes are IAM-signed, the postback is open (its signature is the check), the
    // rest take the default JWT authorizer.
    for ((method, path), auth) in &routes {
        let want = if path.starts_with("/v1/admin/") {
            Some("AWS_IAM")
        } else if path == "/v1/postbacks/paykassma" {
            Some("NONE")
        } else {
            None
        };
        assert_eq!(auth.as_deref(), want, "{method} {path}");
    }
    let api_auth = &t["Resources"]["HttpApi"]["Properties"]["Auth"];
    // SAM refuses a route naming AWS_IAM unless the API defines that authorizer.
    assert_eq!(api_auth["EnableIamAuthorizer"].as_bool(), Some(true));
    assert_eq!(api_auth["DefaultAuthorizer"].as_str(), Some("UserJwt"));
}

#[test]
fn the_vpc_mode_is_off_by_default_and_complete_when_on() {
    let t = template();
    let params = &t["Parameters"];
    assert_eq!(params["CreateNetwork"]["Default"].as_str(), Some("false"));
    assert_eq!(params["SubnetIds"]["Default"].as_str(), Some(""));
    assert_eq!(params["SecurityGroupId"]["Default"].as_str(), Some(""));

    // Functions get a VpcConfig only in VPC mode.
    let vpc = &t["Globals"]["Function"]["VpcConfig"];
    let (cond, on, off) = if_of(vpc).expect("Globals VpcConfig is !If");
    assert_eq!(cond, "InVpc");
    assert_eq!(ref_of(off), Some("AWS::NoValue"));
    let (c, created, existing) = if_of(&on["SubnetIds"]).expect("SubnetIds is !If");
    assert_eq!(c, "CreatesNetwork");
    let created: Vec<_> = created
        .as_sequence()
        .expect("the created subnets")
        .iter()
        .filter_map(ref_of)
        .collect();
    assert_eq!(created, ["PrivateSubnetA", "PrivateSubnetB"]);
    assert_eq!(ref_of(existing), Some("SubnetIds"));
    for (id, f) in functions(&t) {
        assert!(
            f["Properties"]["VpcConfig"].is_null(),
            "{id} overrides the global VpcConfig"
        );
    }

    // Everything of the network exists only when asked for.
    let all = resources(&t);
    for (id, r) in all.iter().filter(|(_, r)| {
        r["Type"]
            .as_str()
            .is_some_and(|ty| ty.starts_with("AWS::EC2::"))
    }) {
        assert_eq!(r["Condition"].as_str(), Some("CreatesNetwork"), "{id}");
    }

    // A NAT gateway with its own Elastic IP in each AZ's public subnet, and each private
    // subnet's default route through its AZ's NAT.
    for az in ["A", "B"] {
        let nat = &t["Resources"][format!("NatGateway{az}").as_str()]["Properties"];
        assert_eq!(
            ref_of(&nat["SubnetId"]),
            Some(format!("PublicSubnet{az}").as_str())
        );
        assert_eq!(
            getatt_of(&nat["AllocationId"]),
            Some((format!("NatEip{az}"), "AllocationId".into()))
        );
        let route = &t["Resources"][format!("PrivateDefaultRoute{az}").as_str()]["Properties"];
        assert_eq!(route["DestinationCidrBlock"].as_str(), Some("0.0.0.0/0"));
        assert_eq!(
            ref_of(&route["NatGatewayId"]),
            Some(format!("NatGateway{az}").as_str())
        );
        assert_eq!(
            ref_of(&route["RouteTableId"]),
            Some(format!("PrivateRouteTable{az}").as_str())
        );
        let assoc = &t["Resources"][format!("PrivateSubnet{az}RouteTable").as_str()]["Properties"];
        assert_eq!(
            ref_of(&assoc["SubnetId"]),
            Some(format!("PrivateSubnet{az}").as_str())
        );
    }
    let azs: BTreeSet<_> = ["PrivateSubnetA", "PrivateSubnetB"]
        .iter()
        .map(|s| format!("{:?}", t["Resources"][*s]["Properties"]["AvailabilityZone"]))
        .collect();
    assert_eq!(azs.len(), 2, "the private subnets share an AZ");

    // DynamoDB and Secrets Manager do not go through the NAT.
    let dynamo = &t["Resources"]["DynamoDbEndpoint"]["Properties"];
    assert_eq!(dynamo["VpcEndpointType"].as_str(), Some("Gateway"));
    let tables: Vec<_> = dynamo["RouteTableIds"]
        .as_sequence()
        .expect("endpoint route tables")
        .iter()
        .filter_map(ref_of)
        .collect();
    assert_eq!(tables, ["PrivateRouteTableA", "PrivateRouteTableB"]);
    let secrets = &t["Resources"]["SecretsManagerEndpoint"]["Properties"];
    assert_eq!(secrets["VpcEndpointType"].as_str(), Some("Interface"));
    assert_eq!(secrets["PrivateDnsEnabled"].as_bool(), Some(true));
    for (endpoint, service) in [(dynamo, "dynamodb"), (secrets, "secretsmanager")] {
        let (tag, name) = intrinsic(&endpoint["ServiceName"]).expect("ServiceName is a !Sub");
        assert_eq!(tag, "Sub");
        assert_eq!(
            name.as_str(),
            Some(format!("com.amazonaws.${{AWS::Region}}.{service}").as_str())
        );
    }

    // The addresses to give the gateway's support.
    let egress = &t["Outputs"]["EgressIps"];
    assert_eq!(egress["Condition"].as_str(), Some("CreatesNetwork"));
    let (tag, join) = intrinsic(&egress["Value"]).expect("EgressIps is a !Join");
    assert_eq!(tag, "Join");
    let ips: Vec<_> = join[1]
        .as_sequence()
        .expect("the joined addresses")
        .iter()
        .filter_map(ref_of)
        .collect();
    assert_eq!(ips, ["NatEipA", "NatEipB"]);
}

#[test]
fn no_tracing_is_promised() {
    let t = template();
    assert!(t["Globals"]["Function"]["Tracing"].is_null());
    for (id, f) in functions(&t) {
        assert!(f["Properties"]["Tracing"].is_null(), "{id} sets Tracing");
    }
    let text = std::fs::read_to_string(TEMPLATE).expect("template.yaml");
    assert!(
        !text.to_lowercase().contains("xray"),
        "an X-Ray policy or setting is left"
    );
}

#[test]
fn the_admin_allow_list_and_the_kms_key_reach_the_functions() {
    let t = template();
    assert_eq!(
        t["Parameters"]["AdminPrincipalArns"]["Default"].as_str(),
        Some("")
    );
    let env = &t["Resources"]["AdminFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        ref_of(&env["ADMIN_PRINCIPAL_ARNS"]),
        Some("AdminPrincipalArns")
    );

    assert_eq!(t["Parameters"]["KmsKeyArn"]["Default"].as_str(), Some(""));
    let (cond, key, none) = if_of(&t["Resources"]["GatewaySecret"]["Properties"]["KmsKeyId"])
        .expect("the secret's KmsKeyId is !If");
    assert_eq!(
        (cond, ref_of(key), ref_of(none)),
        ("HasKmsKey", Some("KmsKeyArn"), Some("AWS::NoValue"))
    );
    // Every function reads the secret, so every function may decrypt it.
    for (id, f) in functions(&t) {
        let has = f["Properties"]["Policies"]
            .as_sequence()
            .expect("policies")
            .iter()
            .filter_map(if_of)
            .any(|(c, then, _)| c == "HasKmsKey" && ref_of(then) == Some("KmsKeyUsePolicy"));
        assert!(has, "{id} lacks the KMS key policy");
    }
}

#[test]
fn cors_admits_only_named_origins_with_the_codes_rules() {
    use service::http::cors;
    let t = template();
    let param = &t["Parameters"]["CorsAllowedOrigins"];
    assert_eq!(param["Type"], "CommaDelimitedList");
    assert_eq!(param["Default"], "", "no origin is let in by default");
    let pattern = param["AllowedPattern"].as_str().unwrap();
    assert!(!pattern.contains('*'), "no wildcard origin: {pattern}");
    let api = &resources(&t)["HttpApi"]["Properties"];
    let (condition, rules, otherwise) =
        if_of(&api["CorsConfiguration"]).expect("CORS only when origins are given (!If)");
    assert_eq!(condition, "HasCorsOrigins");
    assert_eq!(ref_of(otherwise), Some("AWS::NoValue"));
    let (tag, args) = intrinsic(&t["Conditions"]["HasCorsOrigins"]).unwrap();
    assert_eq!(tag, "Not");
    assert!(
        serde_yaml::to_string(args)
            .unwrap()
            .contains("CorsAllowedOrigins"),
        "{args:?}"
    );
    assert_eq!(ref_of(&rules["AllowOrigins"]), Some("CorsAllowedOrigins"));
    let list = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list(&rules["AllowHeaders"]), cors::ALLOWED_HEADERS);
    assert_eq!(list(&rules["AllowMethods"]), cors::ALLOWED_METHODS);
    assert_eq!(list(&rules["ExposeHeaders"]), cors::EXPOSED_HEADERS);
    assert_eq!(rules["MaxAge"].as_u64(), Some(cors::MAX_AGE_SECONDS));
    // Credentials are a bearer header, never cookies.
    assert!(rules.get("AllowCredentials").is_none());
}
