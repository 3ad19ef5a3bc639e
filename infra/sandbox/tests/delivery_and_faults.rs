//! Postback delivery (signature schemes, retries until 200 `{"status":"ok"}`, attempt log) and
//! fault injection on postbacks and API requests; start/stop of the server.

use std::time::Duration;

use paykassma::signature::Scheme;
use paykassma_sandbox::{AttemptStatus, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use testkit::sandbox::{Env, Receiver, entry, fast_config, text};

async fn pay(env: &Env, custom: &str) {
    let (s, _) = env
        .control(
            "/_sandbox/plugin-payments",
            json!({"label":"55","amount":300,"currency_code":"INR","wallet_type":"upi_l","custom_transaction_id":custom}),
        )
        .await;
    assert_eq!(s, 200);
}

async fn attempts(env: &Env) -> Vec<Value> {
    env.get(&env.url("/_sandbox/postbacks"))
        .await
        .1
        .as_array()
        .unwrap()
        .clone()
}

async fn wait_attempts(env: &Env, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let a = attempts(env).await;
        if a.len() >= n {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} attempts, got {:?}", attempts(env).await);
}

#[tokio::test]
async fn retries_until_http_200_with_status_ok_and_records_every_attempt() {
    let env = Env::start().await;
    env.receiver
        .answer_first(&[(500, "oops"), (200, r#"{"status":"error"}"#), (200, "OK")]);
    pay(&env, "r-1").await;
    let bodies = env.receiver.wait_for(4).await;
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every retry sends the same bytes"
    );
    let log = wait_attempts(&env, 4).await;
    let statuses: Vec<&Value> = log.iter().map(|a| &a["status"]).collect();
    assert_eq!(
        statuses,
        vec![&json!(500), &json!(200), &json!(200), &json!(200)]
    );
    let oks: Vec<bool> = log.iter().map(|a| a["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, vec![false, false, false, true]);
    assert_eq!(
        log[0]["body"].as_str().unwrap().as_bytes(),
        bodies[0].as_slice()
    );
    assert!(log[0]["url"].as_str().unwrap().ends_with("/postback"));
    assert!(log[0]["at"].as_str().unwrap().contains('T'));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        env.receiver.bodies().len(),
        4,
        "no more attempts after the acknowledgement"
    );
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    let mut config = fast_config();
    config.retry.max_attempts = 3;
    let env = Env::with(config).await;
    env.receiver
        .answer_first(&[(503, ""), (503, ""), (503, ""), (503, "")]);
    pay(&env, "g-1").await;
    env.receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.receiver.bodies().len(), 3);
}

#[tokio::test]
async fn request_scheme_postbacks_verify_with_w() {
    let env = Env::with(SandboxConfig {
        postback_scheme: Scheme::Request,
        ..fast_config()
    })
    .await;
    pay(&env, "w-1").await;
    env.receiver.wait_for(1).await;
    let pb = &env.verified(Scheme::Request)[0];
    assert_eq!(text(entry(pb), "plugin_custom_order_id"), "w-1");
    let raw = env.receiver.bodies()[0].clone();
    assert!(
        paykassma::signature::verify_postback(
            &raw,
            &env.sandbox.config().postback_keys,
            Scheme::Postback
        )
        .is_err()
    );
}

#[tokio::test]
async fn postback_url_can_be_set_later_and_undelivered_ones_are_retried() {
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let sandbox = Sandbox::start(fast_config()).await.unwrap();
    let http = reqwest::Client::new();
    http.post(format!("{}/_sandbox/plugin-payments", sandbox.base_url()))
        .json(&json!({"label":"5","amount":300,"currency_code":"INR","wallet_type":"upi_l"}))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        sandbox.attempts()[0].status,
        AttemptStatus::Other("error: no postback_url configured".into())
    );
    let resp = http
        .post(format!("{}/_sandbox/config", sandbox.base_url()))
        .json(&json!({ "postback_url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    receiver.wait_for(1).await;
    sandbox.stop().await;
}

#[tokio::test]
async fn postback_faults_drop_duplicate_and_http500() {
    let env = Env::start().await;
    // drop: never delivered, still available for lookups.
    env.control(
        "/_sandbox/faults",
        json!({"target":"postback","mode":"drop","count":1}),
    )
    .await;
    pay(&env, "f-1").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(env.receiver.bodies().is_empty());
    let log = attempts(&env).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "dropped");
    let (_, body) = env
        .get(&env.api("/api/v1/pullpostbacks?type=deposit&plugin_custom_order_id[]=f-1"))
        .await;
    assert_eq!(
        body["data"]["transactions"][0]["postback"]["additional_data"][0]["plugin_custom_order_id"],
        "f-1"
    );

    // duplicate: two deliveries of the same bytes.
    env.control(
        "/_sandbox/faults",
        json!({"target":"postback","mode":"duplicate"}),
    )
    .await;
    pay(&env, "f-2").await;
    let bodies = env.receiver.wait_for(2).await;
    assert_eq!(bodies[0], bodies[1]);

    // http500: the next two attempts fail inside the sandbox, the third reaches the receiver.
    env.control(
        "/_sandbox/faults",
        json!({"target":"postback","mode":"http500","count":2}),
    )
    .await;
    pay(&env, "f-3").await;
    env.receiver.wait_for(3).await;
    let log = attempts(&env).await;
    let f3: Vec<&Value> = log
        .iter()
        .filter(|a| a["body"].as_str().unwrap().contains("f-3"))
        .map(|a| &a["status"])
        .collect();
    assert_eq!(
        f3,
        vec![
            &json!("fault:http500"),
            &json!("fault:http500"),
            &json!(200)
        ]
    );
    let (_, faults) = env.get(&env.url("/_sandbox/faults")).await;
    assert_eq!(faults, json!([]));
}

#[tokio::test]
async fn api_faults_http500_drop_timeout_and_drop_after() {
    let env = Env::start().await;
    let balance = env.api("/api/v1/accounts-balance");
    env.control(
        "/_sandbox/faults",
        json!({"target":"/api/v1/accounts-balance","mode":"http500","count":2}),
    )
    .await;
    for _ in 0..2 {
        let (s, body) = env.get(&balance).await;
        assert_eq!((s, body), (500, json!({"message":"Server Error"})));
    }
    assert_eq!(env.get(&balance).await.0, 200);

    env.control(
        "/_sandbox/faults",
        json!({"target":"/api/v1/","mode":"drop"}),
    )
    .await;
    let err = env.http.get(&balance).send().await.unwrap_err();
    assert!(!err.is_status(), "{err}");
    assert_eq!(env.get(&balance).await.0, 200);

    env.control(
        "/_sandbox/faults",
        json!({"target":"/api/v1/accounts-balance","mode":"timeout"}),
    )
    .await;
    let err = env
        .http
        .get(&balance)
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // drop_after: the request is handled, the caller gets no answer.
    env.control(
        "/_sandbox/faults",
        json!({"target":"/v2/withdrawal/create","mode":"drop_after"}),
    )
    .await;
    let body = json!({"withdrawal_id":"da-1","payment_system":"paytm","amount":100,"currency_code":"INR","label":"55","is_test":true,"account_number":"9999999999"});
    let signed = testkit::sandbox::sign_withdrawal(
        env.sandbox.config().withdrawal_private_key.expose(),
        &body,
    );
    let sent = env
        .http
        .post(env.url("/v2/withdrawal/create"))
        .body(signed)
        .send()
        .await;
    assert!(sent.is_err());
    let (s, w) = env.get(&env.url("/_sandbox/withdrawals/da-1")).await;
    assert_eq!((s, w["status"].as_str()), (200, Some("new")));

    // Control routes are never faulted; bad fault specs are refused.
    env.control(
        "/_sandbox/faults",
        json!({"target":"/_sandbox/","mode":"http500"}),
    )
    .await;
    assert_eq!(env.get(&env.url("/_sandbox/postbacks")).await.0, 200);
    let (s, _) = env
        .control("/_sandbox/faults", json!({"target":"api","mode":"drop"}))
        .await;
    assert_eq!(s, 400);
    let (s, _) = env
        .control(
            "/_sandbox/faults",
            json!({"target":"/api/v1/","mode":"duplicate"}),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn stop_frees_the_port() {
    let sandbox = Sandbox::start(fast_config()).await.unwrap();
    let addr = sandbox.addr();
    sandbox.stop().await;
    assert!(
        reqwest::get(format!("http://{addr}/wallet-type/images/"))
            .await
            .is_err()
    );
    let again = Sandbox::start(SandboxConfig {
        port: addr.port(),
        ..fast_config()
    })
    .await
    .unwrap();
    assert_eq!(again.addr(), addr);
    again.stop().await;
}

#[tokio::test]
async fn reset_forgets_everything_but_the_configuration() {
    let env = Env::start().await;
    pay(&env, "rs-1").await;
    env.receiver.wait_for(1).await;
    env.control(
        "/_sandbox/faults",
        json!({"target":"postback","mode":"drop"}),
    )
    .await;
    env.control("/_sandbox/balances", json!([])).await;
    let (s, _) = env.control("/_sandbox/reset", json!({})).await;
    assert_eq!(s, 200);
    assert!(attempts(&env).await.is_empty());
    assert_eq!(env.get(&env.url("/_sandbox/faults")).await.1, json!([]));
    let (_, body) = env
        .get(&env.api("/api/v1/pullpostbacks?type=deposit&plugin_custom_order_id[]=rs-1"))
        .await;
    assert_eq!(
        body["data"]["transactions"][0]["message"],
        "Postback not found"
    );
    assert_eq!(
        env.sandbox.balances().len(),
        env.sandbox.config().balances.len()
    );
    // The same custom id is free again, and postbacks still reach the configured URL.
    pay(&env, "rs-1").await;
    env.receiver.wait_for(2).await;
}

#[tokio::test]
async fn retries_back_off_exponentially_up_to_the_maximum() {
    let mut config = fast_config();
    config.retry.initial = Duration::from_millis(30);
    config.retry.max = Duration::from_millis(100);
    let env = Env::with(config).await;
    env.receiver
        .answer_first(&[(500, ""), (500, ""), (500, ""), (500, ""), (500, "")]);
    pay(&env, "bo-1").await;
    env.receiver.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let at: Vec<time::OffsetDateTime> = env.sandbox.attempts().iter().map(|a| a.at).collect();
    assert_eq!(at.len(), 6);
    let gaps: Vec<i128> = at
        .windows(2)
        .map(|w| (w[1] - w[0]).whole_milliseconds())
        .collect();
    // Each wait is at least the scheduled delay: 30, 60, 100 (capped), 100, 100 ms.
    for (gap, min) in gaps.iter().zip([30, 60, 100, 100, 100]) {
        assert!(*gap >= min, "gaps {gaps:?}");
    }
}

#[tokio::test]
async fn api_faults_http404_http429_http502_and_hang() {
    let env = Env::start().await;
    let balance = env.api("/api/v1/accounts-balance");
    for (mode, status) in [("http404", 404), ("http429", 429), ("http502", 502)] {
        env.control(
            "/_sandbox/faults",
            json!({"target":"/api/v1/accounts-balance","mode":mode,"count":1}),
        )
        .await;
        let resp = env.http.get(&balance).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{mode}");
    }
    env.control(
        "/_sandbox/faults",
        json!({"target":"/api/v1/accounts-balance","mode":"hang"}),
    )
    .await;
    let err = env
        .http
        .get(&balance)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(env.get(&balance).await.0, 200, "one call only");
    // Postbacks are not faulted by API-only modes.
    let (s, _) = env
        .control(
            "/_sandbox/faults",
            json!({"target":"postback","mode":"hang"}),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn behaviours_the_documents_leave_open_are_played_on_request() {
    let env = Env::start().await;
    let (s, b) = env.get(&env.url("/_sandbox/behaviour")).await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({"repeated_withdrawal_id":"refused","paging":"honoured","withdrawal_lookup":"documented","limits_keys":"family","limits_unit":"major","savings_activation":"deposit_true"})
    );
    let body = json!({"withdrawal_id":"rep-1","payment_system":"paytm","amount":100,"currency_code":"INR","label":"55","is_test":true,"account_number":"9999999999"});
    assert_eq!(env.withdraw(body.clone()).await.1["status"], "ok");
    let (_, refused) = env.withdraw(body.clone()).await;
    assert_eq!(refused["status"], "fail", "{refused}");

    let (s, b) = env
        .control(
            "/_sandbox/behaviour",
            json!({"repeated_withdrawal_id":"new_payout","withdrawal_lookup":"not_found_while_processing","paging":"ignored"}),
        )
        .await;
    assert_eq!(
        (s, b["repeated_withdrawal_id"].as_str()),
        (200, Some("new_payout"))
    );
    assert_eq!(
        env.withdraw(body).await.1["status"],
        "ok",
        "a second payout"
    );
    assert_eq!(env.sandbox.payouts("rep-1").len(), 2);
    // The lookup denies knowing a withdrawal it is paying out; paging ignores offset.
    let (_, page) = env
        .get(&env.api(
            "/api/v1/pullpostbacks?type=withdrawal&withdrawal_id[]=rep-1&withdrawal_id[]=zz&limit=1&offset=1",
        ))
        .await;
    let items = page["data"]["withdrawals"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["withdrawal_id"], "rep-1", "offset ignored: {page}");
    assert_eq!(items[0]["message"], "Withdrawal with this ID not found");
    let (s, _) = env
        .control("/_sandbox/behaviour", json!({"paging":"sometimes"}))
        .await;
    assert!(s >= 400);
}
