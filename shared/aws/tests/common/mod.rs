//! Test support: the two adapters (a fresh DynamoDB Local table per test) and the books check
//! every contract test ends with.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use aws_adapters::dynamo::{DynamoStore, table};
use payments::store::memory::MemoryStore;
use payments::store::{DepositCredit, NewDeposit, NewWithdrawal, PageRequest};
use payments::{Currency, DepositId, Label, Money, Store, WithdrawalId};
use rust_decimal::Decimal;
use time::OffsetDateTime;

pub fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

/// The DynamoDB Local endpoint; a clear failure (not a silent pass) when it is not set.
pub fn dynamodb_endpoint() -> String {
    match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "DYNAMODB_ENDPOINT is not set: the DynamoDB contract tests need DynamoDB Local. \
             Run them with infra/scripts/test.sh (it installs and starts DynamoDB Local), or \
             `source infra/scripts/services.sh && ensure_all && start_services` first."
        ),
    }
}

/// A store on a table of its own, so tests run in parallel.
pub async fn dynamo_store() -> DynamoStore {
    let endpoint = dynamodb_endpoint();
    let client = DynamoStore::client(Some(&endpoint)).await;
    let name = format!("payments-test-{}", uuid::Uuid::new_v4().simple());
    let created = table::create_table_if_missing(&client, &name)
        .await
        .expect("create test table");
    assert!(created);
    DynamoStore::new(client, name)
}

pub async fn dynamo() -> Arc<dyn Store> {
    Arc::new(dynamo_store().await)
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn money(amount: &str, cur: &str) -> Money {
    Money::parse(amount, cur).unwrap()
}

pub fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

/// Labels a test touched; at the end every one's books must balance.
#[derive(Default)]
pub struct Books {
    labels: Mutex<BTreeSet<Label>>,
}

impl Books {
    pub fn label(&self, name: &str) -> Label {
        let l = Label::parse(name).unwrap();
        self.labels.lock().unwrap().insert(l.clone());
        l
    }

    /// For every label and currency: the ledger sums to `available` to the cent, `held` is the
    /// sum of the label's open withdrawals, and neither is negative.
    pub async fn assert_balanced(&self, store: &dyn Store) {
        let labels: Vec<Label> = self.labels.lock().unwrap().iter().cloned().collect();
        let far = OffsetDateTime::now_utc() + time::Duration::days(3650);
        let mut open_held: BTreeMap<(Label, &str), Decimal> = BTreeMap::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_open_withdrawals(far, PageRequest { limit: 100, cursor })
                .await
                .unwrap();
            for w in page.items {
                *open_held
                    .entry((w.label.clone(), w.money.currency().code()))
                    .or_default() += w.money.amount();
            }
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        for label in labels {
            let mut sums: BTreeMap<&str, Decimal> = BTreeMap::new();
            let mut cursor = None;
            loop {
                let page = store
                    .list_ledger(&label, PageRequest { limit: 50, cursor })
                    .await
                    .unwrap();
                for e in page.items {
                    assert_eq!(e.label, label);
                    *sums.entry(e.currency.code()).or_default() += e.amount;
                }
                cursor = page.next;
                if cursor.is_none() {
                    break;
                }
            }
            let balances = store.get_balances(&label).await.unwrap();
            for b in &balances {
                let code = b.currency.code();
                let ledger = sums.remove(code).unwrap_or_default();
                assert_eq!(
                    b.available, ledger,
                    "{label} {code}: available vs ledger sum"
                );
                assert!(
                    b.available >= Decimal::ZERO,
                    "{label} {code}: available negative"
                );
                assert!(b.held >= Decimal::ZERO, "{label} {code}: held negative");
                let held = open_held
                    .get(&(label.clone(), code))
                    .copied()
                    .unwrap_or_default();
                assert_eq!(b.held, held, "{label} {code}: held vs open withdrawals");
                assert!(
                    b.available.scale() <= b.currency.scale().max(2)
                        && b.held.scale() <= b.currency.scale().max(2)
                );
            }
            assert!(
                sums.values().all(|v| v.is_zero()),
                "{label}: ledger entries without a balance: {sums:?}"
            );
        }
    }
}

pub fn new_deposit(label: &Label, amount: Option<&str>, currency: &str) -> NewDeposit {
    NewDeposit {
        id: DepositId::generate(),
        label: label.clone(),
        currency: cur(currency),
        amount: amount.map(|a| money(a, currency)),
        wallet_type: "upi_l".into(),
        details: BTreeMap::from([("identifier".to_string(), "test@upi".to_string())]),
        created_at: OffsetDateTime::now_utc(),
    }
}

pub fn credit(
    key: &str,
    label: &Label,
    amount: &str,
    currency: &str,
    deposit: Option<&DepositId>,
) -> DepositCredit {
    DepositCredit {
        dedupe_key: key.to_string(),
        label: label.clone(),
        money: money(amount, currency),
        deposit_id: deposit.cloned(),
        wallet_type: Some("upi_l".into()),
        raw_body: format!(
            r#"{{"label":"{label}","amount":"{amount}","currency_code":"{currency}"}}"#
        ),
        received_at: OffsetDateTime::now_utc(),
    }
}

pub fn new_withdrawal(label: &Label, amount: &str, currency: &str) -> NewWithdrawal {
    NewWithdrawal {
        id: WithdrawalId::generate(),
        label: label.clone(),
        money: money(amount, currency),
        payment_system: "imps".into(),
        details: BTreeMap::from([("account_number".to_string(), "1234567890".to_string())]),
        created_at: OffsetDateTime::now_utc(),
    }
}
