//! Reconciliation and admin use cases against a real in-process sandbox: missed postbacks are
//! found and applied once, unknown withdrawals are settled by the gateway's word, re-sent once
//! only when allowed, or held for an operator,
//! stale deposits expire, window URL hashes stay fresh, and a second run changes nothing.

use paykassma::client::UpiSRequest;
use payments::store::NewDeposit;
use payments::store::prelude::*;
use payments::{Currency, DepositId, Label, Money, WithdrawalId};
use service::reconcile;
use service::withdrawals;
use testkit::values::d;
use testkit::world::{World, imps};

fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

async fn status_of(w: &World, id: &str) -> String {
    let id = WithdrawalId::parse(id).unwrap();
    let stored = w.store.get_withdrawal(&id).await.unwrap().unwrap();
    stored.status.as_str().to_string()
}

/// A second run over the same state changes nothing more.
async fn assert_second_run_is_quiet(w: &World) {
    let again = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(again.findings(), 0, "{:?}", again.counts);
    assert!(again.errors.is_empty(), "{:?}", again.errors);
}

#[tokio::test]
async fn a_timed_out_withdrawal_is_settled_from_the_postback_reconciliation_finds() {
    let w = World::start().await;
    w.fund("r1", "1000", "INR", "upi_l").await;
    w.fault("/v2/withdrawal/create", "drop_after").await;
    let r = withdrawals::submit(&w.deps, &label("r1"), "k", imps("300"))
        .await
        .unwrap();
    assert_eq!(r.body.status, "unknown");
    // The gateway pays it, but its postback never reaches us.
    w.fault("postback", "drop").await;
    let (s, _) = w
        .control(&format!("withdrawals/{}/process", r.body.id), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(status_of(&w, &r.body.id).await, "unknown");

    // Too young for reconciliation: left alone.
    let early = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(early.count("withdrawal_checked"), 0);

    w.advance(301);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("withdrawal_processed"), 1, "{:?}", run.counts);
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    assert_eq!(status_of(&w, &r.body.id).await, "processed");
    assert_eq!(w.balance("r1", "INR").await, (d("700.00"), d("0.00")));
    w.assert_books("r1", "INR").await;
    assert_second_run_is_quiet(&w).await;
}

const RESEND: &[(&str, &str)] = &[("WITHDRAWAL_RESEND", "after-not-found")];

fn operator() -> service::http::Admin {
    service::http::Admin("arn:aws:iam::123456789012:role/ops".into())
}

#[tokio::test]
async fn by_default_an_unknown_withdrawal_is_never_resent_but_held_for_an_operator() {
    let w = World::start().await;
    w.fund("r2", "1000", "INR", "upi_l").await;
    w.fault("/v2/withdrawal/create", "drop").await;
    let r = withdrawals::submit(&w.deps, &label("r2"), "k", imps("400"))
        .await
        .unwrap();
    let id = r.body.id.clone();
    assert_eq!(r.body.status, "unknown");

    w.advance(400);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("withdrawal_waiting_grace"), 1, "{:?}", run.counts);
    for _ in 0..3 {
        w.advance(1_000);
        let run = reconcile::run(&w.deps).await.unwrap();
        assert_eq!(
            run.count("withdrawal_needs_attention"),
            1,
            "{:?}",
            run.counts
        );
        assert_eq!(run.count("withdrawal_resent"), 0);
    }
    assert!(w.sandbox_withdrawal(&id).await.is_none(), "never re-sent");
    assert_eq!(status_of(&w, &id).await, "unknown");
    assert_eq!(w.balance("r2", "INR").await, (d("600.00"), d("400.00")));

    // The operator sees why, since when, and what the gateway said.
    let queue = withdrawals::attention::list(&w.deps, 10, None)
        .await
        .unwrap();
    assert_eq!(queue.items.len(), 1);
    let item = &queue.items[0];
    assert_eq!(item.withdrawal_id, id);
    assert_eq!(item.reason, "not_found");
    assert_eq!(
        item.observations.len(),
        1,
        "one answer, seen three times: {:?}",
        item.observations
    );
    assert!(item.observations[0].contains("Withdrawal with this ID not found"));

    // Resolved once, naming the operator; a second resolution changes nothing.
    let body = || withdrawals::attention::ResolveWithdrawal {
        outcome: "refund".into(),
        note: "support confirmed it was never received".into(),
    };
    let done = withdrawals::attention::resolve(&w.deps, &operator(), &id, body())
        .await
        .unwrap();
    assert_eq!(done.status, "refunded");
    assert_eq!(done.resolution.as_ref().unwrap().by, operator().0);
    assert_eq!(status_of(&w, &id).await, "rejected");
    let again = withdrawals::attention::resolve(&w.deps, &operator(), &id, body()).await;
    assert_eq!(again.unwrap_err().code(), "conflict");
    assert_eq!(w.balance("r2", "INR").await, (d("1000.00"), d("0.00")));
    w.assert_books("r2", "INR").await;
    assert!(
        withdrawals::attention::list(&w.deps, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn when_allowed_an_unknown_withdrawal_is_resent_once_after_two_not_found_a_grace_apart() {
    let w = World::start_with(RESEND).await;
    w.fund("r2", "1000", "INR", "upi_l").await;
    w.fault("/v2/withdrawal/create", "drop").await;
    let r = withdrawals::submit(&w.deps, &label("r2"), "k", imps("400"))
        .await
        .unwrap();
    let id = r.body.id.clone();
    assert_eq!(r.body.status, "unknown");

    w.advance(1_000);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(
        run.count("withdrawal_not_found_once"),
        1,
        "{:?}",
        run.counts
    );
    // The second "not found" too soon after the first: still waiting.
    w.advance(100);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(
        run.count("withdrawal_not_found_once"),
        1,
        "{:?}",
        run.counts
    );
    assert!(w.sandbox_withdrawal(&id).await.is_none());

    w.advance(900);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("withdrawal_resent"), 1, "{:?}", run.counts);
    assert_eq!(status_of(&w, &id).await, "submitted");
    let at_gateway = w.sandbox_withdrawal(&id).await.expect("re-sent");
    assert!(at_gateway.to_string().contains("123456789012"));
    let again = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(again.count("withdrawal_resent"), 0);
    assert_eq!(again.count("withdrawal_waiting"), 1, "{:?}", again.counts);
    w.control(&format!("withdrawals/{id}/process"), None).await;
    w.wait_for(|| async { status_of(&w, &id).await == "processed" })
        .await;
    assert_eq!(w.balance("r2", "INR").await, (d("600.00"), d("0.00")));
    w.assert_books("r2", "INR").await;
}

#[tokio::test]
async fn a_refused_resend_refunds_nothing_and_is_held_for_an_operator() {
    let w = World::start_with(RESEND).await;
    w.fund("r7", "1000", "INR", "upi_l").await;
    w.fault("/v2/withdrawal/create", "drop").await;
    let r = withdrawals::submit(&w.deps, &label("r7"), "k", imps("600"))
        .await
        .unwrap();
    assert_eq!(r.body.status, "unknown");
    // The merchant's gateway balance is now too low: the re-send is refused.
    let (s, _) = w
        .control(
            "balances",
            Some(
                serde_json::json!([{"wallet_type":"upi_l","currency_code":"INR","amount":"1.00"}]),
            ),
        )
        .await;
    assert!(s < 300);
    w.advance(1_000);
    reconcile::run(&w.deps).await.unwrap();
    w.advance(1_000);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(
        run.count("withdrawal_resend_unanswered"),
        1,
        "{:?}",
        run.counts
    );
    // The first send may still be paid: nothing is refunded on a refusal of the re-send.
    assert_eq!(status_of(&w, &r.body.id).await, "unknown");
    assert_eq!(w.balance("r7", "INR").await, (d("400.00"), d("600.00")));
    let queue = withdrawals::attention::list(&w.deps, 10, None)
        .await
        .unwrap();
    assert_eq!(queue.items[0].reason, "resend_refused", "{queue:?}");
    // Never a second re-send.
    w.advance(1_000);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(
        run.count("withdrawal_resent") + run.count("withdrawal_resend_unanswered"),
        0,
        "{:?}",
        run.counts
    );
    assert_eq!(
        run.count("withdrawal_needs_attention"),
        1,
        "{:?}",
        run.counts
    );
    w.assert_books("r7", "INR").await;
}

#[tokio::test]
async fn a_withdrawal_never_sent_because_the_gateway_was_unreachable_is_sent_by_reconciliation() {
    let w = World::start().await;
    w.fund("r8", "1000", "INR", "upi_l").await;
    // The same store and clock, but a gateway address where nothing listens.
    let unreachable = service::Deps::builder(
        testkit::gateway::unreachable_gateway(),
        w.sandbox.config().postback_keys.clone(),
    )
    .store(w.deps.store.clone())
    .clock(w.deps.clock.clone())
    .settings(w.deps.settings.clone())
    .build();
    let r = withdrawals::submit(&unreachable, &label("r8"), "k", imps("150"))
        .await
        .unwrap();
    assert_eq!(r.body.status, "pending");
    assert_eq!(w.balance("r8", "INR").await, (d("850.00"), d("150.00")));
    assert!(w.sandbox_withdrawal(&r.body.id).await.is_none());

    w.advance(1_000);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("withdrawal_sent"), 1, "{:?}", run.counts);
    assert_eq!(status_of(&w, &r.body.id).await, "submitted");
    assert!(w.sandbox_withdrawal(&r.body.id).await.is_some());
    w.assert_books("r8", "INR").await;
    assert_second_run_is_quiet(&w).await;
}

#[tokio::test]
async fn an_unknown_withdrawal_the_gateway_has_is_never_resent_and_settles_by_its_postback() {
    // Even with re-sending allowed: "Postback not found" is not "not found".
    let w = World::start_with(RESEND).await;
    w.fund("r3", "1000", "INR", "upi_l").await;
    w.fault("/v2/withdrawal/create", "drop_after").await;
    let r = withdrawals::submit(&w.deps, &label("r3"), "k", imps("100"))
        .await
        .unwrap();
    assert_eq!(r.body.status, "unknown");
    for _ in 0..3 {
        w.advance(1_000);
        let run = reconcile::run(&w.deps).await.unwrap();
        assert_eq!(run.count("withdrawal_resent"), 0, "{:?}", run.counts);
        assert_eq!(
            run.count("withdrawal_needs_attention"),
            1,
            "{:?}",
            run.counts
        );
        assert!(run.errors.is_empty(), "{:?}", run.errors);
    }
    assert_eq!(status_of(&w, &r.body.id).await, "unknown");
    assert_eq!(w.balance("r3", "INR").await, (d("900.00"), d("100.00")));
    w.control(&format!("withdrawals/{}/reject", r.body.id), None)
        .await;
    let id = r.body.id.clone();
    w.wait_for(|| async { status_of(&w, &id).await == "rejected" })
        .await;
    assert_eq!(w.balance("r3", "INR").await, (d("1000.00"), d("0.00")));
    w.assert_books("r3", "INR").await;
}

/// A upi_s deposit of ours, opened at the sandbox.
async fn open_deposit(w: &World, who: &str, amount: &str) -> DepositId {
    let id = DepositId::generate();
    w.deps
        .gateway
        .create_upi_s(&UpiSRequest {
            currency: "INR".into(),
            label: who.into(),
            amount: d(amount),
            custom_transaction_id: id.to_string(),
        })
        .await
        .unwrap();
    let inr = Currency::parse("INR").unwrap();
    w.store
        .create_deposit(NewDeposit {
            id: id.clone(),
            label: label(who),
            currency: inr,
            amount: Some(Money::new(d(amount), inr).unwrap()),
            wallet_type: "upi_s".into(),
            details: Default::default(),
            created_at: w.clock_now(),
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_deposit_whose_postback_was_dropped_is_credited_once() {
    let w = World::start().await;
    let id = open_deposit(&w, "r4", "500").await;
    w.fault("postback", "drop").await;
    let (s, b) = w.control(&format!("deposits/{id}/complete"), None).await;
    assert!(s < 300, "{s} {b}");
    assert_eq!(w.balance("r4", "INR").await.0, d("0"));

    w.advance(601);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(
        run.count("deposit_credited"),
        1,
        "{:?} {:?}",
        run.counts,
        run.errors
    );
    assert_eq!(w.balance("r4", "INR").await.0, d("500.00"));
    let dep = w.store.get_deposit(&id).await.unwrap().unwrap();
    assert_eq!(dep.status.as_str(), "credited");

    // The gateway's late delivery of the same postback changes nothing.
    let text = w
        .sandbox
        .postback_texts()
        .into_iter()
        .find(|t| t.contains(id.as_str()))
        .unwrap();
    let res = w
        .http
        .post(&w.webhook_url)
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(w.balance("r4", "INR").await.0, d("500.00"));
    w.assert_books("r4", "INR").await;
    assert_second_run_is_quiet(&w).await;
}

#[tokio::test]
async fn an_unpaid_deposit_expires_after_its_lifetime_only() {
    let w = World::start().await;
    let id = open_deposit(&w, "r5", "200").await;
    w.advance(700);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("deposit_waiting"), 1, "{:?}", run.counts);
    w.advance(86_400);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("deposit_expired"), 1, "{:?}", run.counts);
    let dep = w.store.get_deposit(&id).await.unwrap().unwrap();
    assert_eq!(dep.status.as_str(), "expired");
    assert_second_run_is_quiet(&w).await;
}

#[tokio::test]
async fn window_hashes_are_fetched_cached_and_refreshed_before_they_lapse() {
    let w = World::start_with(&[
        ("WINDOW_SUCCESS_URL", "https://shop.example/paid"),
        ("WINDOW_FAIL_URL", "https://shop.example/failed"),
    ])
    .await;
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("hash_urls_refreshed"), 1, "{:?}", run.errors);
    let h = reconcile::hash_urls::current(&w.deps)
        .await
        .unwrap()
        .unwrap();
    let success = h.success_url.clone().unwrap();
    assert_eq!(
        w.sandbox.resolve_hash(&success).as_deref(),
        Some("https://shop.example/paid")
    );
    assert!(h.pending_url.is_none());
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("hash_urls_fresh"), 1);
    // Within the refresh margin (2 h before the 1-day lifetime): fetched again.
    w.advance(86_400 - 7_200 + 1);
    let run = reconcile::run(&w.deps).await.unwrap();
    assert_eq!(run.count("hash_urls_refreshed"), 1);

    let none = World::start().await;
    let run = reconcile::run(&none.deps).await.unwrap();
    assert_eq!(run.count("hash_urls_skipped"), 1);
}

#[tokio::test]
async fn admin_reports_the_last_run_and_open_items_and_switches_methods() {
    let w = World::start().await;
    w.fund("r6", "1000", "INR", "upi_l").await;
    open_deposit(&w, "r6", "300").await;
    w.fault("/v2/withdrawal/create", "drop").await;
    withdrawals::submit(&w.deps, &label("r6"), "k", imps("100"))
        .await
        .unwrap();
    let report = service::admin::reconciliation(&w.deps).await.unwrap();
    assert!(report.last_run.is_none());
    assert_eq!(report.open_deposits.total, 1);
    assert_eq!(report.open_withdrawals.by_status.get("unknown"), Some(&1));
    assert_eq!(report.open_withdrawals.by_age.get("under_10m"), Some(&1));

    w.advance(700);
    let run = reconcile::run(&w.deps).await.unwrap();
    let report = service::admin::reconciliation(&w.deps).await.unwrap();
    assert_eq!(report.last_run.as_ref(), Some(&run));
    assert_eq!(report.open_deposits.by_age.get("10m_to_1h"), Some(&1));

    let admin = service::http::Admin("test".into());
    let before = service::admin::payment_methods(&w.deps).await.unwrap();
    assert!(before.methods.is_empty() && before.enabled_by_default);
    let off = service::admin::set_payment_method(
        &w.deps,
        &admin,
        "upi_l",
        service::admin::SetMethod { enabled: false },
    )
    .await
    .unwrap();
    assert!(!off.enabled);
    assert_eq!(
        w.store.get_method_enabled("upi_l").await.unwrap(),
        Some(false)
    );
    let listed = service::admin::payment_methods(&w.deps).await.unwrap();
    assert_eq!(listed.methods.len(), 1);
    assert!(
        service::admin::set_payment_method(
            &w.deps,
            &admin,
            "UPI L",
            service::admin::SetMethod { enabled: true }
        )
        .await
        .is_err()
    );

    let balances = service::admin::gateway_balance(&w.deps).await.unwrap();
    let upi_l = balances
        .balances
        .iter()
        .find(|b| b.wallet_type == "upi_l")
        .unwrap();
    // 1,000,000.00 at start, plus the funding payment.
    assert_eq!(upi_l.amount, "1001000.00");
}

/// A payment-window deposit of 500 INR by `who` under `key`: the window URL's query pairs.
async fn window_url(w: &World, who: &str, key: &str) -> Vec<(String, String)> {
    let req: service::deposits::create::CreateRequest = serde_json::from_value(serde_json::json!({
        "wallet_type": "upi_l", "amount": "500", "currency": "INR", "mode": "window"
    }))
    .unwrap();
    let created = service::deposits::create::create(&w.deps, &label(who), key, req)
        .await
        .unwrap();
    let url = url::Url::parse(created.deposit.payment_url.as_deref().unwrap()).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn window_urls_carry_current_hashes_and_fall_back_to_ids_never_to_a_lapsed_hash() {
    let w = World::start_with(&[
        ("WINDOW_SUCCESS_URL", "https://shop.example/paid"),
        ("WINDOW_SUCCESS_URL_ID", "7"),
        ("WINDOW_FAIL_URL_ID", "9"),
    ])
    .await;
    // No hash cached yet: the deposit fetches one and the URL carries it.
    let first = window_url(&w, "win1", "k1").await;
    let hash = pair(&first, "success_url")
        .expect("a success hash")
        .to_string();
    assert_eq!(
        w.sandbox.resolve_hash(&hash).as_deref(),
        Some("https://shop.example/paid")
    );
    assert_eq!(pair(&first, "payment_url_success_id"), None);
    // No fail URL configured: its registered id.
    assert_eq!(pair(&first, "payment_url_fail_id"), Some("9"));
    assert_eq!(pair(&first, "fail_url"), None);

    // Still fresh: the same hash, no new request.
    let again = window_url(&w, "win1", "k2").await;
    assert_eq!(pair(&again, "success_url"), Some(hash.as_str()));

    // The hash lapsed and the gateway cannot hash again: the id, never the lapsed hash.
    w.advance(86_400 + 1);
    w.fault("/api/v1/payment-plugin/hash-url", "http500").await;
    let lapsed = window_url(&w, "win1", "k3").await;
    assert_eq!(pair(&lapsed, "success_url"), None, "{lapsed:?}");
    assert_eq!(pair(&lapsed, "payment_url_success_id"), Some("7"));

    // The gateway answers again: a new hash.
    let renewed = window_url(&w, "win1", "k4").await;
    let new_hash = pair(&renewed, "success_url").expect("a new hash");
    assert_ne!(new_hash, hash);
}
