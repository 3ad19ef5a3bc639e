//! The books check every money test ends with, read from the store: for each label and
//! currency the ledger sums to `available` to the cent, neither `available` nor `held` is
//! negative, and `held` is the sum of the label's open withdrawals.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use payments::store::{LedgerEntry, PageRequest};
use payments::{Label, Store};
use rust_decimal::Decimal;
use time::OffsetDateTime;

/// The labels a test touched; [`Books::assert_balanced`] checks every one of them.
#[derive(Default)]
pub struct Books {
    labels: Mutex<BTreeSet<Label>>,
}

impl Books {
    /// The label `name`, remembered for the final check.
    pub fn label(&self, name: &str) -> Label {
        let l = Label::parse(name).unwrap_or_else(|e| panic!("label {name:?}: {e}"));
        self.labels.lock().expect("labels").insert(l.clone());
        l
    }

    /// [`assert_ledger_is_balance`] and [`assert_held_is_open`] for every label touched.
    pub async fn assert_balanced(&self, store: &dyn Store) {
        let labels: Vec<Label> = self
            .labels
            .lock()
            .expect("labels")
            .iter()
            .cloned()
            .collect();
        for label in &labels {
            assert_ledger_is_balance(store, label).await;
        }
        assert_held_is_open(store, &labels).await;
    }
}

/// Every ledger entry of `label`, newest first (all pages).
pub async fn ledger(store: &dyn Store, label: &Label) -> Vec<LedgerEntry> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_ledger(label, PageRequest { limit: 100, cursor })
            .await
            .expect("list the ledger");
        out.extend(page.items);
        cursor = page.next;
        if cursor.is_none() {
            return out;
        }
    }
}

/// Asserts that `label`'s ledger sums to its `available` balance in every currency, that no
/// ledger currency lacks a balance, that no balance is negative or finer than its currency;
/// returns `available` per currency code.
pub async fn assert_ledger_is_balance(
    store: &dyn Store,
    label: &Label,
) -> BTreeMap<String, Decimal> {
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for e in ledger(store, label).await {
        assert_eq!(&e.label, label, "a ledger entry of another label: {e:?}");
        *sums.entry(e.currency.code().to_string()).or_default() += e.amount;
    }
    let mut available = BTreeMap::new();
    for b in store.get_balances(label).await.expect("balances") {
        let code = b.currency.code().to_string();
        let sum = sums.get(&code).copied().unwrap_or_default();
        assert_eq!(
            sum, b.available,
            "{label} {code}: the ledger sums to {sum}, the balance says {}",
            b.available
        );
        assert!(
            b.available >= Decimal::ZERO,
            "{label} {code}: available negative"
        );
        assert!(b.held >= Decimal::ZERO, "{label} {code}: held negative");
        let scale = b.currency.scale().max(2);
        assert!(
            b.available.scale() <= scale && b.held.scale() <= scale,
            "{label} {code}: finer than the currency: {b:?}"
        );
        available.insert(code, b.available);
    }
    for code in sums.keys() {
        assert!(
            available.contains_key(code),
            "{label}: ledger entries in {code} without a balance"
        );
    }
    available
}

/// Asserts that each label's `held` equals the sum of its open withdrawals, per currency.
pub async fn assert_held_is_open(store: &dyn Store, labels: &[Label]) {
    // Every open withdrawal, however far its next check lies.
    let horizon = OffsetDateTime::now_utc() + time::Duration::days(3650);
    let mut open: BTreeMap<(Label, String), Decimal> = BTreeMap::new();
    for shard in store.open_shards().all() {
        let mut cursor = None;
        loop {
            let page = store
                .list_open_withdrawals(shard, horizon, PageRequest { limit: 100, cursor })
                .await
                .expect("list open withdrawals");
            for w in page.items {
                *open
                    .entry((w.label.clone(), w.money.currency().code().to_string()))
                    .or_default() += w.money.amount();
            }
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
    }
    for label in labels {
        for b in store.get_balances(label).await.expect("balances") {
            let code = b.currency.code().to_string();
            let want = open
                .remove(&(label.clone(), code.clone()))
                .unwrap_or_default();
            assert_eq!(b.held, want, "{label} {code}: held vs open withdrawals");
        }
        let stray: Vec<_> = open.keys().filter(|(l, _)| l == label).cloned().collect();
        assert!(
            stray.is_empty(),
            "{label}: open withdrawals without a balance: {stray:?}"
        );
    }
}
