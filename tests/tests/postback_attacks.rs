//! The attacks of a captured, correctly signed postback body, end to end on DynamoDB Local
//! with the sandbox's real signed bytes: under the (P) scheme only `additional_data` is
//! signed, so every top-level field is the attacker's. Also the verified payments that cannot
//! be booked: kept, listed for an operator, resolved exactly once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Harness, json};

fn imps(amount: &str) -> Value {
    json!({
        "payment_system": "imps", "amount": amount, "currency": "INR",
        "account_number": "123456789012", "account_name": "Ravi Kumar",
        "receiver_name": "Ravi Kumar", "bank_code": "SBIN0001234"
    })
}

/// Sets a top-level field of a postback text to the string `value`, editing the bytes in
/// place (the attacker's edit: the field is unsigned, `additional_data` stays byte-exact). The
/// sandbox writes the top-level fields before `additional_data`, so the first match is theirs.
fn edit(text: &str, field: &str, value: &str) -> String {
    let name = format!("\"{field}\":");
    let start = text
        .find(&name)
        .unwrap_or_else(|| panic!("{field} in {text}"))
        + name.len();
    let end = start + text[start..].find(",\"").expect("a field follows");
    format!(
        "{}{}{}",
        &text[..start],
        Value::String(value.into()),
        &text[end..]
    )
}

async fn admin_get(h: &Harness, path: &str) -> (StatusCode, Value) {
    let resp = h
        .http
        .get(h.api(path))
        .header("x-dev-admin", "1")
        .send()
        .await
        .expect("API reachable");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn admin_post(h: &Harness, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = h
        .http
        .post(h.api(path))
        .header("x-dev-admin", "1")
        .json(&body)
        .send()
        .await
        .expect("API reachable");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn open_unbooked(h: &Harness) -> Vec<Value> {
    let (status, body) = admin_get(h, "/v1/admin/postbacks/unbooked?limit=100").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until the sandbox holds `n` postbacks and returns the last one's text.
async fn postback_text(h: &Harness, n: usize) -> String {
    for _ in 0..200 {
        let texts = h.stack.sandbox().postback_texts();
        if texts.len() >= n {
            return texts[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the sandbox never produced postback {n}");
}

async fn wait_unbooked(h: &Harness, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let items = open_unbooked(h).await;
        if items.len() >= n {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "fewer than {n} unbooked payments: {:?}",
        open_unbooked(h).await
    );
}

#[tokio::test]
async fn a_withdrawal_postback_replayed_as_a_deposit_credits_nobody() {
    let h = Harness::start().await;
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"wanda","amount":"1000","currency_code":"INR","wallet_type":"upi_l"}),
    )
    .await;
    h.wait_balance("wanda", "INR", "1000.00").await;
    let (status, created) = h
        .user("wanda")
        .post("/v1/withdrawals", Some("w-1"), imps("400"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["withdrawal_id"].as_str().unwrap();
    h.sandbox(&format!("/_sandbox/withdrawals/{id}/process"), json!({}))
        .await;
    let outgoing = postback_text(&h, 2).await;
    assert!(outgoing.contains(r#""direction":"outgoing""#), "{outgoing}");

    let forged = edit(
        &edit(&edit(&outgoing, "direction", "ingoing"), "label", "mallory"),
        "created_datetime",
        "2031-01-01 00:00:00",
    );
    for _ in 0..3 {
        let (status, body) = h.post_postback(forged.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "postback_refused");
    }
    assert_eq!(h.balance("mallory", "INR").await, "0.00");
    assert_eq!(h.ledger_len("mallory").await, 0);
    // Nothing kept as a payment either: a refused body is not a payment of anyone's.
    assert!(open_unbooked(&h).await.is_empty());
    assert_eq!(h.balance("wanda", "INR").await, "600.00");
    h.ledger_matches_balances("wanda").await;
}

#[tokio::test]
async fn a_relabelled_window_payment_credits_only_the_payer_the_gateway_names() {
    let h = Harness::start().await;
    // The gateway's first deliveries fail, so the captured copy can arrive first.
    h.sandbox(
        "/_sandbox/faults",
        json!({"target": "postback", "mode": "http500", "count": 2}),
    )
    .await;
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label":"payer","amount":"750","currency_code":"INR","wallet_type":"upi_l"}),
    )
    .await;
    let genuine = postback_text(&h, 1).await;
    let forged = edit(&edit(&genuine, "label", "mallory"), "amount", "75000");
    let (status, body) = h.post_postback(forged.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    h.wait_balance("payer", "INR", "750.00").await;
    // The genuine delivery (retried by the sandbox) and more replays: nothing more.
    for _ in 0..3 {
        let (status, _) = h.post_postback(forged.clone()).await;
        assert_eq!(status, StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.balance("payer", "INR").await, "750.00");
    assert_eq!(h.ledger_len("payer").await, 1);
    assert_eq!(h.balance("mallory", "INR").await, "0.00");
    h.ledger_matches_balances("payer").await;
}

#[tokio::test]
async fn verified_but_unbookable_payments_are_kept_listed_and_resolved_once() {
    let h = Harness::start().await;
    let long = "l".repeat(191);
    for (label, amount, currency) in [
        ("pat", "100.005", "INR"),
        ("kat", "500", "KGS"),
        (long.as_str(), "200", "INR"),
    ] {
        h.sandbox(
            "/_sandbox/plugin-payments",
            json!({"label":label,"amount":amount,"currency_code":currency,"wallet_type":"upi_l"}),
        )
        .await;
    }
    let items = wait_unbooked(&h, 3).await;
    let reason_of = |r: &str| {
        items
            .iter()
            .find(|i| i["reason"] == r)
            .unwrap_or_else(|| panic!("no {r} in {items:?}"))
            .clone()
    };
    let precise = reason_of("amount_precision");
    assert_eq!(precise["amount"], "100.005", "kept as sent, not rounded");
    assert_eq!(precise["label"], "pat");
    assert_eq!(precise["status"], "open");
    let kgs = reason_of("unknown_currency");
    assert_eq!(kgs["currency"], "KGS");
    reason_of("invalid_label");
    // The gateway was answered 200 for each: it stops retrying only once we hold them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        h.stack.sandbox().attempts().iter().filter(|a| a.ok).count() >= 3,
        "every unbookable delivery acknowledged"
    );
    assert_eq!(h.balance("pat", "INR").await, "0.00");

    // Credit the over-precise one to pat, at an amount the currency can hold.
    let key = precise["key"].as_str().unwrap();
    let path = format!("/v1/admin/postbacks/unbooked/{}/resolve", urlencode(key));
    let (status, body) = admin_post(
        &h,
        &path,
        json!({"action":"credit","label":"pat","note":"gateway confirmed 100.00 settled"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "100.005 does not fit INR: {body}"
    );
    let credit = json!({"action":"credit","label":"pat","amount":"100.00","note":"gateway confirmed 100.00 settled"});
    let (status, body) = admin_post(&h, &path, credit.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "credited");
    assert_eq!(body["resolution"]["credited_amount"], "100.00");
    assert_eq!(h.balance("pat", "INR").await, "100.00");
    // Exactly once: again is a conflict, and the gateway's redelivery changes nothing.
    let (status, _) = admin_post(&h, &path, credit).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let pat_text = h
        .stack
        .sandbox()
        .postback_texts()
        .into_iter()
        .find(|t| t.contains("100.005"))
        .unwrap();
    let (status, _) = h.post_postback(pat_text).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.balance("pat", "INR").await, "100.00");
    assert_eq!(h.ledger_len("pat").await, 1);
    h.ledger_matches_balances("pat").await;

    // Dismiss the KGS one with a note; it leaves the open list.
    let key = kgs["key"].as_str().unwrap();
    let path = format!("/v1/admin/postbacks/unbooked/{}/resolve", urlencode(key));
    let (status, body) = admin_post(&h, &path, json!({"action":"dismiss","note":""})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a note is required: {body}"
    );
    let (status, body) = admin_post(
        &h,
        &path,
        json!({"action":"dismiss","note":"refunded by the gateway"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "dismissed");
    let open = open_unbooked(&h).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["reason"], "invalid_label");
    let (status, _) = admin_post(
        &h,
        "/v1/admin/postbacks/unbooked/in%3Atx%3Anone/resolve",
        json!({"action":"dismiss","note":"x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_savings_postback_naming_two_orders_credits_each_its_own_amount() {
    let h = Harness::start().await;
    let zoe = h.user("zoe");
    let mut ids = Vec::new();
    for (key, amount) in [("s-1", "100"), ("s-2", "120")] {
        let created = zoe
            .deposit(
                key,
                json!({"wallet_type":"paytm","amount":amount,"currency":"INR","mode":"window"}),
            )
            .await;
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    // paytm's savings minimum in the sandbox is 148 INR: 100 waits, 100 + 120 pays out both.
    for (id, amount) in ids.iter().zip(["100", "120"]) {
        h.sandbox(
            "/_sandbox/plugin-payments",
            json!({"label":"zoe","amount":amount,"currency_code":"INR","wallet_type":"paytm",
                   "custom_transaction_id": id}),
        )
        .await;
    }
    let first = h.wait_deposit_status("zoe", &ids[0], "credited").await;
    assert_eq!(first["credited_amount"], "100.00");
    let second = h.wait_deposit_status("zoe", &ids[1], "credited").await;
    assert_eq!(second["credited_amount"], "120.00");
    assert_eq!(h.balance("zoe", "INR").await, "220.00");
    assert_eq!(h.ledger_len("zoe").await, 2);
    let texts = h.stack.sandbox().postback_texts();
    assert_eq!(texts.len(), 1, "one savings postback with two entries");
    let (status, _) = h.post_postback(texts[0].clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.balance("zoe", "INR").await, "220.00");
    h.ledger_matches_balances("zoe").await;
}

/// Percent-encodes a path segment (keys hold `:`).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
