//! Payout methods end to end (issue 14): the list a user sees (with the account fields each
//! method needs, as the documents' table has them), the operators' switches and limits, which
//! refuse before any money moves and take effect at once, and the legacy request for the
//! methods configured to use it, paid and settled like the current one.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use testkit::{Harness, json};

fn paytm(amount: &str) -> Value {
    json!({"payment_system": "paytm", "amount": amount, "currency": "INR", "account_number": "+919876543210"})
}

fn systems(list: &Value) -> Vec<String> {
    list["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .map(|m| m["payment_system"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn users_see_the_methods_for_a_currency_with_the_fields_each_needs() {
    let h = Harness::start().await;
    let user = h.user("po-list");
    let (status, inr) = user.get("/v1/payout-methods?currency=INR").await;
    assert_eq!(status, StatusCode::OK, "{inr}");
    // UPI depositors are paid out by IMPS, or to a UPI id (upi_ib), or to Paytm.
    assert_eq!(
        systems(&inr),
        ["imps", "imps_ib", "upi_ib", "paytm", "paytm_api"]
    );
    let imps = &inr["methods"][0];
    assert_eq!(
        imps["fields"],
        json!([
            {"name":"account_number","required":true,"format":"9-18 digits"},
            {"name":"account_name","required":true,"format":null},
            {"name":"bank_code","required":true,"format":"an IFSC like SBIN0001234"},
            {"name":"receiver_name","required":true,"format":null},
            {"name":"branch_code","required":false,"format":null}
        ])
    );
    assert_eq!((&imps["min"], &imps["max"]), (&Value::Null, &Value::Null));
    assert_eq!(imps["whole_amounts"], true);
    let (_, bdt) = user.get("/v1/payout-methods?currency=BDT").await;
    assert_eq!(systems(&bdt), ["bkash", "bkash_api", "nagad", "nagad_api"]);
    assert_eq!(
        bdt["methods"][0]["fields"][1],
        json!({"name":"account_email","required":true,"format":"an e-mail address"})
    );
    for query in ["", "?currency=RUPEE"] {
        let (status, body) = user.get(&format!("/v1/payout-methods{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"]["fields"]["currency"].is_string(), "{body}");
    }
    let (status, _) = h.anonymous().get("/v1/payout-methods?currency=INR").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn switches_and_limits_refuse_before_money_moves_and_take_effect_at_once() {
    let h = Harness::start().await;
    h.fund("po-sw", "5000").await;
    let user = h.user("po-sw");

    // Off: not listed, refused, nothing debited.
    let (status, off) = h
        .admin(
            Method::PUT,
            "/v1/admin/payout-methods/paytm",
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(
        (&off["enabled"], &off["request"]),
        (&json!(false), &json!("current"))
    );
    let (_, inr) = user.get("/v1/payout-methods?currency=INR").await;
    assert!(!systems(&inr).contains(&"paytm".to_string()), "{inr}");
    let (status, refused) = user.post("/v1/withdrawals", Some("k1"), paytm("100")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "method_unavailable");
    assert_eq!(h.balance("po-sw", "INR").await, "5000.00");

    // On with limits: shown, enforced (naming them), and a withdrawal inside them is paid.
    let (status, on) = h
        .admin(
            Method::PUT,
            "/v1/admin/payout-methods/paytm",
            Some(json!({"enabled": true, "limits": {"INR": {"min": "500", "max": 1000}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(
        on["limits"],
        json!({"INR": {"min":"500.00","max":"1000.00"}})
    );
    let (_, inr) = user.get("/v1/payout-methods?currency=INR").await;
    let listed = inr["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["payment_system"] == "paytm")
        .expect("paytm listed")
        .clone();
    assert_eq!(
        (&listed["min"], &listed["max"]),
        (&json!("500.00"), &json!("1000.00"))
    );
    for (key, amount) in [("k2", "499"), ("k3", "1001")] {
        let (status, refused) = user.post("/v1/withdrawals", Some(key), paytm(amount)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["error"]["code"], "amount_out_of_limits");
        assert_eq!(
            refused["error"]["fields"]["amount"],
            "must be 500.00 to 1000.00 INR"
        );
    }
    assert_eq!(h.balance("po-sw", "INR").await, "5000.00");
    assert_eq!(h.ledger_len("po-sw").await, 1);
    let (status, paid) = user.post("/v1/withdrawals", Some("k4"), paytm("600")).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(h.balance("po-sw", "INR").await, "4400.00");

    // The operator's view: every method, switched or not; a PUT without limits keeps them.
    let (_, kept) = h
        .admin(
            Method::PUT,
            "/v1/admin/payout-methods/paytm",
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(kept["limits"]["INR"]["min"], "500.00");
    let (status, all) = h.admin(Method::GET, "/v1/admin/payout-methods", None).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["enabled_by_default"], true);
    assert_eq!(all["methods"].as_array().unwrap().len(), 10);
    let imps = &all["methods"][0];
    assert_eq!(
        (
            &imps["payment_system"],
            &imps["enabled"],
            &imps["updated_at"]
        ),
        (&json!("imps"), &json!(true), &Value::Null)
    );

    // Bad switches change nothing: unknown method 404, a currency it does not pay out in,
    // min above max, a negative amount, an unknown field 400.
    let (status, _) = h
        .admin(
            Method::PUT,
            "/v1/admin/payout-methods/upi_l",
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for body in [
        json!({"enabled": true, "limits": {"BDT": {"min": "1", "max": "2"}}}),
        json!({"enabled": true, "limits": {"INR": {"min": "9", "max": "2"}}}),
        json!({"enabled": true, "limits": {"INR": {"min": "-1", "max": "2"}}}),
        json!({"enabled": true, "limit": {}}),
    ] {
        let (status, e) = h
            .admin(
                Method::PUT,
                "/v1/admin/payout-methods/paytm",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {e}");
    }
    let (_, after) = h.admin(Method::GET, "/v1/admin/payout-methods", None).await;
    let paytm_now = after["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["payment_system"] == "paytm")
        .unwrap()
        .clone();
    assert_eq!(
        paytm_now["limits"]["INR"],
        json!({"min":"500.00","max":"1000.00"})
    );
    // Users cannot switch anything.
    let (status, _) = user
        .put_json("/v1/admin/payout-methods/paytm", json!({"enabled": false}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_method_configured_for_the_legacy_request_is_sent_and_settled_as_one() {
    let h = Harness::start_adjusted(|config| {
        config.settings.withdrawal_legacy_systems = ["paytm".to_string()].into();
    })
    .await;
    h.fund("po-legacy", "1000").await;
    let user = h.user("po-legacy");
    let (_, all) = h.admin(Method::GET, "/v1/admin/payout-methods", None).await;
    let requests: Vec<(&str, &str)> = all["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["payment_system"].as_str().unwrap(),
                m["request"].as_str().unwrap(),
            )
        })
        .filter(|(_, r)| *r == "legacy")
        .collect();
    assert_eq!(requests, [("paytm", "legacy")]);

    let (status, created) = user.post("/v1/withdrawals", Some("lg"), paytm("300")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "submitted", "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    // The sandbox took it as the legacy request (signature checked), with the number
    // without +91 as the recipient.
    let seen = h
        .sandbox_withdrawal(&id)
        .await
        .expect("the sandbox received it");
    assert_eq!(seen["legacy"], true, "{seen}");
    assert_eq!(seen["account_number"], "9876543210", "{seen}");
    assert_eq!(seen["amount"], "300", "{seen}");
    h.sandbox(&format!("/_sandbox/withdrawals/{id}/process"), json!({}))
        .await;
    for _ in 0..100 {
        let (_, w) = user.get(&format!("/v1/withdrawals/{id}")).await;
        if w["status"] == "processed" {
            assert_eq!(h.balance("po-legacy", "INR").await, "700.00");
            h.ledger_matches_balances("po-legacy").await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the legacy withdrawal was never processed");
}
