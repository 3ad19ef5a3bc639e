//! The real Lambda binaries, each started under the Runtime API emulator and driven with the
//! API Gateway v2 and EventBridge event fixtures in `events/`, against DynamoDB Local, moto's
//! Secrets Manager and the sandbox. One story end to end: a deposit is created, paid,
//! activated and credited by the postback binary (twice: once), a withdrawal is debited, the
//! admin and reconcile binaries answer. Cold start and peak RSS of each binary are written to
//! `target/emulator-report.md`.
//!
//! The binaries are the workspace's own debug builds (`cargo build --workspace --bins`, which
//! the test command runs first), or those in `LAMBDA_BINARY_DIR` (e.g. `target/release`, for
//! the release figures the benchmark reports); the arm64 release artifacts are built by
//! `sam build`. The report names which were measured.

use std::path::PathBuf;
use std::time::Duration;

use lambda_emulator::{Function, Outcome};
use paykassma_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the binaries are: `LAMBDA_BINARY_DIR`, else this test's own profile directory.
fn binary_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LAMBDA_BINARY_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/binaries-<hash> -> target/<profile>
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(|d| d.parent())
        .expect("target profile directory")
        .to_path_buf()
}

fn binary(name: &str) -> PathBuf {
    let path = binary_dir().join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the functions first (`cargo build --workspace --bins`, as infra/scripts/test.sh does)",
        path.display()
    );
    path
}

fn event(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The HTTP answer inside an API Gateway v2 response: status and JSON body.
fn http_answer(outcome: Outcome) -> (u16, Value) {
    let Outcome::Response(r) = outcome else {
        panic!("the function failed: {outcome:?}")
    };
    let status = r["statusCode"].as_u64().expect("statusCode") as u16;
    let body = r["body"].as_str().unwrap_or("");
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or(json!(body))
    };
    (status, body)
}

struct Report(Vec<String>);

impl Report {
    fn record(&mut self, f: &Function, name: &str) {
        let cold = f.cold_start.map_or("-".into(), |d| {
            format!("{:.0} ms", d.as_secs_f64() * 1000.0)
        });
        let rss = f
            .peak_rss_kib()
            .map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        self.0.push(format!("| {name} | {cold} | {rss} |"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_binaries_answer_real_events() {
    let dynamodb = testkit::services::dynamodb_endpoint();
    let secrets_manager = testkit::services::secrets_manager_endpoint();

    // The gateway and its keys.
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let cfg = sandbox.config().clone();

    // A fresh table and a secret in moto holding the sandbox's keys.
    let suffix = uuid_suffix();
    let table = format!("emulator-{suffix}");
    let ddb = aws_adapters::dynamo::DynamoStore::client(Some(&dynamodb)).await;
    aws_adapters::dynamo::table::create_table_if_missing(&ddb, &table)
        .await
        .expect("table");
    let sm_conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&secrets_manager)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let sm = aws_sdk_secretsmanager::Client::new(&sm_conf);
    let secret_id = format!("paykassma/emulator-{suffix}");
    sm.create_secret()
        .name(&secret_id)
        .secret_string(
            json!({
                "pluginapi_secret": cfg.secret.expose(),
                "withdrawal_private_key": cfg.withdrawal_private_key.expose(),
                "postback_access_key": cfg.postback_keys.access_key.expose(),
                "postback_private_key": cfg.postback_keys.private_key.expose(),
            })
            .to_string(),
        )
        .send()
        .await
        .expect("secret created in moto");

    let env: Vec<(String, String)> = [
        ("TABLE_NAME", table.clone()),
        ("DYNAMODB_ENDPOINT", dynamodb.clone()),
        ("SECRET_ID", secret_id.clone()),
        ("SECRETS_MANAGER_ENDPOINT", secrets_manager.clone()),
        ("PAYKASSMA_API_BASE", sandbox.api_base()),
        ("PAYKASSMA_PLUGIN_BASE", sandbox.base_url()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("RECONCILE_DEPOSIT_MIN_AGE_SECONDS", "0".into()),
        ("RUST_LOG", "info".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    let mut report = Report(vec![
        format!("Binaries from `{}`.\n", binary_dir().display()),
        "| binary | cold start (exec to first answer) | peak RSS |".into(),
        "|---|---|---|".into(),
    ]);

    // account: 401 without a JWT, an empty balance with one.
    let mut account = Function::spawn(&binary("account"), "account", &env)
        .await
        .expect("account starts");
    let (status, body) = http_answer(
        account
            .invoke(event("apigw-v2-get-balance-no-auth.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthenticated");
    // The error names Lambda's request id, and so does the function's log line about it.
    let request_id = account.last_request_id().expect("invoked").to_string();
    assert_eq!(body["error"]["request_id"], request_id.as_str(), "{body}");
    let logged = account.logs();
    let refusal = logged
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["code"] == "unauthenticated")
        .unwrap_or_else(|| panic!("no log line of the refusal in:\n{logged}"));
    assert_eq!(refusal["requestId"], request_id.as_str(), "{refusal}");
    assert_eq!(refusal["level"], "INFO", "{refusal}");
    let (status, body) = http_answer(
        account
            .invoke(event("apigw-v2-get-balance.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!((status, &body), (200, &json!({"balances": {}})));

    // deposit-create: the method list, then a UPI P2P deposit.
    let mut create = Function::spawn(&binary("deposit-create"), "deposit-create", &env)
        .await
        .expect("starts");
    let (status, body) = http_answer(
        create
            .invoke(event("apigw-v2-get-payment-methods.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(status, 200, "{body}");
    let methods = body["methods"].as_array().expect("methods");
    assert!(
        methods
            .iter()
            .any(|m| m["wallet_type"] == "upi_l" && m["kind"] == "p2p"),
        "{body}"
    );
    let (status, deposit) = http_answer(
        create
            .invoke(event("apigw-v2-post-deposit.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(status, 201, "{deposit}");
    let deposit_id = deposit["id"].as_str().expect("deposit id").to_string();
    assert!(deposit["pay_to"].is_string(), "{deposit}");
    report.record(&create, "deposit-create");

    // The user pays 500 INR with UTR 321323438267 (the sandbox plays their bank app).
    let paid = reqwest::Client::new()
        .post(format!("{}/_sandbox/payments", sandbox.base_url()))
        .json(&json!({"wallet_type": "upi_l", "key1": "321323438267", "amount": "500", "currency_code": "INR"}))
        .send()
        .await
        .expect("sandbox control route");
    assert!(paid.status().is_success(), "{:?}", paid.text().await);

    // deposit-activate with that transaction number.
    let mut activate = Function::spawn(&binary("deposit-activate"), "deposit-activate", &env)
        .await
        .expect("starts");
    let mut ev = event("apigw-v2-post-activate.json");
    let path = format!("/v1/deposits/{deposit_id}/activate");
    ev["rawPath"] = json!(path);
    ev["requestContext"]["http"]["path"] = json!(path);
    let (status, body) = http_answer(activate.invoke(ev, INVOKE_TIMEOUT).await.expect("invoke"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "credited", "{body}");
    report.record(&activate, "deposit-activate");

    // The gateway's signed postback for it, delivered twice to the postback binary: credited once.
    let postback = sandbox
        .postback_texts()
        .into_iter()
        .last()
        .expect("the sandbox produced a postback");
    let mut webhook = Function::spawn(&binary("postback"), "postback", &env)
        .await
        .expect("starts");
    for _ in 0..2 {
        let mut ev = event("apigw-v2-post-postback.json");
        ev["body"] = json!(postback);
        let (status, body) = http_answer(webhook.invoke(ev, INVOKE_TIMEOUT).await.expect("invoke"));
        assert_eq!((status, &body), (200, &json!({"status": "ok"})));
    }
    // (P) signs `additional_data`, which is also what gets credited: changing its amount must fail.
    let mut forged = event("apigw-v2-post-postback.json");
    let tampered = postback.replacen("\"amount\":\"", "\"amount\":\"9", 1);
    assert_ne!(
        tampered, postback,
        "the postback carries a string entry amount"
    );
    forged["body"] = json!(tampered);
    let (status, body) = http_answer(
        webhook
            .invoke(forged, INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(
        status, 401,
        "a postback whose signed data was changed must not verify: {body}"
    );
    report.record(&webhook, "postback");

    let (_, body) = http_answer(
        account
            .invoke(event("apigw-v2-get-balance.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(body["balances"]["INR"]["available"], "500.00", "{body}");

    // withdrawal-submit: 100 INR by IMPS, debited at once.
    let mut withdraw = Function::spawn(&binary("withdrawal-submit"), "withdrawal-submit", &env)
        .await
        .expect("starts");
    let (status, body) = http_answer(
        withdraw
            .invoke(event("apigw-v2-post-withdrawal.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "submitted", "{body}");
    assert!(
        sandbox
            .withdrawal(body["withdrawal_id"].as_str().expect("withdrawal_id"))
            .is_some()
    );
    report.record(&withdraw, "withdrawal-submit");

    let (_, body) = http_answer(
        account
            .invoke(event("apigw-v2-get-balance.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(body["balances"]["INR"]["available"], "400.00", "{body}");
    assert_eq!(body["balances"]["INR"]["held"], "100.00", "{body}");
    let (status, body) = http_answer(
        account
            .invoke(event("apigw-v2-get-ledger.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body["entries"].as_array().map(Vec::len),
        Some(2),
        "credit and debit: {body}"
    );
    report.record(&account, "account");

    // admin: IAM-authorized.
    let mut admin = Function::spawn(&binary("admin"), "admin", &env)
        .await
        .expect("starts");
    let (status, body) = http_answer(
        admin
            .invoke(event("apigw-v2-get-admin-methods.json"), INVOKE_TIMEOUT)
            .await
            .expect("invoke"),
    );
    assert_eq!(status, 200, "{body}");
    report.record(&admin, "admin");

    // reconcile: one scheduled run completes.
    let mut reconcile = Function::spawn(&binary("reconcile"), "reconcile", &env)
        .await
        .expect("starts");
    let outcome = reconcile
        .invoke(event("eventbridge-scheduled.json"), INVOKE_TIMEOUT)
        .await
        .expect("invoke");
    assert!(
        matches!(outcome, Outcome::Response(_)),
        "reconcile failed: {outcome:?}\n{}",
        reconcile.logs()
    );
    report.record(&reconcile, "reconcile");

    let text = report.0.join("\n") + "\n";
    println!("{text}");
    // Beside the profile directory the binaries came from: target/emulator-report.md.
    let out = binary_dir().parent().map(|t| t.join("emulator-report.md"));
    if let Some(out) = out {
        let _ = std::fs::write(out, &text);
    }
    sandbox.stop().await;
}

fn uuid_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}
