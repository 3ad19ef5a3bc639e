//! Deposits over HTTP: P2P create/activate (ok, possible, suspect, manual), upi_s, redirect,
//! savings, custom id rules, and the secret check.

use base64::Engine;
use paykassma::signature::Scheme;
use serde_json::json;
use testkit::sandbox::{Env, entry, text};

fn activation(key1: &str, custom: &str) -> serde_json::Value {
    json!({"currency_code":"INR","wallet_type":"upi_l","label":"55","key1":key1,"amount":500,"custom_transaction_id":custom})
}

#[tokio::test]
async fn wrong_or_missing_secret_is_404_in_both_documented_shapes() {
    let env = Env::start().await;
    let resp = env
        .http
        .post(env.url("/api/v1/transaction/activate?secret=nope"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(resp.text().await.unwrap(), "Not found");
    let resp = env
        .http
        .post(env.url("/api/v1/transaction/create/upi_l"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let (status, body) = env
        .get(&env.url("/api/v1/accounts-balance?secret=bad"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"status":"error","code":30228,"errors":{"target":"secret","code":36205,"message":"Wrong secret"},"error_message":"Data validation error"})
    );
    let (status, _) = env
        .get(&env.url("/api/v1/pullpostbacks?type=deposit"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn p2p_create_gives_the_wallet_identifier_and_validates() {
    let env = Env::start().await;
    let (status, body) = env
        .post(
            &env.api("/api/v1/transaction/create/upi_l"),
            json!({"currency":"INR","label":"55"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"status":"ok","params":{"identifier":"upi_l.sandbox@upi"}})
        )
    );
    let (status, body) = env
        .post(
            &env.api("/api/v1/transaction/create/nope"),
            json!({"currency":"INR","label":"55"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"status":"fail","message":"Payment system not found"})
        )
    );
    let (_, body) = env
        .post(
            &env.api("/api/v1/transaction/create/upi_l"),
            json!({"currency":"INRR"}),
        )
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"currency":["The currency must be 3 characters."],"label":["The label field is required."]}})
    );
}

#[tokio::test]
async fn activation_of_a_paid_key1_credits_and_sends_a_signed_postback() {
    let env = Env::start().await;
    let (s, _) = env
        .control(
            "/_sandbox/payments",
            json!({"wallet_type":"upi_l","key1":"321323438267","amount":500,"currency_code":"INR"}),
        )
        .await;
    assert_eq!(s, 200);
    let (status, body) = env
        .post(
            &env.api("/api/v1/transaction/activate"),
            activation("321323438267", "c-1"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status":"ok","deposit":true,"deposit_amount":500,"currency":{"code":"INR","symbol":"₹"}})
    );
    env.receiver.wait_for(1).await;
    let pbs = env.verified(Scheme::Postback);
    let pb = &pbs[0];
    assert_eq!(text(pb, "direction"), "ingoing");
    assert_eq!(text(pb, "amount"), "500");
    assert_eq!(text(pb, "label"), "55");
    let e = entry(pb);
    assert_eq!(text(e, "plugin_custom_order_id"), "c-1");
    assert_eq!(text(e, "transaction_id"), "321323438267");
    assert_eq!(
        e.get("amount"),
        Some(&paykassma::php::PhpValue::string("500"))
    );
    // The raw text is PHP's default json_encode: escaped unicode and slashes would show here.
    let raw = String::from_utf8(env.receiver.bodies()[0].clone()).unwrap();
    assert!(raw.starts_with(r#"{"signature":""#));
    assert!(raw.contains(r#""created_datetime":""#));
    // The key1 is now used: a second activation is refused.
    let (status, body) = env
        .post(
            &env.api("/api/v1/transaction/activate"),
            activation("321323438267", "c-2"),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"status":"fail","message":"Transaction has already been activated"})
        )
    );
}

#[tokio::test]
async fn unknown_key1_is_possible_then_completed_when_the_payment_shows_up() {
    let env = Env::start().await;
    let (status, body) = env
        .post(
            &env.api("/api/v1/transaction/activate"),
            activation("111122223333", "c-9"),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"status":"possible_transaction_created","message":"Transaction not found. Possible transaction created"})
        )
    );
    assert!(env.receiver.bodies().is_empty());
    let (_, body) = env
        .control("/_sandbox/payments", json!({"wallet_type":"upi_l","key1":"111122223333","amount":"500","currency_code":"INR"}))
        .await;
    assert_eq!(
        (&body["status"], &body["credited"]),
        (&json!("ok"), &json!(true))
    );
    assert!(
        body["outcome"].as_str().unwrap().starts_with("credited"),
        "{body}"
    );
    env.receiver.wait_for(1).await;
    assert_eq!(
        text(
            entry(&env.verified(Scheme::Postback)[0]),
            "plugin_custom_order_id"
        ),
        "c-9"
    );
}

#[tokio::test]
async fn suspect_key1_is_pending_until_reviewed() {
    let env = Env::start().await;
    let (status, body) = env
        .post(
            &env.api("/api/v1/transaction/activate"),
            activation("999912345678", "s-1"),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["status"], "pending");
    let (status, body) = env
        .post(
            &env.api("/api/v1/transaction/activate"),
            activation("999900000001", "s-2"),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (400, Some("pending")));
    let (_, body) = env
        .control("/_sandbox/suspects/999912345678", json!({"approve":true}))
        .await;
    assert_eq!(body["credited"], true);
    let (_, body) = env
        .control("/_sandbox/suspects/999900000001", json!({"approve":false}))
        .await;
    assert_eq!(body["credited"], false);
    let (status, _) = env
        .control("/_sandbox/suspects/999900000001", json!({"approve":true}))
        .await;
    assert_eq!(status, 404);
    env.receiver.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let pbs = env.verified(Scheme::Postback);
    assert_eq!(pbs.len(), 1, "a rejected suspect sends nothing");
    assert_eq!(text(entry(&pbs[0]), "plugin_custom_order_id"), "s-1");
}

#[tokio::test]
async fn activation_validation_follows_the_documents() {
    let env = Env::start().await;
    let url = env.api("/api/v1/transaction/activate");
    // UPI key1 must be 12 digits.
    let (_, body) = env.post(&url, activation("12345", "v-1")).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"key1":["Transaction field has wrong length"]}})
    );
    let (_, body) = env.post(&url, activation("12345678901a", "v-1")).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"key1":["The key1 format is invalid."]}})
    );
    // amount is required for UPI, not for bKash.
    let (_, body) = env
        .post(&url, json!({"currency_code":"INR","wallet_type":"upi_l","label":"55","key1":"123456789012","custom_transaction_id":"v-2"}))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"amount":["The amount field is required."]}})
    );
    let (status, body) = env
        .post(&url, json!({"currency_code":"BDT","wallet_type":"bkash","label":"55","key1":"ABC-123","custom_transaction_id":"v-3"}))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("possible_transaction_created"))
    );
    // custom_transaction_id never repeats.
    let (_, body) = env
        .post(&url, json!({"currency_code":"BDT","wallet_type":"bkash","label":"55","key1":"ABC-124","custom_transaction_id":"v-3"}))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"custom_transaction_id":["The custom transaction id has already been taken."]}})
    );
    // Lengths and required fields, all reported at once.
    let long = "x".repeat(191);
    let (_, body) = env
        .post(
            &url,
            json!({"currency_code":"IN","wallet_type":"upi_l","label":long,"amount":10}),
        )
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{
            "currency_code":["The currency code must be 3 characters."],
            "label":["The label must not be greater than 190 characters."],
            "key1":["The key1 field is required."],
            "custom_transaction_id":["The custom transaction id field is required."]}})
    );
    // Manual methods use the other endpoint.
    let (_, body) = env
        .post(&url, json!({"currency_code":"INR","wallet_type":"upi_ml","label":"55","key1":"123456789012","amount":100,"custom_transaction_id":"v-4"}))
        .await;
    assert_eq!(body["status"], "fail");
}

#[tokio::test]
async fn manual_activation_takes_multipart_with_a_screenshot() {
    let env = Env::start().await;
    let form = reqwest::multipart::Form::new()
        .text("currency_code", "INR")
        .text("wallet_type", "upi_ml")
        .text("label", "55")
        .text("key1", "555566667777")
        .text("amount", "250")
        .text("custom_transaction_id", "m-1")
        .part(
            "screenshot",
            reqwest::multipart::Part::bytes(vec![0x89, b'P', b'N', b'G']).file_name("r.png"),
        );
    let resp = env
        .http
        .post(env.api("/api/v1/possible-transaction/activate"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, body) = testkit::sandbox::decode(resp).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"status":"success","message":"","code":20000,"data":[],"paginate":{"offset":0,"total":1,"limit":1}})
        )
    );
    env.control(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_ml","key1":"555566667777","amount":250,"currency_code":"INR"}),
    )
    .await;
    env.receiver.wait_for(1).await;
    assert_eq!(
        text(
            entry(&env.verified(Scheme::Postback)[0]),
            "plugin_custom_order_id"
        ),
        "m-1"
    );
    let form = reqwest::multipart::Form::new()
        .text("currency_code", "INR")
        .text("wallet_type", "upi_ml")
        .text("label", "55")
        .text("key1", "123")
        .text("amount", "250")
        .text("custom_transaction_id", "m-2");
    let resp = env
        .http
        .post(env.api("/api/v1/possible-transaction/activate"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (_, body) = testkit::sandbox::decode(resp).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"key1":["Transaction field has wrong length"]}})
    );
}

#[tokio::test]
async fn upi_s_order_has_a_scannable_qr_and_a_status() {
    let env = Env::start().await;
    let req = json!({"mode":"upi_collect_qr","currency":"INR","label":"test_user55","wallet_type":"upi_s","amount":100,"custom_transaction_id":"q-1"});
    let (status, body) = env
        .post(&env.api("/api/v1/payment/create/upi_s"), req.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["message"], "QR Code generated successfully");
    let qr_data = data["qr_data"].as_str().unwrap();
    assert!(
        qr_data.starts_with("upi://pay?pa=sandbox@upi&pn=Paykassma%20Sandbox&am=100&tn=IT"),
        "{qr_data}"
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(data["qr_string"].as_str().unwrap())
        .unwrap();
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    let (_, decoded) = grids[0].decode().unwrap();
    assert_eq!(decoded, qr_data);
    let order_id = data["order_id"].as_str().unwrap().to_string();
    assert_eq!(order_id.len(), 16);

    let status_url = env.api("/api/v1/payment/upi_s/status");
    let (_, body) = env.post(&status_url, json!({"order_id": order_id})).await;
    assert_eq!(body, json!({"status":"processing"}));
    let (_, body) = env.post(&status_url, json!({"order_id":"nope"})).await;
    assert_eq!(body, json!({"status":"fail","message":"Order not found"}));
    let (s, _) = env
        .control("/_sandbox/deposits/q-1/complete", json!({}))
        .await;
    assert_eq!(s, 200);
    let (_, body) = env.post(&status_url, json!({"order_id": order_id})).await;
    assert_eq!(body, json!({"status":"success"}));
    env.receiver.wait_for(1).await;
    let pb = &env.verified(Scheme::Postback)[0];
    assert_eq!(text(pb, "wallet_type"), "upi_s");
    assert_eq!(text(entry(pb), "plugin_custom_order_id"), "q-1");
    let (s, _) = env.control("/_sandbox/deposits/q-1/fail", json!({})).await;
    assert_eq!(s, 409);

    // Duplicate custom id, bad mode, out of limits.
    let (_, body) = env
        .post(&env.api("/api/v1/payment/create/upi_s"), req)
        .await;
    assert_eq!(
        body["message"]["custom_transaction_id"][0],
        "The custom transaction id has already been taken."
    );
    let (_, body) = env
        .post(
            &env.api("/api/v1/payment/create/upi_s"),
            json!({"mode":"collect","currency":"INR","label":"u","wallet_type":"upi_s","amount":50,"custom_transaction_id":"q-2"}),
        )
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"mode":["The selected mode is invalid."],"amount":["The amount must be at least 100."]}})
    );
}

#[tokio::test]
async fn failed_upi_s_order_sends_no_postback() {
    let env = Env::start().await;
    let req = json!({"mode":"upi_collect_qr","currency":"INR","label":"u","wallet_type":"upi_s","amount":"150.50","custom_transaction_id":"q-3"});
    let (_, body) = env
        .post(&env.api("/api/v1/payment/create/upi_s"), req)
        .await;
    assert!(
        body["data"]["qr_data"]
            .as_str()
            .unwrap()
            .contains("&am=150.5&")
    );
    let order_id = body["data"]["order_id"].clone();
    env.control("/_sandbox/deposits/q-3/fail", json!({})).await;
    let (_, body) = env
        .post(
            &env.api("/api/v1/payment/upi_s/status"),
            json!({ "order_id": order_id }),
        )
        .await;
    assert_eq!(body, json!({"status":"failed"}));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(env.receiver.bodies().is_empty());
}

#[tokio::test]
async fn redirect_payment_is_created_and_completed_by_control_route() {
    let env = Env::start().await;
    let url = env.api("/api/v1/payment/create/help2pay");
    let req = json!({"language":"en","currency":"USD","bank":"MBB","amount":1000.00,"label":"55","redirect_url":"https://google.com","custom_transaction_id":"r-1"});
    let (status, body) = env.post(&url, req).await;
    assert_eq!((status, body), (200, json!({"status":"ok"})));
    let (_, body) = env.post(&url, json!({"language":"eng","currency":"USD","bank":"MBBX","amount":5,"label":"55","redirect_url":"notaurl","custom_transaction_id":"r-2"})).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{
            "language":["The language must be 2 characters."],
            "bank":["The bank must not be greater than 3 characters."],
            "redirect_url":["The redirect url must be a valid URL."],
            "amount":["The amount must be at least 10."]}})
    );
    let (_, body) = env
        .post(&env.api("/api/v1/payment/create/nope"), json!({}))
        .await;
    assert_eq!(
        body,
        json!({"status":"fail","message":"Payment system not found"})
    );
    env.control("/_sandbox/deposits/r-1/complete", json!({}))
        .await;
    env.receiver.wait_for(1).await;
    let pb = &env.verified(Scheme::Postback)[0];
    assert_eq!(
        (text(pb, "currency_code"), text(pb, "amount")),
        ("USD", "1000")
    );
}

#[tokio::test]
async fn savings_below_the_minimum_send_one_postback_with_every_entry() {
    let env = Env::start().await;
    let info = env.api("/api/v1/deposit-info?label=55&wallet_type=paytm&currency=INR");
    let (_, body) = env.get(&info).await;
    assert_eq!(
        body,
        json!({"status":"ok","stockpiling_sum":0,"lacks_sum":148,"minimum_deposit":148})
    );
    for (key1, amount, custom) in [("PT-1", 100, "sv-1"), ("PT-2", 60, "sv-2")] {
        env.control(
            "/_sandbox/payments",
            json!({"wallet_type":"paytm","key1":key1,"amount":amount,"currency_code":"INR"}),
        )
        .await;
        let (_, body) = env
            .post(
                &env.api("/api/v1/transaction/activate"),
                json!({"currency_code":"INR","wallet_type":"paytm","label":"55","key1":key1,"amount":amount,"custom_transaction_id":custom}),
            )
            .await;
        assert_eq!(body["status"], "ok");
        if custom == "sv-1" {
            let (_, body) = env.get(&info).await;
            assert_eq!(
                body,
                json!({"status":"ok","stockpiling_sum":100,"lacks_sum":48,"minimum_deposit":148})
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            assert!(
                env.receiver.bodies().is_empty(),
                "nothing is sent below the minimum"
            );
        }
    }
    env.receiver.wait_for(1).await;
    let pb = &env.verified(Scheme::Postback)[0];
    assert_eq!(text(pb, "amount"), "160");
    let Some(paykassma::php::PhpValue::List(entries)) = pb.get("additional_data") else {
        panic!()
    };
    assert_eq!(entries.len(), 2);
    assert_eq!(text(&entries[0], "plugin_custom_order_id"), "sv-1");
    assert_eq!(text(&entries[1], "plugin_custom_order_id"), "sv-2");
    assert_eq!(
        text(&entries[0], "stockpiling_id"),
        text(&entries[1], "stockpiling_id")
    );
    let (_, body) = env.get(&info).await;
    assert_eq!(body["stockpiling_sum"], 0);
    let (_, body) = env.get(&env.api("/api/v1/deposit-info?label=55")).await;
    assert_eq!(
        body,
        json!({"status":"fail","message":{"wallet_type":["The wallet type field is required."],"currency":["The currency field is required."]}})
    );
}

/// The documents do not show how activation answers a payment that goes into savings: the
/// sandbox plays each plausible answer, and the payment is saved (no postback) under each.
#[tokio::test]
async fn a_saved_payments_activation_is_answered_as_the_behaviour_says() {
    for (behaviour, status, deposit) in [
        ("deposit_true", "ok", Some(true)),
        ("deposit_false", "ok", Some(false)),
        ("possible", "possible_transaction_created", None),
    ] {
        let env = Env::start().await;
        env.control(
            "/_sandbox/behaviour",
            json!({ "savings_activation": behaviour }),
        )
        .await;
        env.control(
            "/_sandbox/payments",
            json!({"wallet_type":"paytm","key1":"PT-9","amount":120,"currency_code":"INR"}),
        )
        .await;
        let (_, body) = env
            .post(
                &env.api("/api/v1/transaction/activate"),
                json!({"currency_code":"INR","wallet_type":"paytm","label":"55","key1":"PT-9","amount":120,"custom_transaction_id":"sa-1"}),
            )
            .await;
        assert_eq!(body["status"], status, "{behaviour}: {body}");
        assert_eq!(body["deposit"].as_bool(), deposit, "{behaviour}: {body}");
        let (_, info) = env
            .get(&env.api("/api/v1/deposit-info?label=55&wallet_type=paytm&currency=INR"))
            .await;
        assert_eq!(info["stockpiling_sum"], 120, "{behaviour}: {info}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(env.receiver.bodies().is_empty(), "{behaviour}: no postback");
    }
    // A payment at the minimum or above is answered as credited whatever the behaviour.
    let env = Env::start().await;
    env.control(
        "/_sandbox/behaviour",
        json!({"savings_activation": "possible"}),
    )
    .await;
    env.control(
        "/_sandbox/payments",
        json!({"wallet_type":"paytm","key1":"PT-8","amount":150,"currency_code":"INR"}),
    )
    .await;
    let (_, body) = env
        .post(
            &env.api("/api/v1/transaction/activate"),
            json!({"currency_code":"INR","wallet_type":"paytm","label":"55","key1":"PT-8","amount":150,"custom_transaction_id":"sa-2"}),
        )
        .await;
    assert_eq!(
        (body["status"].as_str(), body["deposit"].as_bool()),
        (Some("ok"), Some(true))
    );
    env.receiver.wait_for(1).await;
}

#[tokio::test]
async fn window_payment_uses_the_saved_custom_id() {
    let env = Env::start().await;
    let (_, body) = env
        .post(
            &env.api("/api/v1/payment/save-transaction-custom-id"),
            json!({"label":"55","transaction_custom_id":"w-1"}),
        )
        .await;
    assert_eq!(body, json!({"status":"ok"}));
    let (_, body) = env
        .post(
            &env.api("/api/v1/payment/save-transaction-custom-id"),
            json!({"label":"56","transaction_custom_id":"w-1"}),
        )
        .await;
    assert_eq!(
        body["message"]["transaction_custom_id"][0],
        "The transaction custom id has already been taken."
    );
    let (_, body) = env
        .control(
            "/_sandbox/plugin-payments",
            json!({"label":"55","amount":300,"currency_code":"INR","wallet_type":"upi_l"}),
        )
        .await;
    assert_eq!(body["custom_transaction_id"], "w-1");
    env.control(
        "/_sandbox/plugin-payments",
        json!({"label":"57","amount":"250.5","currency_code":"INR","wallet_type":"upi_l","custom_transaction_id":"w-2"}),
    )
    .await;
    let bodies = env.receiver.wait_for(2).await;
    assert_eq!(bodies.len(), 2);
    let pbs = env.verified(Scheme::Postback);
    let ids: Vec<&str> = pbs
        .iter()
        .map(|p| text(entry(p), "plugin_custom_order_id"))
        .collect();
    assert!(ids.contains(&"w-1") && ids.contains(&"w-2"), "{ids:?}");
    let pb = pbs
        .iter()
        .find(|p| text(entry(p), "plugin_custom_order_id") == "w-2")
        .unwrap();
    assert_eq!(text(pb, "amount"), "250.5");
    assert_eq!(text(entry(pb), "amount"), "250.5");
}
