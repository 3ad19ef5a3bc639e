//! The method list as the gateway keys it: limits under the method's own type or its family
//! (the documents' shape), in the unit `LIMITS_UNIT` says, checked before any gateway call;
//! one list per user (the request takes the label); and the fields a page needs to show how
//! to pay.

use reqwest::StatusCode;
use serde_json::Value;
use service::settings::LimitsUnit;
use testkit::{Harness, User, json};

async fn methods(user: &User, currency: &str) -> Vec<Value> {
    let (status, body) = user
        .get(&format!("/v1/payment-methods?currency={currency}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["methods"].as_array().cloned().unwrap_or_default()
}

fn method<'a>(list: &'a [Value], wallet_type: &str) -> &'a Value {
    list.iter()
        .find(|m| m["wallet_type"] == wallet_type)
        .unwrap_or_else(|| panic!("{wallet_type} not listed: {list:?}"))
}

fn types(list: &[Value]) -> Vec<&str> {
    list.iter()
        .filter_map(|m| m["wallet_type"].as_str())
        .collect()
}

#[tokio::test]
async fn family_limits_apply_to_every_method_of_the_family_and_are_checked_before_the_gateway() {
    let h = Harness::start().await;
    let ana = h.user("ana");
    let list = methods(&ana, "INR").await;
    // Any call that reaches the gateway's transaction/create would use up this fault.
    h.sandbox(
        "/_sandbox/faults",
        json!({"target":"/api/v1/transaction/create","mode":"http500","count":1}),
    )
    .await;
    let upi_l = method(&list, "upi_l");
    assert_eq!(upi_l["min"], "100");
    assert_eq!(upi_l["max"], "50000");
    assert_eq!(
        upi_l["limits_from"],
        json!({"match": "family", "key": "upi"})
    );
    assert_eq!(method(&list, "paytm")["limits_from"]["key"], "paytm");
    assert_eq!(method(&list, "phone_pe")["max"], "8000");

    let (status, refused) = ana
        .post(
            "/v1/deposits",
            Some("over"),
            json!({"wallet_type":"upi_m","amount":"50000.01","currency":"INR"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "amount_out_of_limits");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("from 100 to 50000") && message.contains("upi family"),
        "{message}"
    );
    assert_eq!(
        refused["error"]["fields"]["amount"],
        "must be between 100 and 50000"
    );
    // Refused here: the gateway never saw a transaction for it, and nothing was booked.
    let faults = testkit::reliability::armed_faults(&h).await;
    assert_eq!(faults[0]["remaining"], 1, "{faults}");
    assert_eq!(h.ledger_len("ana").await, 0);

    // A gateway that keys by wallet type: the method's own entry, said so.
    h.sandbox("/_sandbox/behaviour", json!({"limits_keys": "wallet_type"}))
        .await;
    let ben = h.user("ben");
    let list = methods(&ben, "INR").await;
    assert_eq!(
        method(&list, "upi_l")["limits_from"],
        json!({"match": "wallet_type", "key": "upi_l"})
    );
    assert_eq!(method(&list, "upi_l")["min"], "100");
}

#[tokio::test]
async fn minor_unit_limits_are_read_as_the_setting_says() {
    let h = Harness::start_adjusted(|c| c.settings.limits_unit = LimitsUnit::Minor).await;
    h.sandbox("/_sandbox/behaviour", json!({"limits_unit": "minor"}))
        .await;
    let cy = h.user("cy");
    let list = methods(&cy, "INR").await;
    assert_eq!(method(&list, "upi_l")["min"], "100");
    assert_eq!(method(&list, "upi_l")["max"], "50000");
    let (status, body) = cy
        .post(
            "/v1/deposits",
            Some("in-range"),
            json!({"wallet_type":"upi_l","amount":"500","currency":"INR"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = cy
        .post(
            "/v1/deposits",
            Some("below"),
            json!({"wallet_type":"upi_l","amount":"99","currency":"INR"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn minor_unit_numbers_read_as_major_are_a_hundred_times_too_large() {
    // Why LIMITS_UNIT matters: the same answer under the default setting.
    let h = Harness::start().await;
    h.sandbox("/_sandbox/behaviour", json!({"limits_unit": "minor"}))
        .await;
    let list = methods(&h.user("dee"), "INR").await;
    assert_eq!(method(&list, "upi_l")["min"], "10000");
}

#[tokio::test]
async fn each_user_gets_the_list_the_gateway_gives_that_user() {
    let h = Harness::start().await;
    let alice = h.user("alice");
    let bob = h.user("bob");
    h.sandbox(
        "/_sandbox/hidden-methods",
        json!({"label": "bob", "wallet_types": ["paytm"]}),
    )
    .await;
    // Alice's list is fetched and cached first; Bob's must not come from it.
    assert!(types(&methods(&alice, "INR").await).contains(&"paytm"));
    assert!(!types(&methods(&bob, "INR").await).contains(&"paytm"));
    let paytm = json!({"wallet_type":"paytm","amount":"500","currency":"INR"});
    let (status, body) = bob.post("/v1/deposits", Some("p-1"), paytm.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "method_unavailable");
    let (status, body) = alice.post("/v1/deposits", Some("p-1"), paytm).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn methods_come_in_the_gateway_s_order_with_how_to_pay_media() {
    let h = Harness::start().await;
    let list = methods(&h.user("eve"), "INR").await;
    let orders: Vec<i64> = list.iter().filter_map(|m| m["order"].as_i64()).collect();
    assert_eq!(orders.len(), list.len(), "{list:?}");
    assert!(orders.windows(2).all(|w| w[0] <= w[1]), "{orders:?}");
    let upi_l = method(&list, "upi_l");
    assert!(
        upi_l["guide_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/upi_l.gif")),
        "{upi_l}"
    );
    assert!(
        upi_l["media_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/upi_l.mp4")),
        "{upi_l}"
    );
    assert_eq!(upi_l["is_manual"], false);
    let manual = method(&list, "upi_ml");
    assert_eq!(manual["is_manual"], true);
    assert_eq!(manual["uploading_payment_bill"], true);
    assert_eq!(manual["accepts_screenshot"], true);
    assert_eq!(manual["kind"], "manual");
}
