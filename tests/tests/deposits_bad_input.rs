//! Bad input to the deposit routes and the webhook: each answered as documented (status and
//! error code), with nothing changed (no deposit, no ledger entry, same balance).

use reqwest::StatusCode;
use testkit::{Harness, json};

/// Seeds alice with one credited 500.00 INR deposit; returns its id.
async fn seeded(h: &Harness) -> String {
    let alice = h.user("alice");
    let id = alice
        .deposit(
            "seed",
            json!({"wallet_type":"upi_l","amount":"500","currency":"INR"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    h.sandbox(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_l","key1":"100000000001","amount":"500","currency_code":"INR"}),
    )
    .await;
    let (status, _) = alice
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"100000000001"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    h.wait_deposit_status("alice", &id, "credited").await;
    id
}

/// Alice's books are exactly the seed: 500.00 INR, one entry.
async fn unchanged(h: &Harness) {
    assert_eq!(h.balance("alice", "INR").await, "500.00");
    assert_eq!(h.ledger_len("alice").await, 1);
}

fn code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn every_bad_request_is_refused_and_changes_nothing() {
    let h = Harness::start().await;
    let id = seeded(&h).await;
    let alice = h.user("alice");
    let good = json!({"wallet_type":"upi_l","amount":"500","currency":"INR"});

    // No identity.
    let anon = h.anonymous();
    for path in [
        "/v1/balance",
        "/v1/ledger",
        "/v1/payment-methods?currency=INR",
    ] {
        let (status, body) = anon.get(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert_eq!(code(&body), "unauthenticated");
    }
    let (status, body) = anon.post("/v1/deposits", Some("x"), good.clone()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let (status, _) = anon.get(&format!("/v1/deposits/{id}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Another user's deposit is not found, for reads, QR and activation alike.
    let mallory = h.user("mallory");
    for path in [
        format!("/v1/deposits/{id}"),
        format!("/v1/deposits/{id}/qr.svg"),
    ] {
        let (status, body) = mallory.get(&path).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
    let (status, _) = mallory
        .post(
            &format!("/v1/deposits/{id}/activate"),
            None,
            json!({"key1":"100000000001"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // key1 that is not 12 digits, on a fresh pending deposit.
    let pending = alice.deposit("p-1", good.clone()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for key1 in ["12345", "1234567890123", "12345678901x"] {
        let (status, body) = alice
            .post(
                &format!("/v1/deposits/{pending}/activate"),
                None,
                json!({"key1": key1}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key1}: {body}");
        assert_eq!(body["error"]["fields"]["key1"], "must be 12 digits");
    }
    let (_, still) = alice.get(&format!("/v1/deposits/{pending}")).await;
    assert_eq!(still["status"], "pending");

    // Amounts and currencies.
    for (amount, field) in [
        (json!("-5"), "amount"),
        (json!(-5), "amount"),
        (json!("0"), "amount"),
        (json!("500.001"), "amount"),
        (json!("abc"), "amount"),
    ] {
        let (status, body) = alice
            .post(
                "/v1/deposits",
                Some("bad-amount"),
                json!({"wallet_type":"upi_l","amount":amount,"currency":"INR"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{amount}: {body}");
        assert!(
            body["error"]["fields"][field].is_string(),
            "{amount}: {body}"
        );
    }
    for currency in ["XYZ", "inr", ""] {
        let (status, body) = alice
            .post(
                "/v1/deposits",
                Some("bad-currency"),
                json!({"wallet_type":"upi_l","amount":"500","currency":currency}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{currency}: {body}");
        assert!(body["error"]["fields"]["currency"].is_string(), "{body}");
    }
    let (status, body) = alice.get("/v1/payment-methods?currency=XYZ").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "validation")
    );

    // Missing Idempotency-Key, broken JSON, wrong content type, oversize body.
    let (status, body) = alice.post("/v1/deposits", None, good.clone()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "missing_header")
    );
    let (status, body) = alice
        .post_raw(
            "/v1/deposits",
            Some("broken"),
            "application/json",
            "{\"wallet_type\":",
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_body")
    );
    let (status, body) = alice
        .post_raw("/v1/deposits", Some("text"), "text/plain", good.to_string())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let huge = format!(
        "{{\"wallet_type\":\"upi_l\",\"amount\":\"500\",\"currency\":\"INR\",\"pad\":\"{}\"}}",
        "x".repeat(300 * 1024)
    );
    let (status, body) = alice
        .post_raw(
            "/v1/deposits",
            Some("huge"),
            "application/json",
            huge.clone(),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let (status, _) = h.post_postback(huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // The pending deposit from above is the only one created; nothing was credited.
    unchanged(&h).await;
    let (status, body) = alice.get("/v1/ledger?limit=0").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "validation")
    );
}

#[tokio::test]
async fn forged_or_malformed_postbacks_credit_nothing() {
    let h = Harness::start().await;
    seeded(&h).await;
    let genuine = h
        .stack
        .sandbox()
        .postback_texts()
        .pop()
        .expect("a postback");

    // The same body with the amount raised: the signature no longer matches.
    let forged = genuine.replace("\"amount\":\"500", "\"amount\":\"900");
    assert_ne!(forged, genuine);
    let (status, body) = h.post_postback(forged).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "bad_signature"),
        "{body}"
    );

    // A different payment, signed with the wrong keys.
    let mut v: serde_json::Value = serde_json::from_str(&genuine).unwrap();
    v["signature"] = json!("0".repeat(40));
    let (status, _) = h.post_postback(v.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    v.as_object_mut().unwrap().remove("signature");
    let (status, _) = h.post_postback(v.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Not JSON at all.
    let (status, body) = h.post_postback("{not json").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_body")
    );

    unchanged(&h).await;
}
