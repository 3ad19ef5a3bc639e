//! The gateway behaviours its documents leave open, each played by the sandbox: a repeated
//! `withdrawal_id` refused or paid as a new payout, `pullpostbacks` paging honoured or
//! ignored, withdrawal lookups that say "Postback not found" for everything or "Withdrawal
//! with this ID not found" while still paying out, and first sends met by a dropped
//! connection, an answer lost after the work, 502, 404, 429, a timeout or a hang. Under every
//! combination: no withdrawal is paid twice, none is refunded while the gateway may still pay
//! it, and no deposit expires while the gateway still reports its payment.

use std::time::Duration;

use paykassma_sandbox::state::{Behaviour, Paging, RepeatedWithdrawalId, WithdrawalLookup};
use payments::Label;
use service::settings::ResendPolicy;
use testkit::{Harness, json};

async fn start(policy: ResendPolicy, page_limit: usize) -> Harness {
    Harness::start_adjusted(|config| {
        config.sandbox.pullpostbacks_max_limit = page_limit;
        config.sandbox.fault_hold = Duration::from_millis(300);
        let r = &mut config.settings.reconcile;
        r.deposit_min_age = Duration::ZERO;
        r.withdrawal_min_age = Duration::ZERO;
        r.withdrawal_resend_grace = Duration::ZERO;
        r.deposit_lifetime = Duration::ZERO;
        r.withdrawal_resend = policy;
    })
    .await
}

fn imps(amount: i64) -> service::withdrawals::WithdrawalBody {
    serde_json::from_value(json!({
        "payment_system": "imps", "amount": amount.to_string(), "currency": "INR",
        "account_number": "123456789012", "account_name": "Ravi Kumar",
        "receiver_name": "Ravi Kumar", "bank_code": "SBIN0001234"
    }))
    .expect("withdrawal body")
}

/// First sends meet these, in order (one each); the last ones go through.
const FIRST_SEND_FAULTS: &[&str] = &[
    "drop_after",
    "drop",
    "http502",
    "http404",
    "http429",
    "timeout",
    "hang",
];

async fn withdrawals_stay_safe(behaviour: Behaviour, policy: ResendPolicy) {
    let h = start(policy, 50).await;
    h.stack.sandbox().set_behaviour(behaviour);
    let label = "gw-u";
    h.sandbox(
        "/_sandbox/plugin-payments",
        json!({"label": label, "amount": "10000", "currency_code": "INR", "wallet_type": "upi_l"}),
    )
    .await;
    h.wait_balance(label, "INR", "10000.00").await;
    let user = Label::parse(label).unwrap();
    for mode in FIRST_SEND_FAULTS {
        h.sandbox(
            "/_sandbox/faults",
            json!({"target": "/v2/withdrawal/create", "mode": mode, "count": 1}),
        )
        .await;
    }
    let count = FIRST_SEND_FAULTS.len() + 2;
    let mut ids = Vec::new();
    for i in 0..count {
        // A short budget, as a Lambda's deadline gives: a hung call ends as "unknown".
        let budget = tokio::time::Instant::now() + Duration::from_secs(3);
        let r = service::http::deadline::within(
            budget,
            service::withdrawals::submit(
                &h.stack.deps,
                &user,
                &format!("k{i}"),
                imps(100 + i as i64),
            ),
        )
        .await
        .expect("submitted");
        ids.push((r.body.id.clone(), 100 + i as i64));
    }
    for _ in 0..3 {
        let s = service::reconcile::run(&h.stack.deps).await.unwrap();
        assert!(s.errors.is_empty(), "{behaviour:?}: {:?}", s.errors);
    }
    // The back office pays out everything it holds, payout by payout.
    for (id, _) in &ids {
        for _ in h.stack.sandbox().payouts(id) {
            h.sandbox(&format!("/_sandbox/withdrawals/{id}/process"), json!({}))
                .await;
        }
    }
    // Postbacks arrive; then one more run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    service::reconcile::run(&h.stack.deps).await.unwrap();

    for (id, _) in &ids {
        let payouts = h.stack.sandbox().payouts(id);
        assert!(
            payouts.len() <= 1,
            "{behaviour:?} {policy:?}: {id} paid {} times",
            payouts.len()
        );
        let ours = h
            .stack
            .deps
            .store
            .get_withdrawal(&payments::WithdrawalId::parse(id).unwrap())
            .await
            .unwrap()
            .unwrap();
        if !payouts.is_empty() {
            assert_ne!(
                ours.status,
                payments::WithdrawalStatus::Rejected,
                "{behaviour:?} {policy:?}: {id} refunded although the gateway paid it"
            );
        }
    }
    // Every debit is held, paid or refunded; the books balance to the cent.
    let books = h.ledger_matches_balances(label).await;
    assert!(!books.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn withdrawals_are_never_paid_twice_nor_wrongly_refunded_with_resending_off() {
    for repeated in [
        RepeatedWithdrawalId::Refused,
        RepeatedWithdrawalId::NewPayout,
    ] {
        for lookup in [
            WithdrawalLookup::Documented,
            WithdrawalLookup::PostbackNotFound,
            WithdrawalLookup::NotFoundWhileProcessing,
        ] {
            for paging in [Paging::Honoured, Paging::Ignored] {
                let b = Behaviour {
                    repeated_withdrawal_id: repeated,
                    paging,
                    withdrawal_lookup: lookup,
                    ..Behaviour::default()
                };
                withdrawals_stay_safe(b, ResendPolicy::Off).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resending_after_not_found_is_safe_where_not_found_means_never_received() {
    // `after-not-found` is for a gateway whose "Withdrawal with this ID not found" is true;
    // docs/gateway.md says why it stays off until support confirms it.
    for repeated in [
        RepeatedWithdrawalId::Refused,
        RepeatedWithdrawalId::NewPayout,
    ] {
        for lookup in [
            WithdrawalLookup::Documented,
            WithdrawalLookup::PostbackNotFound,
        ] {
            let b = Behaviour {
                repeated_withdrawal_id: repeated,
                paging: Paging::Ignored,
                withdrawal_lookup: lookup,
                ..Behaviour::default()
            };
            withdrawals_stay_safe(b, ResendPolicy::AfterNotFound).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_paid_deposit_expires_whether_or_not_paging_is_honoured() {
    for paging in [Paging::Honoured, Paging::Ignored] {
        // Pages of two: seven open deposits never fit one page.
        let h = start(ResendPolicy::Off, 2).await;
        h.stack.sandbox().set_behaviour(Behaviour {
            paging,
            ..Behaviour::default()
        });
        let user = h.user("gw-d");
        let mut ids = Vec::new();
        for i in 0..7 {
            let created = user
                .deposit(
                    &format!("d-{i}"),
                    json!({"wallet_type": "upi_s", "amount": "500.00", "currency": "INR"}),
                )
                .await;
            ids.push(created["id"].as_str().unwrap().to_string());
        }
        // Five are paid, and every postback is lost.
        h.sandbox(
            "/_sandbox/faults",
            json!({"target": "postback", "mode": "drop", "count": 5}),
        )
        .await;
        for id in &ids[..5] {
            h.sandbox(&format!("/_sandbox/deposits/{id}/complete"), json!({}))
                .await;
        }
        let s = service::reconcile::run(&h.stack.deps).await.unwrap();
        assert!(s.errors.is_empty(), "{paging:?}: {:?}", s.errors);
        assert_eq!(s.count("deposit_credited"), 5, "{paging:?}: {:?}", s.counts);
        for id in &ids[..5] {
            h.wait_deposit_status("gw-d", id, "credited").await;
        }
        // The two unpaid ones expire only on the gateway's "not found" for them.
        assert_eq!(s.count("deposit_expired"), 2, "{paging:?}: {:?}", s.counts);
        assert_eq!(h.balance("gw-d", "INR").await, "2500.00");
        h.ledger_matches_balances("gw-d").await;
    }
}
