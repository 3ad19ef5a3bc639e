//! Deposits end to end, one flow per test: the API, the sandbox gateway and DynamoDB Local,
//! with the books checked to the cent after each.

use reqwest::StatusCode;
use testkit::{Harness, json};

fn upi(amount: &str) -> serde_json::Value {
    json!({"wallet_type": "upi_l", "amount": amount, "currency": "INR"})
}

#[tokio::test]
async fn upi_p2p_with_activation_credits_once_and_replays_idempotently() {
    let h = Harness::start().await;
    let alice = h.user("alice");
    let created = alice.deposit("k-1", upi("500.00")).await;
    assert_eq!(created["status"], "pending");
    assert_eq!(created["amount"], "500.00");
    assert_eq!(created["kind"], "p2p");
    assert_eq!(created["pay_to"], "upi_l.sandbox@upi");
    let id = created["id"].as_str().unwrap().to_string();

    // A retry (the amount as a number this time) replays the first answer; another body is 422.
    let (status, again) = alice.post("/v1/deposits", Some("k-1"), upi("500")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again, created);
    let (status, reused) = alice.post("/v1/deposits", Some("k-1"), upi("600")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reused}");
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");

    h.sandbox(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_l","key1":"123456789012","amount":"500.00","currency_code":"INR"}),
    )
    .await;
    let (status, activated) = alice
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"123456789012"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{activated}");
    assert_eq!(activated["status"], "credited");
    let done = h.wait_deposit_status("alice", &id, "credited").await;
    assert_eq!(done["credited_amount"], "500.00");
    assert_eq!(h.balance("alice", "INR").await, "500.00");
    assert_eq!(h.ledger_len("alice").await, 1);

    // The gateway delivering the same postback again changes nothing and is answered 200.
    let text = h
        .stack
        .sandbox()
        .postback_texts()
        .pop()
        .expect("a postback was sent");
    let (status, body) = h.post_postback(text).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status":"ok"})));
    assert_eq!(h.balance("alice", "INR").await, "500.00");
    assert_eq!(h.ledger_len("alice").await, 1);
}

#[tokio::test]
async fn possible_transaction_is_credited_when_the_payment_arrives() {
    let h = Harness::start().await;
    let bob = h.user("bob");
    let id = bob.deposit("k-1", upi("250.50")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, activated) = bob
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"222233334444"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{activated}");
    assert_eq!(activated["status"], "possible");
    h.wait_deposit_status("bob", &id, "possible").await;
    assert_eq!(h.balance("bob", "INR").await, "0.00");

    let paid = h
        .sandbox(
            "/_sandbox/payments",
            json!({"wallet_type":"upi_l","key1":"222233334444","amount":"250.50","currency_code":"INR"}),
        )
        .await;
    assert_eq!(paid["credited"], true);
    h.wait_deposit_status("bob", &id, "credited").await;
    assert_eq!(h.balance("bob", "INR").await, "250.50");
}

#[tokio::test]
async fn suspect_activation_goes_pending_then_approved() {
    let h = Harness::start().await;
    let carol = h.user("carol");
    let id = carol.deposit("k-1", upi("1000")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The sandbox treats key1 starting with 9999 as suspect.
    let (status, activated) = carol
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"999900001111"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{activated}");
    assert_eq!(activated["status"], "processing");
    h.wait_deposit_status("carol", &id, "processing").await;
    assert_eq!(h.balance("carol", "INR").await, "0.00");

    h.sandbox("/_sandbox/suspects/999900001111", json!({"approve": true}))
        .await;
    h.wait_deposit_status("carol", &id, "credited").await;
    assert_eq!(h.balance("carol", "INR").await, "1000.00");
}

#[tokio::test]
async fn manual_method_activates_with_a_screenshot() {
    let h = Harness::start().await;
    let dan = h.user("dan");
    let created = dan
        .deposit(
            "k-1",
            json!({"wallet_type":"upi_ml","amount":"300","currency":"INR"}),
        )
        .await;
    assert_eq!(created["kind"], "manual");
    let id = created["id"].as_str().unwrap().to_string();
    h.sandbox(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_ml","key1":"555566667777","amount":"300","currency_code":"INR"}),
    )
    .await;
    let png = paykassma::qr::to_png("receipt").unwrap();
    let form = reqwest::multipart::Form::new()
        .text("key1", "555566667777")
        .part(
            "screenshot",
            reqwest::multipart::Part::bytes(png)
                .file_name("receipt.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let (status, activated) = dan
        .post_multipart(&format!("/v1/deposits/{id}/activate"), form)
        .await;
    assert_eq!(status, StatusCode::OK, "{activated}");
    assert!(
        activated["status"] == "processing" || activated["status"] == "credited",
        "{activated}"
    );
    h.wait_deposit_status("dan", &id, "credited").await;
    assert_eq!(h.balance("dan", "INR").await, "300.00");
}

#[tokio::test]
async fn upi_s_shows_a_scannable_qr_and_is_credited_on_completion() {
    let h = Harness::start().await;
    let erin = h.user("erin");
    let created = erin
        .deposit(
            "k-1",
            json!({"wallet_type":"upi_s","amount":"199.99","currency":"INR"}),
        )
        .await;
    assert_eq!(created["kind"], "qr");
    let id = created["id"].as_str().unwrap().to_string();
    let data = created["qr"]["data"].as_str().unwrap().to_string();
    assert!(data.starts_with("upi://pay?"), "{data}");
    assert_eq!(
        created["qr"]["svg_url"],
        format!("/v1/deposits/{id}/qr.svg")
    );
    assert_eq!(created["deep_links"]["generic"], data.as_str());
    assert!(
        created["deep_links"]["gpay"]
            .as_str()
            .unwrap()
            .starts_with("tez://upi/")
    );

    let (status, ct, svg) = erin.get_bytes(&format!("/v1/deposits/{id}/qr.svg")).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains("<svg"));
    // The same image inline, for an <img src> without a bearer token; a replay carries it too.
    let inline = created["qr"]["svg_data_url"]
        .as_str()
        .expect("an inline QR");
    let encoded = inline.strip_prefix("data:image/svg+xml;base64,").unwrap();
    use base64::Engine as _;
    let decoded_svg = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(String::from_utf8(decoded_svg).unwrap(), svg);
    let replayed = erin
        .deposit(
            "k-1",
            json!({"wallet_type":"upi_s","amount":"199.99","currency":"INR"}),
        )
        .await;
    assert_eq!(replayed["qr"]["svg_data_url"], inline);
    let (status, ct, png) = erin.get_bytes(&format!("/v1/deposits/{id}/qr.png")).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/png"));
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    let (_, decoded) = grids[0].decode().unwrap();
    assert_eq!(decoded, data);

    // Still processing at the gateway: the read refreshes and stays pending.
    let (_, read) = erin.get(&format!("/v1/deposits/{id}")).await;
    assert_eq!(read["status"], "pending");
    h.sandbox(&format!("/_sandbox/deposits/{id}/complete"), json!({}))
        .await;
    let credited = h.wait_deposit_status("erin", &id, "credited").await;
    assert_eq!(h.balance("erin", "INR").await, "199.99");
    // Paid: nothing to scan any more, so no inline image (the QR routes still answer).
    assert!(credited["qr"]["data"].is_string(), "{credited}");
    assert!(credited["qr"].get("svg_data_url").is_none(), "{credited}");
}

#[tokio::test]
async fn failed_upi_s_order_is_marked_rejected_on_read() {
    let h = Harness::start().await;
    let fay = h.user("fay");
    let id = fay
        .deposit(
            "k-1",
            json!({"wallet_type":"upi_s","amount":"150","currency":"INR"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    h.sandbox(&format!("/_sandbox/deposits/{id}/fail"), json!({}))
        .await;
    let (_, read) = fay.get(&format!("/v1/deposits/{id}")).await;
    assert_eq!(read["status"], "rejected", "{read}");
    assert_eq!(h.balance("fay", "INR").await, "0.00");
}

#[tokio::test]
async fn redirect_method_is_credited_on_completion() {
    let h = Harness::start().await;
    let gus = h.user("gus");
    let (status, missing) = gus
        .post(
            "/v1/deposits",
            Some("k-0"),
            json!({"wallet_type":"help2pay","amount":"25","currency":"USD"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{missing}");
    assert!(missing["error"]["fields"]["redirect_url"].is_string());
    let created = gus
        .deposit(
            "k-1",
            json!({"wallet_type":"help2pay","amount":"25","currency":"USD","bank":"MBB",
                   "language":"en","redirect_url":"https://shop.example/back"}),
        )
        .await;
    assert_eq!(created["kind"], "redirect");
    let id = created["id"].as_str().unwrap().to_string();
    h.sandbox(&format!("/_sandbox/deposits/{id}/complete"), json!({}))
        .await;
    h.wait_deposit_status("gus", &id, "credited").await;
    assert_eq!(h.balance("gus", "USD").await, "25.00");
}

#[tokio::test]
async fn window_payment_without_an_order_credits_the_label() {
    let h = Harness::start().await;
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"hana","amount":"700","currency_code":"INR","wallet_type":"upi_l"}),
    )
    .await;
    h.wait_balance("hana", "INR", "700.00").await;
    assert_eq!(h.balance("hana", "INR").await, "700.00");
    assert_eq!(h.ledger_len("hana").await, 1);
}

#[tokio::test]
async fn window_mode_order_paid_with_another_amount_is_an_amount_mismatch() {
    let h = Harness::start().await;
    let ivan = h.user("ivan");
    let created = ivan
        .deposit(
            "k-1",
            json!({"wallet_type":"upi_l","amount":"400","currency":"INR","mode":"window"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let url = created["payment_url"].as_str().unwrap();
    assert!(
        url.contains("label=ivan") && url.contains(&format!("custom_transaction_id={id}")),
        "{url}"
    );
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"ivan","amount":"350","currency_code":"INR","wallet_type":"upi_l",
               "custom_transaction_id": id}),
    )
    .await;
    let done = h.wait_deposit_status("ivan", &id, "amount_mismatch").await;
    assert_eq!(done["credited_amount"], "350.00");
    assert_eq!(done["amount"], "400.00");
    assert_eq!(h.balance("ivan", "INR").await, "350.00");
}

#[tokio::test]
async fn savings_two_small_payments_are_credited_each_once_saved_up() {
    let h = Harness::start().await;
    // paytm's savings minimum in the sandbox is 148 INR: 100 waits, 100 more pays out 200.
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"jack","amount":"100","currency_code":"INR","wallet_type":"paytm"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(h.balance("jack", "INR").await, "0.00");
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"jack","amount":"100","currency_code":"INR","wallet_type":"paytm"}),
    )
    .await;
    h.wait_balance("jack", "INR", "200.00").await;
    assert_eq!(h.balance("jack", "INR").await, "200.00");
    // One postback with two entries, each its own payment (its own transaction number):
    // two ledger entries, each credited once to the payer the gateway's lookup names.
    assert_eq!(h.ledger_len("jack").await, 2);
}

#[tokio::test]
async fn payment_methods_follow_the_switches() {
    let h = Harness::start().await;
    let kim = h.user("kim");
    let (status, body) = kim.get("/v1/payment-methods?currency=INR").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let types: Vec<&str> = body["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["wallet_type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"upi_l") && types.contains(&"upi_s"),
        "{types:?}"
    );
    let upi_l = body["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["wallet_type"] == "upi_l")
        .unwrap();
    assert_eq!(upi_l["kind"], "p2p");
    assert_eq!(upi_l["min"], "100");

    h.stack
        .store()
        .set_method_enabled("upi_l", false)
        .await
        .unwrap();
    let (_, body) = kim.get("/v1/payment-methods?currency=INR").await;
    assert!(
        !body["methods"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["wallet_type"] == "upi_l"),
        "{body}"
    );
    let (status, refused) = kim.post("/v1/deposits", Some("k-1"), upi("500")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "method_unavailable");

    let (status, refused) = kim
        .post(
            "/v1/deposits",
            Some("k-2"),
            json!({"wallet_type":"upi_ib","amount":"99.99","currency":"INR"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "amount_out_of_limits");
    assert_eq!(h.ledger_len("kim").await, 0);
}

#[tokio::test]
async fn the_ledger_pages_newest_first() {
    let h = Harness::start().await;
    for amount in ["101", "102", "103"] {
        h.sandbox(
            "/_sandbox/plugin-payments",
            json!({"label":"pia","amount":amount,"currency_code":"INR","wallet_type":"upi_l"}),
        )
        .await;
        // One at a time, so the order of the entries is the order of the payments.
        let total = match amount {
            "101" => "101.00",
            "102" => "203.00",
            _ => "306.00",
        };
        h.wait_balance("pia", "INR", total).await;
    }
    let pia = h.user("pia");
    let (status, first) = pia.get("/v1/ledger?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let amounts: Vec<&str> = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["103.00", "102.00"]);
    assert_eq!(first["entries"][0]["kind"], "deposit_credit");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (status, second) = pia
        .get(&format!("/v1/ledger?limit=2&cursor={}", urlencode(cursor)))
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["entries"].as_array().unwrap().len(), 1);
    assert_eq!(second["entries"][0]["amount"], "101.00");
    assert!(second.get("next_cursor").is_none(), "{second}");
    assert_eq!(h.balance("pia", "INR").await, "306.00");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_method_list_is_served_from_the_cache_while_the_gateway_fails() {
    let h = Harness::start().await;
    let quinn = h.user("quinn");
    let (status, first) = quinn.get("/v1/payment-methods?currency=INR").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    h.sandbox(
        "/_sandbox/faults",
        json!({"target":"/api/v1/payment-systems","mode":"http500","count":5}),
    )
    .await;
    let (status, cached) = quinn.get("/v1/payment-methods?currency=INR").await;
    assert_eq!(status, StatusCode::OK, "{cached}");
    assert_eq!(cached, first);
    // Another currency is not cached yet: the gateway's failure shows.
    let (status, body) = quinn.get("/v1/payment-methods?currency=USD").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}
