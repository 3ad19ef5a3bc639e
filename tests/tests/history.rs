//! The history routes end to end (`GET /v1/deposits`, `GET /v1/withdrawals`): a user's own
//! deposits and withdrawals, newest first, in every status the ledger does not show, paged
//! with cursors that belong to one user, list and filter; on DynamoDB Local and the sandbox.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Harness, User, json};

fn upi(wallet_type: &str, amount: &str) -> Value {
    json!({"wallet_type": wallet_type, "amount": amount, "currency": "INR"})
}

fn imps(amount: &str) -> Value {
    json!({
        "payment_system": "imps", "amount": amount, "currency": "INR",
        "account_number": "123456789012", "account_name": "Ravi Kumar",
        "receiver_name": "Ravi Kumar", "bank_code": "SBIN0001234"
    })
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// Every page of `path` (with `query`, e.g. `status=pending`) at `limit`: (id, status) of the
/// items under `field`, in order, and the number of pages.
async fn walk(
    user: &User,
    path: &str,
    field: &str,
    query: &str,
    limit: usize,
) -> (Vec<(String, String)>, usize) {
    let (mut seen, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let mut url = format!("{path}?limit={limit}&{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = user.get(&url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        let items = body[field].as_array().expect("a list");
        assert!(items.len() <= limit, "{url}: {body}");
        pages += 1;
        for item in items {
            seen.push((id_of(item), item["status"].as_str().unwrap().to_string()));
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (seen, pages),
        }
    }
}

async fn wait_withdrawal(h: &Harness, label: &str, id: &str, status: &str) {
    for _ in 0..100 {
        let (_, body) = h.user(label).get(&format!("/v1/withdrawals/{id}")).await;
        if body["status"] == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("withdrawal {id} never reached {status}");
}

/// A 400 naming `field`.
fn refused(answer: (StatusCode, Value), field: &str, what: &str) {
    let (status, body) = answer;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert_eq!(body["error"]["code"], "validation", "{what}: {body}");
    assert!(body["error"]["fields"][field].is_string(), "{what}: {body}");
}

#[tokio::test]
async fn a_user_sees_their_deposits_and_withdrawals_newest_first_in_every_status() {
    let h = Harness::start().await;
    let alice = h.user("hist-alice");

    // Credited: a P2P deposit the gateway finds on activation.
    let credited = id_of(&alice.deposit("k-1", upi("upi_l", "500")).await);
    h.sandbox(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_l","key1":"123456789012","amount":"500.00","currency_code":"INR"}),
    )
    .await;
    let (status, body) = alice
        .post(
            &format!("/v1/deposits/{credited}/activate"),
            None,
            json!({"key1":"123456789012"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    h.wait_deposit_status("hist-alice", &credited, "credited")
        .await;
    // Pending: never paid. Rejected: a failed QR order (its read marks it).
    let pending = id_of(&alice.deposit("k-2", upi("upi_l", "150")).await);
    let rejected = id_of(&alice.deposit("k-3", upi("upi_s", "120")).await);
    h.sandbox(&format!("/_sandbox/deposits/{rejected}/fail"), json!({}))
        .await;
    h.wait_deposit_status("hist-alice", &rejected, "rejected")
        .await;

    // Withdrawals: one paid, one refused by the gateway and refunded, one still submitted.
    let mut wds = Vec::new();
    for (key, amount) in [("w-1", "100"), ("w-2", "50"), ("w-3", "25")] {
        let (status, body) = alice.post("/v1/withdrawals", Some(key), imps(amount)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        wds.push(id_of(&body));
    }
    h.sandbox(
        &format!("/_sandbox/withdrawals/{}/process", wds[0]),
        json!({}),
    )
    .await;
    wait_withdrawal(&h, "hist-alice", &wds[0], "processed").await;
    h.sandbox(
        &format!("/_sandbox/withdrawals/{}/reject", wds[1]),
        json!({}),
    )
    .await;
    wait_withdrawal(&h, "hist-alice", &wds[1], "rejected").await;
    assert_eq!(h.balance("hist-alice", "INR").await, "375.00");

    let pair = |id: &str, status: &str| (id.to_string(), status.to_string());
    let deposits = vec![
        pair(&rejected, "rejected"),
        pair(&pending, "pending"),
        pair(&credited, "credited"),
    ];
    for (limit, pages) in [(1, 3), (2, 2), (3, 1), (20, 1)] {
        assert_eq!(
            walk(&alice, "/v1/deposits", "deposits", "", limit).await,
            (deposits.clone(), pages),
            "limit {limit}"
        );
    }
    // The items are the deposit's own view (the same as GET /v1/deposits/{id}).
    let (_, page) = alice.get("/v1/deposits?limit=3").await;
    let (_, one) = alice.get(&format!("/v1/deposits/{pending}")).await;
    assert_eq!(page["deposits"][1], one);
    assert_eq!(page["deposits"][2]["credited_amount"], "500.00");
    assert!(page.get("next_cursor").is_none(), "{page}");

    for (status, want) in [
        ("pending", vec![pair(&pending, "pending")]),
        ("credited", vec![pair(&credited, "credited")]),
        ("rejected", vec![pair(&rejected, "rejected")]),
        ("expired", vec![]),
    ] {
        assert_eq!(
            walk(
                &alice,
                "/v1/deposits",
                "deposits",
                &format!("status={status}"),
                1
            )
            .await
            .0,
            want,
            "status {status}"
        );
    }

    let withdrawals = vec![
        pair(&wds[2], "submitted"),
        pair(&wds[1], "rejected"),
        pair(&wds[0], "processed"),
    ];
    for (limit, pages) in [(1, 3), (2, 2), (100, 1)] {
        assert_eq!(
            walk(&alice, "/v1/withdrawals", "withdrawals", "", limit).await,
            (withdrawals.clone(), pages),
            "limit {limit}"
        );
    }
    let (_, page) = alice.get("/v1/withdrawals?status=rejected").await;
    assert_eq!(page["withdrawals"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["withdrawals"][0]["id"], wds[1].as_str());
    assert_eq!(page["withdrawals"][0]["amount"], "50.00");
    assert!(page["withdrawals"][0]["message"].is_string(), "{page}");

    // Someone else sees none of it.
    let bob = h.user("hist-bob");
    assert_eq!(
        walk(&bob, "/v1/deposits", "deposits", "", 5).await,
        (vec![], 1)
    );
    assert_eq!(
        walk(&bob, "/v1/withdrawals", "withdrawals", "", 5).await,
        (vec![], 1)
    );
}

#[tokio::test]
async fn history_cursors_belong_to_one_user_list_and_filter() {
    let h = Harness::start().await;
    let alice = h.user("cur-alice");
    let bob = h.user("cur-bob");
    for key in ["k-1", "k-2"] {
        alice.deposit(key, upi("upi_l", "100")).await;
        bob.deposit(key, upi("upi_l", "100")).await;
    }
    let cursor_of = |body: &Value| body["next_cursor"].as_str().expect("a cursor").to_string();
    let (_, bobs) = bob.get("/v1/deposits?limit=1").await;
    let bobs = cursor_of(&bobs);
    let (_, alices) = alice.get("/v1/deposits?limit=1").await;
    let alices = cursor_of(&alices);
    let (_, pending) = alice.get("/v1/deposits?limit=1&status=pending").await;
    let pending = cursor_of(&pending);

    // Each works where it was made.
    for (user, cursor, query) in [
        (&bob, &bobs, ""),
        (&alice, &alices, ""),
        (&alice, &pending, "&status=pending"),
    ] {
        let (status, body) = user
            .get(&format!("/v1/deposits?limit=1&cursor={cursor}{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["deposits"].as_array().unwrap().len(), 1, "{body}");
    }
    let before = h.ledger_len("cur-alice").await;

    refused(
        alice
            .get(&format!("/v1/deposits?limit=1&cursor={bobs}"))
            .await,
        "cursor",
        "bob's cursor used by alice",
    );
    refused(
        alice
            .get(&format!("/v1/withdrawals?limit=1&cursor={alices}"))
            .await,
        "cursor",
        "a deposits cursor on /v1/withdrawals",
    );
    refused(
        alice
            .get(&format!(
                "/v1/deposits?limit=1&cursor={alices}&status=pending"
            ))
            .await,
        "cursor",
        "a cursor under another status filter",
    );
    refused(
        alice
            .get(&format!("/v1/deposits?limit=1&cursor={pending}"))
            .await,
        "cursor",
        "a filtered cursor without its filter",
    );
    refused(
        alice.get("/v1/deposits?cursor=not-a-cursor").await,
        "cursor",
        "garbage",
    );
    for path in ["/v1/deposits", "/v1/withdrawals"] {
        refused(
            alice.get(&format!("{path}?limit=0")).await,
            "limit",
            "limit=0",
        );
        refused(
            alice.get(&format!("{path}?limit=101")).await,
            "limit",
            "limit=101",
        );
        refused(
            alice.get(&format!("{path}?limit=x")).await,
            "limit",
            "limit=x",
        );
        refused(
            alice.get(&format!("{path}?status=bogus")).await,
            "status",
            "status=bogus",
        );
        let (status, _) = h.anonymous().get(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // A deposit status is not a withdrawal status.
    refused(
        alice.get("/v1/withdrawals?status=credited").await,
        "status",
        "a deposit status on withdrawals",
    );

    // Nothing changed: the same deposits, the same ledger.
    let (status, body) = alice.get("/v1/deposits").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["deposits"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(h.ledger_len("cur-alice").await, before);
    assert_eq!(h.balance("cur-alice", "INR").await, "0.00");
}
