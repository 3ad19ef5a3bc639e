//! In-memory [`Store`](super::Store): the local quickstart's default and the fast half of the
//! contract tests. One mutex over plain maps; every verb checks all its conditions before
//! changing anything, which gives the same all-or-nothing behaviour as a DynamoDB transaction.
//! The verbs live beside their aggregate (`deposits.rs`, `withdrawals.rs`, ...).

mod accounts;
mod attention;
mod config;
mod deposits;
mod idempotency;
mod postbacks;
mod unbooked;
mod withdrawals;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::keys::{self, HistoryPosition, HistoryScope, trunc_micros};
use super::{
    Deposit, IdempotencyRecord, LedgerEntry, MethodSwitch, Page, PageRequest, PayoutSwitch,
    PostbackRecord, StoreError, UnbookedPostback, Withdrawal, WithdrawalAttention,
};
use crate::clock::{Clock, SystemClock};
use crate::ids::{DepositId, Label, WithdrawalId};
use crate::money::Currency;

#[derive(Default)]
struct State {
    deposits: HashMap<DepositId, Deposit>,
    withdrawals: HashMap<WithdrawalId, Withdrawal>,
    postbacks: HashMap<String, PostbackRecord>,
    /// (label, currency code) -> (available, held)
    balances: BTreeMap<(Label, &'static str), (Currency, Decimal, Decimal)>,
    /// label -> ledger sort key -> entry
    ledger: HashMap<Label, BTreeMap<String, LedgerEntry>>,
    idempotency: HashMap<(String, String), IdempotencyRecord>,
    methods: BTreeMap<String, MethodSwitch>,
    payouts: BTreeMap<String, PayoutSwitch>,
    cache: HashMap<String, (String, OffsetDateTime)>,
    unbooked: HashMap<String, UnbookedPostback>,
    attention: HashMap<WithdrawalId, WithdrawalAttention>,
}

pub struct MemoryStore {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    /// The open-work shards its listings answer by, as the DynamoDB adapter's index has them.
    open_shards: keys::OpenShards,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose records are stamped (and whose expiries are judged) by `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            clock,
            open_shards: keys::OpenShards::DEFAULT,
        }
    }

    /// The store with `shards` open-work shards.
    pub fn with_open_shards(mut self, shards: keys::OpenShards) -> Self {
        self.open_shards = shards;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied verb: each verb mutates
        // only after all checks passed. So a poisoned lock's data is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Now, as records keep it.
    fn now(&self) -> OffsetDateTime {
        trunc_micros(self.clock.now())
    }
}

impl State {
    fn add_entry(&mut self, entry: &LedgerEntry) {
        let sk = keys::ledger_sk(entry.created_at, &entry.id);
        self.ledger
            .entry(entry.label.clone())
            .or_default()
            .insert(sk, entry.clone());
    }

    fn balance_mut(
        &mut self,
        label: &Label,
        currency: Currency,
    ) -> &mut (Currency, Decimal, Decimal) {
        self.balances
            .entry((label.clone(), currency.code()))
            .or_insert((currency, Decimal::ZERO, Decimal::ZERO))
    }

    fn available(&self, label: &Label, currency: Currency) -> Option<Decimal> {
        self.balances
            .get(&(label.clone(), currency.code()))
            .map(|b| b.1)
    }
}

fn page_of<T: Clone>(
    sorted: impl Iterator<Item = (String, T)>,
    page: &PageRequest,
    after: impl Fn(&str) -> bool,
) -> Result<Page<T>, StoreError> {
    let limit = keys::check_limit(page.limit)? as usize;
    let mut items: Vec<(String, T)> = sorted.filter(|(k, _)| after(k)).take(limit + 1).collect();
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|(k, _)| keys::encode_cursor(k))
    } else {
        None
    };
    Ok(Page {
        items: items.into_iter().map(|(_, v)| v).collect(),
        next,
    })
}

/// One page of open (non-terminal) records created before `older_than`, oldest first, keyed
/// like the DynamoDB adapter's sparse index so cursors mean the same on both.
fn open_page<T: Clone>(
    records: impl Iterator<Item = (OffsetDateTime, String, bool, T)>,
    older_than: OffsetDateTime,
    page: &PageRequest,
) -> Result<Page<T>, StoreError> {
    let after = page
        .cursor
        .as_deref()
        .map(|c| keys::decode_cursor(c, ""))
        .transpose()?;
    let limit_sk = keys::sort_time(older_than);
    let mut open: Vec<(String, T)> = records
        .filter(|(_, _, terminal, _)| !terminal)
        .map(|(created_at, id, _, r)| (keys::open_sk(created_at, &id), r))
        .filter(|(k, _)| *k < limit_sk)
        .collect();
    open.sort_by(|a, b| a.0.cmp(&b.0));
    page_of(open.into_iter(), page, |k| {
        after.as_deref().is_none_or(|a| k > a)
    })
}

/// One page of a user's history (the caller picked the user's records of the list and filter),
/// newest first by (creation time, id): the order and the cursors of the DynamoDB adapter.
fn history_page<T>(
    records: impl Iterator<Item = (OffsetDateTime, String, T)>,
    scope: &HistoryScope<'_>,
    page: &PageRequest,
) -> Result<Page<T>, StoreError> {
    let limit = keys::check_limit(page.limit)? as usize;
    let after = page
        .cursor
        .as_deref()
        .map(|c| keys::decode_history_cursor(c, scope))
        .transpose()?;
    let key = |p: &HistoryPosition| (p.created_at.clone(), p.id.clone());
    let mut rows: Vec<(HistoryPosition, T)> = records
        .map(|(at, id, r)| {
            let created_at = keys::sort_time(at);
            (HistoryPosition { created_at, id }, r)
        })
        .filter(|(p, _)| after.as_ref().is_none_or(|a| key(p) < key(a)))
        .collect();
    rows.sort_by_key(|(p, _)| std::cmp::Reverse(key(p)));
    rows.truncate(limit + 1);
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|(p, _)| keys::encode_history_cursor(scope, p))
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(|(_, r)| r).collect(),
        next,
    })
}

/// A status guard failed: the record is missing or in another state.
fn conflict(what: &'static str, id: &str, expected: &str, actual: Option<&str>) -> StoreError {
    match actual {
        None => StoreError::NotFound {
            what,
            id: id.to_string(),
        },
        Some(actual) => StoreError::StateConflict {
            what,
            id: id.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        },
    }
}
