//! Withdrawals (signature, validation, balance, settlement), postback lookups with pagination,
//! balances, URL hashing and the payment-system catalogue, over HTTP.

use std::time::Duration;

use paykassma::signature::Scheme;
use serde_json::{Value, json};
use testkit::sandbox::{Env, entry, fast_config, text};

fn withdrawal(id: &str, amount: i64) -> Value {
    json!({
        "withdrawal_id": id, "payment_system": "imps", "amount": amount, "currency_code": "INR", "label": "55",
        "is_test": false, "comment": "withdrawal", "account_number": "11111111", "receiver_name": "Ravi Kumar",
        "payments_details": {"payments_provider": "56", "payments_method": "MOBILE_MONEY"},
        "bank_details": {"bank_code": "MAHB0001821", "branch_code": "000254", "bank_code_in_payments_system": "9393"}
    })
}

fn inr_total(env: &Env) -> rust_decimal::Decimal {
    env.sandbox
        .balances()
        .iter()
        .filter(|b| b.1 == "INR")
        .map(|b| b.2)
        .sum()
}

#[tokio::test]
async fn signature_is_checked_over_the_received_body() {
    let env = Env::start().await;
    let mut body = withdrawal("w-sig", 1000);
    body["signature"] = json!("0000000000000000000000000000000000000000");
    let (status, text) = env
        .post_raw(&env.url("/v2/withdrawal/create"), body.to_string())
        .await;
    assert_eq!(
        (status, text.as_str()),
        (400, r#"{"status":"fail","message":"Invalid signature"}"#)
    );
    let (_, text) = env
        .post_raw(
            &env.url("/v2/withdrawal/create"),
            withdrawal("w-sig", 1000).to_string(),
        )
        .await;
    assert_eq!(
        text,
        r#"{"status":"fail","message":{"signature":["The signature field is required."]}}"#
    );
    // Signed with another key.
    let other = testkit::sandbox::sign_withdrawal("other-key", &withdrawal("w-sig", 1000));
    let (_, text) = env.post_raw(&env.url("/v2/withdrawal/create"), other).await;
    assert!(text.contains("Invalid signature"));
    // A value with a trailing space is trimmed by the gateway before hashing: the signature breaks.
    let mut spaced = withdrawal("w-sig", 1000);
    spaced["label"] = json!("55 ");
    let (_, body) = env.withdraw(spaced).await;
    assert_eq!(body, json!({"status":"fail","message":"Invalid signature"}));
    let (status, body) = env.withdraw(withdrawal("w-sig", 1000)).await;
    assert_eq!((status, body), (200, json!({"status":"ok"})));
}

#[tokio::test]
async fn withdrawal_rules_balance_and_settlement() {
    let env = Env::start().await;
    let before = inr_total(&env);
    let (_, body) = env.withdraw(withdrawal("w-1", 1000)).await;
    assert_eq!(body, json!({"status":"ok"}));
    assert_eq!(inr_total(&env), before - rust_decimal::Decimal::from(1000));
    // Same id again.
    let (_, body) = env.withdraw(withdrawal("w-1", 1000)).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"withdrawal_id":["The withdrawal id has already been taken."]}})
    );
    // Per-method required fields, integer amount, comment length, is_test.
    let (_, body) = env
        .withdraw(json!({"withdrawal_id":"w-2","payment_system":"imps","amount":10.5,"currency_code":"INR","label":"55","comment":"abc"}))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{
            "amount":["The amount must be an integer."],
            "is_test":["The is test field is required."],
            "comment":["The comment must be between 4 and 64 characters."],
            "account_number":["The account number field is required."],
            "receiver_name":["The receiver name field is required."],
            "bank_details.bank_code":["The bank details bank code field is required."]}})
    );
    let (_, body) = env
        .withdraw(json!({"withdrawal_id":"x".repeat(37),"payment_system":"nope","amount":1,"currency_code":"INR","label":"55","is_test":true}))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{
            "withdrawal_id":["The withdrawal id must be between 1 and 36 characters."],
            "payment_system":["The selected payment system is invalid."]}})
    );
    // More than the INR balances hold (new and incomplete withdrawals count).
    let (_, body) = env.withdraw(withdrawal("w-big", 2_000_000)).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"withdrawals_sum_amount":["Insufficient balance"]}})
    );

    // Settlement by control route: processed (1), then a rejected one (5) returns the money.
    let (_, body) = env
        .control("/_sandbox/withdrawals/w-1/process", json!({}))
        .await;
    assert_eq!(body["withdrawal_status"], 1);
    let (s, _) = env
        .control("/_sandbox/withdrawals/w-1/reject", json!({}))
        .await;
    assert_eq!(s, 409);
    env.withdraw(withdrawal("w-3", 2000)).await;
    let after_w3 = inr_total(&env);
    env.control("/_sandbox/withdrawals/w-3/reject", json!({}))
        .await;
    assert_eq!(
        inr_total(&env),
        after_w3 + rust_decimal::Decimal::from(2000)
    );
    let (s, _) = env
        .control("/_sandbox/withdrawals/nope/process", json!({}))
        .await;
    assert_eq!(s, 404);

    env.receiver.wait_for(2).await;
    let pbs = env.verified(Scheme::Postback);
    let by_id = |id: &str| {
        pbs.iter()
            .find(|p| text(entry(p), "withdrawal_id") == id)
            .unwrap()
            .clone()
    };
    let w1 = by_id("w-1");
    assert_eq!(text(&w1, "direction"), "outgoing");
    assert_eq!(text(entry(&w1), "withdrawal_status"), "1");
    assert_eq!(text(entry(&w1), "account_number"), "11111111");
    assert_eq!(text(entry(&w1), "amount"), "1000");
    assert_eq!(text(&w1, "amount"), "1000");
    assert_eq!(text(entry(&by_id("w-3")), "withdrawal_status"), "5");
}

#[tokio::test]
async fn withdrawals_settle_on_their_own_when_configured() {
    let env = Env::with(paykassma_sandbox::SandboxConfig {
        withdrawal_auto_settle: Some(Duration::from_millis(50)),
        ..fast_config()
    })
    .await;
    let (_, body) = env.withdraw(withdrawal("auto-1", 500)).await;
    assert_eq!(body["status"], "ok");
    env.receiver.wait_for(1).await;
    assert_eq!(
        text(
            entry(&env.verified(Scheme::Postback)[0]),
            "withdrawal_status"
        ),
        "1"
    );
    let (_, w) = env.get(&env.url("/_sandbox/withdrawals/auto-1")).await;
    assert_eq!(w["status"], "processed");
}

#[tokio::test]
async fn postback_lookup_and_pullpostbacks_with_pagination() {
    let env = Env::start().await;
    for (i, custom) in ["p-1", "p-2", "p-3"].iter().enumerate() {
        env.control(
            "/_sandbox/plugin-payments",
            json!({"label":"55","amount":100 + i,"currency_code":"INR","wallet_type":"upi_l","custom_transaction_id":custom}),
        )
        .await;
    }
    env.withdraw(withdrawal("pw-1", 700)).await;
    env.withdraw(withdrawal("pw-2", 700)).await;
    env.control("/_sandbox/withdrawals/pw-1/reject", json!({}))
        .await;

    let (status, body) = env
        .get(&env.api("/api/v1/postback?type=deposit&custom_id=p-2"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["postback"]["amount"], 101);
    assert!(
        body["postback"].get("signature").is_none() && body["postback"].get("access_key").is_none()
    );
    let tx = body["postback"]["additional_data"][0]["transaction_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, body) = env
        .get(&env.api(&format!(
            "/api/v1/postback?type=deposit&transaction_id={tx}"
        )))
        .await;
    assert_eq!(
        body["postback"]["additional_data"][0]["plugin_custom_order_id"],
        "p-2"
    );
    let (_, body) = env
        .get(&env.api("/api/v1/postback?type=withdrawal&withdrawal_id=pw-1"))
        .await;
    assert_eq!(
        body["postback"]["additional_data"][0]["withdrawal_status"],
        5
    );
    let (_, body) = env
        .get(&env.api("/api/v1/postback?type=withdrawal&withdrawal_id=pw-2"))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":"Postback not found"})
    );
    let (_, body) = env.get(&env.api("/api/v1/postback?type=deposit")).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"transaction_id":["The transaction id field is required when custom id is not present."]}})
    );
    let (_, body) = env
        .get(&env.api("/api/v1/postback?type=refund&custom_id=x"))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"type":["The selected type is invalid."]}})
    );

    // pullpostbacks: PHP array query, a page of 2 out of 4.
    let q = "/api/v1/pullpostbacks?type=deposit&plugin_custom_order_id[]=p-1&plugin_custom_order_id[]=nope&plugin_custom_order_id%5B%5D=p-3&plugin_custom_order_id[]=p-2&limit=2";
    let (_, body) = env.get(&env.api(q)).await;
    assert_eq!(body["status"], "success");
    assert_eq!(body["code"], 20000);
    assert_eq!(body["paginate"], json!({"offset":0,"total":4,"limit":2}));
    let items = body["data"]["transactions"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["plugin_custom_order_id"], "p-1");
    assert_eq!(items[0]["postback"]["amount"], 100);
    assert_eq!(
        items[1],
        json!({"plugin_custom_order_id":"nope","message":"Postback not found"})
    );
    let (_, body) = env.get(&env.api(&format!("{q}&offset=2"))).await;
    assert_eq!(body["paginate"], json!({"offset":2,"total":4,"limit":2}));
    let items = body["data"]["transactions"].as_array().unwrap();
    assert_eq!(
        (
            items[0]["plugin_custom_order_id"].as_str(),
            items[1]["plugin_custom_order_id"].as_str()
        ),
        (Some("p-3"), Some("p-2"))
    );
    // Without limit: the whole list.
    let (_, body) = env.get(&env.api("/api/v1/pullpostbacks?type=withdrawal&withdrawal_id[]=pw-1&withdrawal_id[]=pw-2&withdrawal_id[]=pw-x")).await;
    assert_eq!(body["paginate"], json!({"offset":0,"total":3,"limit":3}));
    let items = body["data"]["withdrawals"].as_array().unwrap();
    assert_eq!(
        items[0]["postback"]["additional_data"][0]["withdrawal_status"],
        5
    );
    assert_eq!(
        items[1],
        json!({"withdrawal_id":"pw-2","message":"Postback not found"})
    );
    assert_eq!(
        items[2],
        json!({"withdrawal_id":"pw-x","message":"Withdrawal with this ID not found"})
    );
    // Missing ids: the documented error.
    let (_, body) = env
        .get(&env.api("/api/v1/pullpostbacks?type=deposit"))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"plugin_custom_order_id":["The plugin custom order id field is required when type is deposit."]}})
    );
    let (_, body) = env
        .get(&env.api("/api/v1/pullpostbacks?type=withdrawal"))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"withdrawal_id":["The withdrawal id field is required when type is withdrawal."]}})
    );
}

#[tokio::test]
async fn balances_keep_their_scale_and_follow_deposits_and_withdrawals() {
    let env = Env::start().await;
    let (s, _) = env
        .control(
            "/_sandbox/balances",
            json!([{"wallet_type":"paytm","currency_code":"IDR","amount":"-324324.00"},
                   {"wallet_type":"bkash","currency_code":"BRL","amount":"187239.195"},
                   {"wallet_type":"upi_l","currency_code":"INR","amount":"5000"}]),
        )
        .await;
    assert_eq!(s, 200);
    let raw = env
        .http
        .get(env.api("/api/v1/accounts-balance"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        raw,
        r#"{"status":"success","message":"","code":20000,"data":{"balances":[{"wallet_type":"paytm","currency_code":"IDR","amount":-324324.00},{"wallet_type":"bkash","currency_code":"BRL","amount":187239.195},{"wallet_type":"upi_l","currency_code":"INR","amount":5000}]}}"#
    );
    env.control(
        "/_sandbox/plugin-payments",
        json!({"label":"1","amount":250,"currency_code":"INR","wallet_type":"upi_l"}),
    )
    .await;
    let (_, body) = env.withdraw(withdrawal("b-1", 5000)).await;
    assert_eq!(body["status"], "ok");
    let (_, body) = env.withdraw(withdrawal("b-2", 251)).await;
    assert_eq!(
        body["message"]["withdrawals_sum_amount"][0],
        "Insufficient balance"
    );
    let (_, body) = env.get(&env.api("/api/v1/accounts-balance")).await;
    let balances = body["data"]["balances"].as_array().unwrap();
    assert!(balances.contains(&json!({"wallet_type":"upi_l","currency_code":"INR","amount":5250})));
    assert!(balances.contains(&json!({"wallet_type":"imps","currency_code":"INR","amount":-5000})));
}

#[tokio::test]
async fn hash_url_orders_and_expires_hashes() {
    let env = Env::with(paykassma_sandbox::SandboxConfig {
        hash_lifetime: Duration::from_millis(1000),
        ..fast_config()
    })
    .await;
    let req = json!({
        "success_urls":[{"order":2,"url":"https://test.com/success2.jpg"},{"order":1,"url":"https://test.com/success1.jpg"}],
        "fail_urls":[],
        "pending_urls":[{"order":3,"url":"https://test.com/pending1.jpg"}]
    });
    let (status, body) = env
        .post(&env.api("/api/v1/payment-plugin/hash-url"), req)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let success = body["urls"]["success_url"].as_array().unwrap();
    assert_eq!(
        (success[0]["order"].as_i64(), success[1]["order"].as_i64()),
        (Some(1), Some(2))
    );
    let hash = success[0]["url"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(body["urls"]["fail_url"], json!([]));
    assert_eq!(body["urls"]["pending_url"][0]["order"], 3);
    assert_eq!(
        env.sandbox.resolve_hash(hash).as_deref(),
        Some("https://test.com/success1.jpg")
    );
    let (s, b) = env.get(&env.url(&format!("/_sandbox/hashes/{hash}"))).await;
    assert_eq!(
        (s, b),
        (200, json!({"url":"https://test.com/success1.jpg"}))
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(env.sandbox.resolve_hash(hash), None);
    let (s, _) = env.get(&env.url(&format!("/_sandbox/hashes/{hash}"))).await;
    assert_eq!(s, 410);

    let (_, body) = env
        .post(
            &env.api("/api/v1/payment-plugin/hash-url"),
            json!({"success_urls":[],"fail_urls":[]}),
        )
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"success_urls":["The success urls field is required when fail urls is empty."]}})
    );
    let (_, body) = env
        .post(
            &env.api("/api/v1/payment-plugin/hash-url"),
            json!({"success_urls":[{"order":1,"url":"nope"}]}),
        )
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"success_urls.0.url":["The success_urls.0.url must be a valid URL."]}})
    );
}

#[tokio::test]
async fn payment_systems_are_listed_per_currency_with_limits() {
    let env = Env::start().await;
    let (status, body) = env
        .get(&env.api(
            "/api/v1/payment-systems/available?currency_code[]=BDT&currency_code[]=USD&label=55",
        ))
        .await;
    assert_eq!(status, 200);
    let params = &body["params"];
    let types: Vec<&str> = params["wallets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["bkash", "nagad", "help2pay"]);
    assert_eq!(
        params["limits"]["bkash"]["BDT"],
        json!({"min":"100","max":"25000"})
    );
    assert_eq!(
        params["limits"]["help2pay"],
        json!({"USD":{"min":"10","max":"10000"}})
    );
    assert_eq!(
        params["currency_data"],
        json!([{"code":"BDT","symbol":"৳"},{"code":"USD","symbol":"$"}])
    );
    assert_eq!(params["wallets"][0]["is_manual"], false);
    let (_, body) = env
        .get(&env.api("/api/v1/payment-systems/available?currency_code[]=INR&label=55"))
        .await;
    let manual = body["params"]["wallets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["type"] == "upi_ml")
        .unwrap()
        .clone();
    assert_eq!(manual["is_manual"], true);
    // The logo and guide-image URLs answer, as the gateway's do.
    let logo = env
        .http
        .get(manual["logo"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(logo.text().await.unwrap().starts_with("<svg"));
    let gif_url = body["params"]["gif_guide"]["upi_ml"]
        .as_str()
        .unwrap()
        .to_string();
    let gif = env.http.get(gif_url).send().await.unwrap();
    assert_eq!(gif.status(), 200);
    assert_eq!(gif.headers()["content-type"], "image/gif");
    assert!(gif.bytes().await.unwrap().starts_with(b"GIF89a"));
    let missing = env
        .http
        .get(env.url("/storage/payment_system/logos/nope.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let (_, body) = env.get(&env.api("/api/v1/payment-systems/available")).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"currency_code":["The currency code field is required."],"label":["The label field is required."]}})
    );
    let (status, body) = env.get(&env.url("/wallet-type/images/")).await;
    assert_eq!(status, 200);
    assert!(
        body["data"]["upi_s"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/storage/guide-image/upi_s.mp4")
    );
}

#[tokio::test]
async fn legacy_withdrawal_request_is_echoed_and_settled() {
    let env = Env::start().await;
    let legacy = json!({"wallet_type":"paytm","wallet_recipient":"123123232","wallet_sender":1111,
        "email":"payee@example.com","amount":1000,"withdrawal_id":"13"});
    let (status, body) = env.withdraw(legacy.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], 1);
    assert_eq!(body["wallet_type"], "paytm");
    assert_eq!(body["wallet_sender"], "1111");
    assert_eq!(body["amount"], 1000);
    assert_eq!(body["status"], 1);
    assert!(body.get("signature").is_none());
    assert_eq!(body["created_at"].as_str().unwrap().len(), 19);
    let (_, again) = env.withdraw(legacy).await;
    assert_eq!(
        again["message"]["withdrawal_id"][0],
        "The withdrawal id has already been taken."
    );
    let (_, bad) = env
        .withdraw(
            json!({"wallet_type":"paytm","wallet_sender":"12","amount":10,"withdrawal_id":"14"}),
        )
        .await;
    assert_eq!(
        bad,
        json!({"status":"fail","message":{
            "wallet_recipient":["The wallet recipient field is required."],
            "wallet_sender":["The wallet sender must be 4 digits."]}})
    );
    env.control("/_sandbox/withdrawals/13/process", json!({}))
        .await;
    env.receiver.wait_for(1).await;
    let pb = &env.verified(Scheme::Postback)[0];
    assert_eq!(
        (text(pb, "currency_code"), text(entry(pb), "account_number")),
        ("INR", "123123232")
    );
    assert_eq!(text(entry(pb), "withdrawal_status"), "1");
}
