//! One read per postback (issue 17): a deposit postback for one of our orders costs one
//! BatchGetItem (the deposit, which names the owner and plans the credit, and whether the
//! payment is booked or kept unbooked already) and one TransactWriteItems, counted on the wire
//! against DynamoDB Local. A repeat costs the read alone; a deposit that moved between the
//! read and the write is read again and planned anew, never credited wrongly.

use std::sync::Arc;

use aws_adapters::dynamo::requests::RequestCounter;
use paykassma::php::PhpValue;
use paykassma::signature::{Scheme, sign_postback_body};
use payments::store::prelude::*;
use payments::store::{DepositUpdate, NewDeposit};
use payments::{Currency, DepositId, DepositStatus, Label, Money, Store};
use rust_decimal::Decimal;
use testkit::gateway::{keys, offline_deps};

fn body(order: &str, tx: &str, amount: &str) -> String {
    let entry = PhpValue::Map(vec![
        ("amount".into(), PhpValue::string(amount)),
        ("currency_code".into(), PhpValue::string("INR")),
        ("wallet_type".into(), PhpValue::string("upi_l")),
        ("transaction_id".into(), PhpValue::string(tx)),
        ("plugin_custom_order_id".into(), PhpValue::string(order)),
    ]);
    let fields = vec![
        ("wallet_type".into(), PhpValue::string("upi_l")),
        ("amount".into(), PhpValue::string(amount)),
        ("currency_code".into(), PhpValue::string("INR")),
        ("label".into(), PhpValue::string("bob")),
        ("direction".into(), PhpValue::string("ingoing")),
        ("access_key".into(), PhpValue::string("access-1")),
        ("additional_data".into(), PhpValue::List(vec![entry])),
    ];
    sign_postback_body(&keys(), Scheme::Postback, &PhpValue::Map(fields)).unwrap()
}

fn inr(amount: i64) -> Money {
    Money::new(Decimal::from(amount), Currency::parse("INR").unwrap()).unwrap()
}

async fn new_deposit(store: &dyn Store, id: &str, label: &Label) {
    store
        .create_deposit(NewDeposit {
            id: DepositId::parse(id).unwrap(),
            label: label.clone(),
            currency: Currency::parse("INR").unwrap(),
            amount: Some(inr(250)),
            wallet_type: "upi_l".into(),
            details: Default::default(),
            created_at: time::OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
}

fn delta(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
) -> Vec<(String, u64)> {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[tokio::test]
async fn a_deposit_postback_costs_one_read_and_one_transaction() {
    let counter = RequestCounter::default();
    let store: Arc<dyn Store> =
        Arc::new(testkit::stores::dynamo_store_counted(Some(counter.clone())).await);
    let deps = offline_deps().store(store.clone()).build();
    let bob = Label::parse("bob").unwrap();
    new_deposit(&*store, "dep-req-1", &bob).await;

    let before = counter.snapshot();
    service::postbacks::receive(&deps, body("dep-req-1", "TX-1", "250.00").as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(
        delta(&before, &counter.snapshot()),
        [
            ("BatchGetItem".to_string(), 1),
            ("TransactWriteItems".to_string(), 1)
        ]
    );
    let d = store
        .get_deposit(&DepositId::parse("dep-req-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status, DepositStatus::Credited);

    // The same postback again: the read finds it booked, and nothing is written.
    let before = counter.snapshot();
    service::postbacks::receive(&deps, body("dep-req-1", "TX-1", "250.00").as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(
        delta(&before, &counter.snapshot()),
        [("BatchGetItem".to_string(), 1)]
    );
    let balance = store.get_balances(&bob).await.unwrap();
    assert_eq!(balance[0].available, Decimal::from(250));
}

/// The read the service made is stale by the time the store writes: the deposit was rejected
/// in between. The transaction's status guard refuses the plan, the store reads again, and
/// the payment is credited to the owner without moving the rejected deposit.
#[tokio::test]
async fn a_deposit_that_moved_after_the_read_is_planned_anew() {
    use payments::store::{DepositCredit, DepositEffect, DepositRead, UntouchedReason};
    let store = testkit::stores::dynamo_store().await;
    let bob = Label::parse("bob").unwrap();
    new_deposit(&store, "dep-race-1", &bob).await;
    let id = DepositId::parse("dep-race-1").unwrap();
    let seen = store.get_deposit(&id).await.unwrap().unwrap();
    store
        .update_deposit_status(
            &id,
            DepositStatus::Pending,
            DepositStatus::Rejected,
            DepositUpdate::default(),
        )
        .await
        .unwrap();
    let credit = |key: &str, read| DepositCredit {
        dedupe_key: key.into(),
        label: bob.clone(),
        money: inr(250),
        deposit_id: Some(id.clone()),
        wallet_type: None,
        raw_body: "{}".into(),
        received_at: time::OffsetDateTime::now_utc(),
        read,
    };
    let outcome = store
        .apply_deposit_postback(credit("in:tx:R1", DepositRead::Read(Some(Box::new(seen)))))
        .await
        .unwrap();
    let payments::store::CreditOutcome::Credited { deposit, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        deposit,
        DepositEffect::Untouched {
            id: id.clone(),
            reason: UntouchedReason::Final(DepositStatus::Rejected)
        }
    );
    assert_eq!(
        store.get_deposit(&id).await.unwrap().unwrap().status,
        DepositStatus::Rejected
    );

    // Read as absent, but created before the write: the existence check refuses the plan, and
    // the payment lands on the deposit that now exists.
    let late = DepositId::parse("dep-race-2").unwrap();
    new_deposit(&store, "dep-race-2", &bob).await;
    let outcome = store
        .apply_deposit_postback(DepositCredit {
            deposit_id: Some(late.clone()),
            ..credit("in:tx:R2", DepositRead::Read(None))
        })
        .await
        .unwrap();
    let payments::store::CreditOutcome::Credited { deposit, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        matches!(
            deposit,
            DepositEffect::Updated {
                to: DepositStatus::Credited,
                ..
            }
        ),
        "{deposit:?}"
    );
    assert_eq!(
        store.get_deposit(&late).await.unwrap().unwrap().status,
        DepositStatus::Credited
    );
}
