//! Withdrawal use cases against a real in-process sandbox and the in-memory store: submit,
//! idempotent retries, gateway refusals, unknown outcomes, outgoing postbacks applied exactly
//! once. The books are checked to the cent after each.

use payments::store::prelude::*;
use payments::{Label, WithdrawalStatus};
use service::ApiError;
use service::withdrawals::{self, WithdrawalBody};
use testkit::values::d;
use testkit::world::{World, imps};

fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

async fn status_of(w: &World, id: &str) -> String {
    let id = payments::WithdrawalId::parse(id).unwrap();
    let stored = w.store.get_withdrawal(&id).await.unwrap().unwrap();
    stored.status.as_str().to_string()
}

#[tokio::test]
async fn processed_withdrawal_releases_the_hold_once() {
    let w = World::start().await;
    w.fund("u1", "1000", "INR", "upi_l").await;
    let r = withdrawals::submit(&w.deps, &label("u1"), "k-1", imps("400"))
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.body.status, "submitted");
    assert_eq!(r.body.amount, "400.00");
    assert_eq!(r.body.id, r.body.withdrawal_id);
    assert_eq!(w.balance("u1", "INR").await, (d("600.00"), d("400.00")));

    // The gateway got our id and the nested fields we mapped.
    let at_gateway = w.sandbox_withdrawal(&r.body.withdrawal_id).await.unwrap();
    assert!(
        at_gateway.to_string().contains("SBIN0001234"),
        "{at_gateway}"
    );

    let (s, _) = w
        .control(
            &format!("withdrawals/{}/process", r.body.withdrawal_id),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let id = r.body.id.clone();
    w.wait_for(|| async { status_of(&w, &id).await == "processed" })
        .await;
    assert_eq!(w.balance("u1", "INR").await, (d("600.00"), d("0.00")));
    w.assert_books("u1", "INR").await;

    // The same postback again (the gateway retries): recorded, nothing changes.
    let sent = w.sandbox.postback_texts();
    let outgoing = sent
        .iter()
        .find(|t| t.contains("outgoing") && t.contains(&id))
        .unwrap()
        .clone();
    let res = w
        .http
        .post(&w.webhook_url)
        .body(outgoing)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(w.balance("u1", "INR").await, (d("600.00"), d("0.00")));
    w.assert_books("u1", "INR").await;
}

#[tokio::test]
async fn rejected_by_postback_is_refunded_once_and_a_late_processed_changes_nothing() {
    let w = World::start().await;
    w.fund("u2", "1000", "INR", "upi_l").await;
    let r = withdrawals::submit(&w.deps, &label("u2"), "k-2", imps("250"))
        .await
        .unwrap();
    let id = r.body.id.clone();
    w.control(&format!("withdrawals/{id}/reject"), None).await;
    w.wait_for(|| async { status_of(&w, &id).await == "rejected" })
        .await;
    assert_eq!(w.balance("u2", "INR").await, (d("1000.00"), d("0.00")));
    w.assert_books("u2", "INR").await;

    // A contradicting late "processed" for the refunded withdrawal: recorded, nothing changes.
    let rejected = w
        .sandbox
        .postback_texts()
        .into_iter()
        .find(|t| t.contains(&id))
        .unwrap();
    let late: serde_json::Value = serde_json::from_str(&rejected).unwrap();
    let mut p = paykassma::postback::Postback::from_php(
        &paykassma::php::parse(late.to_string().as_bytes()).unwrap(),
    )
    .unwrap();
    p.additional_data[0].withdrawal_status = Some(paykassma::postback::PayoutStatus::Processed);
    let out = withdrawals::apply_outgoing(&w.deps, &p, "late")
        .await
        .unwrap();
    assert!(matches!(
        out.items[0].effect,
        withdrawals::OutgoingEffect::Late {
            status: WithdrawalStatus::Rejected
        }
    ));
    assert!(!out.changed_anything());
    assert_eq!(w.balance("u2", "INR").await, (d("1000.00"), d("0.00")));
    let kept = w.store.get_postback(&format!("out:{id}:1")).await.unwrap();
    assert!(kept.is_some(), "the late status is recorded");
    // ... and held for a person, who can only acknowledge it as it settled.
    let queue = withdrawals::attention::list(&w.deps, 10, None)
        .await
        .unwrap();
    assert_eq!(queue.items.len(), 1, "{queue:?}");
    assert_eq!(queue.items[0].reason, "contradicted");
    assert!(
        queue.items[0].observations[0].contains("withdrawal_status 1"),
        "{queue:?}"
    );
    let admin = service::http::Admin("arn:aws:iam::123456789012:role/ops".into());
    let resolve = |outcome: &str| withdrawals::attention::ResolveWithdrawal {
        outcome: outcome.into(),
        note: "checked with the gateway".into(),
    };
    let wrong = withdrawals::attention::resolve(&w.deps, &admin, &id, resolve("paid")).await;
    assert_eq!(wrong.unwrap_err().code(), "conflict");
    let ack = withdrawals::attention::resolve(&w.deps, &admin, &id, resolve("refund"))
        .await
        .unwrap();
    assert_eq!(ack.status, "acknowledged");
    assert_eq!(w.balance("u2", "INR").await, (d("1000.00"), d("0.00")));
    w.assert_books("u2", "INR").await;
}

#[tokio::test]
async fn gateway_insufficient_balance_rejects_and_refunds_with_its_message() {
    let w = World::start().await;
    w.fund("u3", "1000", "INR", "upi_l").await;
    let (s, _) = w
        .control(
            "balances",
            Some(
                serde_json::json!([{"wallet_type":"upi_l","currency_code":"INR","amount":"10.00"}]),
            ),
        )
        .await;
    assert!(s < 300);
    let r = withdrawals::submit(&w.deps, &label("u3"), "k-3", imps("500"))
        .await
        .unwrap();
    assert_eq!(r.body.status, "rejected");
    assert!(
        r.body
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Insufficient balance"),
        "{:?}",
        r.body.message
    );
    assert_eq!(w.balance("u3", "INR").await, (d("1000.00"), d("0.00")));
    w.assert_books("u3", "INR").await;
}

#[tokio::test]
async fn our_insufficient_balance_is_422_and_changes_nothing() {
    let w = World::start().await;
    w.fund("u4", "100", "INR", "upi_l").await;
    let e = withdrawals::submit(&w.deps, &label("u4"), "k-4", imps("101"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422);
    assert_eq!(e.code(), "insufficient_funds");
    assert_eq!(w.balance("u4", "INR").await, (d("100.00"), d("0.00")));
    w.assert_books("u4", "INR").await;
}

#[tokio::test]
async fn retries_with_the_same_key_never_debit_or_send_twice() {
    let w = World::start().await;
    w.fund("u5", "1000", "INR", "upi_l").await;
    let first = withdrawals::submit(&w.deps, &label("u5"), "same", imps("300"))
        .await
        .unwrap();
    let again = withdrawals::submit(&w.deps, &label("u5"), "same", imps("300"))
        .await
        .unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(first.body, again.body);
    assert_eq!(w.balance("u5", "INR").await, (d("700.00"), d("300.00")));

    let other = withdrawals::submit(&w.deps, &label("u5"), "same", imps("301"))
        .await
        .unwrap_err();
    assert_eq!(other.code(), "idempotency_key_reused");

    // Concurrent duplicates: one debit, one gateway withdrawal.
    let u5 = label("u5");
    let (a, b) = tokio::join!(
        withdrawals::submit(&w.deps, &u5, "race", imps("100")),
        withdrawals::submit(&w.deps, &u5, "race", imps("100")),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.body.id, b.body.id);
    assert_eq!(w.balance("u5", "INR").await, (d("600.00"), d("400.00")));
    w.assert_books("u5", "INR").await;
}

#[tokio::test]
async fn a_timeout_leaves_it_unknown_without_refund() {
    let w = World::start().await;
    w.fund("u6", "1000", "INR", "upi_l").await;
    w.fault("/v2/withdrawal/create", "drop_after").await;
    let r = withdrawals::submit(&w.deps, &label("u6"), "k-6", imps("200"))
        .await
        .unwrap();
    assert_eq!(r.body.status, "unknown");
    assert_eq!(w.balance("u6", "INR").await, (d("800.00"), d("200.00")));
    // The gateway did take it.
    assert!(w.sandbox_withdrawal(&r.body.id).await.is_some());
    w.assert_books("u6", "INR").await;
}

#[tokio::test]
async fn get_shows_only_the_owners_withdrawal() {
    let w = World::start().await;
    w.fund("u7", "1000", "INR", "upi_l").await;
    let r = withdrawals::submit(&w.deps, &label("u7"), "k-7", imps("100"))
        .await
        .unwrap();
    let mine = withdrawals::get(&w.deps, &label("u7"), &r.body.id)
        .await
        .unwrap();
    assert_eq!(mine.status, "submitted");
    for (who, id) in [
        ("u8", r.body.id.as_str()),
        ("u7", "w-nope"),
        ("u7", "bad id!"),
    ] {
        let e = withdrawals::get(&w.deps, &label(who), id)
            .await
            .unwrap_err();
        assert!(matches!(e, ApiError::NotFound(_)), "{who} {id}: {e:?}");
    }
}

#[tokio::test]
async fn invalid_bodies_change_nothing() {
    let w = World::start().await;
    w.fund("u9", "1000", "INR", "upi_l").await;
    let body: WithdrawalBody = service::http::parse_json(
        br#"{"payment_system":"imps","amount":"100","currency":"INR","account_number":"1"}"#,
    )
    .unwrap();
    let e = withdrawals::submit(&w.deps, &label("u9"), "k-9", body)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400);
    assert_eq!(w.balance("u9", "INR").await, (d("1000.00"), d("0.00")));
}
