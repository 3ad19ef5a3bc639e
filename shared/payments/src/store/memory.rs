//! In-memory [`Store`]: the local quickstart's default and the fast half of the contract tests.
//! One mutex over plain maps; every verb checks all its conditions before changing anything,
//! which gives the same all-or-nothing behaviour as a DynamoDB transaction.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::keys::{self, trunc_micros};
use super::*;
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
    cache: HashMap<String, (String, OffsetDateTime)>,
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied verb: each verb mutates
        // only after all checks passed. So a poisoned lock's data is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now() -> OffsetDateTime {
    trunc_micros(OffsetDateTime::now_utc())
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

#[async_trait]
impl Store for MemoryStore {
    async fn create_deposit(&self, d: NewDeposit) -> Result<Deposit, StoreError> {
        validate_new_deposit(&d)?;
        let mut st = self.lock();
        if st.deposits.contains_key(&d.id) {
            return Err(StoreError::AlreadyExists {
                what: "deposit",
                id: d.id.to_string(),
            });
        }
        let created_at = trunc_micros(d.created_at);
        let dep = Deposit {
            id: d.id,
            label: d.label,
            currency: d.currency,
            amount: d.amount,
            wallet_type: d.wallet_type,
            details: d.details,
            status: DepositStatus::Pending,
            credited: None,
            postback_key: None,
            activation_key: None,
            message: None,
            created_at,
            updated_at: created_at,
        };
        st.deposits.insert(dep.id.clone(), dep.clone());
        Ok(dep)
    }

    async fn get_deposit(&self, id: &DepositId) -> Result<Option<Deposit>, StoreError> {
        Ok(self.lock().deposits.get(id).cloned())
    }

    async fn update_deposit_status(
        &self,
        id: &DepositId,
        from: DepositStatus,
        to: DepositStatus,
        update: DepositUpdate,
    ) -> Result<Deposit, StoreError> {
        check_deposit_move(from, to)?;
        let mut st = self.lock();
        let d = st
            .deposits
            .get_mut(id)
            .ok_or_else(|| StoreError::NotFound {
                what: "deposit",
                id: id.to_string(),
            })?;
        if d.status != from {
            return Err(StoreError::StateConflict {
                what: "deposit",
                id: id.to_string(),
                expected: from.to_string(),
                actual: d.status.to_string(),
            });
        }
        d.status = to;
        if update.activation_key.is_some() {
            d.activation_key = update.activation_key;
        }
        if update.message.is_some() {
            d.message = update.message;
        }
        d.updated_at = now();
        Ok(d.clone())
    }

    async fn apply_deposit_postback(
        &self,
        credit: DepositCredit,
    ) -> Result<CreditOutcome, StoreError> {
        validate_postback(&credit.dedupe_key, &credit.raw_body)?;
        let mut st = self.lock();
        if st.postbacks.contains_key(&credit.dedupe_key) {
            return Ok(CreditOutcome::AlreadyApplied);
        }
        let deposit = credit
            .deposit_id
            .as_ref()
            .and_then(|id| st.deposits.get(id));
        let plan = credit_effect(deposit, &credit);
        let at = now();
        let entry = LedgerEntry {
            id: new_entry_id(),
            label: credit.label.clone(),
            currency: credit.money.currency(),
            amount: credit.money.amount(),
            kind: EntryKind::DepositCredit,
            reference: credit
                .deposit_id
                .as_ref()
                .map_or_else(|| credit.dedupe_key.clone(), |d| d.to_string()),
            created_at: at,
        };
        st.postbacks.insert(
            credit.dedupe_key.clone(),
            PostbackRecord {
                dedupe_key: credit.dedupe_key.clone(),
                kind: PostbackKind::Deposit,
                label: Some(credit.label.clone()),
                raw_body: credit.raw_body.clone(),
                received_at: trunc_micros(credit.received_at),
            },
        );
        st.balance_mut(&credit.label, credit.money.currency()).1 += credit.money.amount();
        st.add_entry(&entry);
        if let Plan::Move { id, to, .. } = &plan
            && let Some(d) = st.deposits.get_mut(id)
        {
            d.status = *to;
            d.credited = Some(credit.money);
            d.postback_key = Some(credit.dedupe_key.clone());
            d.updated_at = at;
        }
        Ok(CreditOutcome::Credited {
            entry,
            deposit: plan.effect(),
        })
    }

    async fn list_open_deposits(
        &self,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError> {
        let st = self.lock();
        let records = st.deposits.values().map(|d| {
            (
                d.created_at,
                d.id.as_str().to_string(),
                d.status.is_terminal(),
                d.clone(),
            )
        });
        open_page(records, older_than, &page)
    }

    async fn create_withdrawal_with_debit(
        &self,
        w: NewWithdrawal,
    ) -> Result<Withdrawal, StoreError> {
        let mut st = self.lock();
        if st.withdrawals.contains_key(&w.id) {
            return Err(StoreError::AlreadyExists {
                what: "withdrawal",
                id: w.id.to_string(),
            });
        }
        let amount = w.money.amount();
        if st
            .available(&w.label, w.money.currency())
            .is_none_or(|a| a < amount)
        {
            return Err(StoreError::InsufficientFunds);
        }
        let created_at = trunc_micros(w.created_at);
        let wd = Withdrawal {
            id: w.id,
            label: w.label,
            money: w.money,
            payment_system: w.payment_system,
            details: w.details,
            status: WithdrawalStatus::Pending,
            message: None,
            created_at,
            updated_at: created_at,
        };
        let entry = LedgerEntry {
            id: new_entry_id(),
            label: wd.label.clone(),
            currency: wd.money.currency(),
            amount: -amount,
            kind: EntryKind::WithdrawalDebit,
            reference: wd.id.to_string(),
            created_at: now(),
        };
        let bal = st.balance_mut(&wd.label, wd.money.currency());
        bal.1 -= amount;
        bal.2 += amount;
        st.add_entry(&entry);
        st.withdrawals.insert(wd.id.clone(), wd.clone());
        Ok(wd)
    }

    async fn get_withdrawal(&self, id: &WithdrawalId) -> Result<Option<Withdrawal>, StoreError> {
        Ok(self.lock().withdrawals.get(id).cloned())
    }

    async fn mark_withdrawal(
        &self,
        id: &WithdrawalId,
        from: WithdrawalStatus,
        to: WithdrawalStatus,
        gateway_message: Option<String>,
    ) -> Result<Withdrawal, StoreError> {
        check_withdrawal_mark(from, to)?;
        let mut st = self.lock();
        let w = st
            .withdrawals
            .get_mut(id)
            .ok_or_else(|| StoreError::NotFound {
                what: "withdrawal",
                id: id.to_string(),
            })?;
        if w.status != from {
            return Err(StoreError::StateConflict {
                what: "withdrawal",
                id: id.to_string(),
                expected: from.to_string(),
                actual: w.status.to_string(),
            });
        }
        w.status = to;
        if gateway_message.is_some() {
            w.message = gateway_message;
        }
        w.updated_at = now();
        Ok(w.clone())
    }

    async fn finish_withdrawal(&self, id: &WithdrawalId) -> Result<SettleOutcome, StoreError> {
        settle(&mut self.lock(), id, WithdrawalStatus::Processed, None)
    }

    async fn refund_withdrawal(
        &self,
        id: &WithdrawalId,
        reason: &str,
    ) -> Result<SettleOutcome, StoreError> {
        settle(
            &mut self.lock(),
            id,
            WithdrawalStatus::Rejected,
            Some(reason),
        )
    }

    async fn list_open_withdrawals(
        &self,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError> {
        let st = self.lock();
        let records = st.withdrawals.values().map(|w| {
            (
                w.created_at,
                w.id.as_str().to_string(),
                w.status.is_terminal(),
                w.clone(),
            )
        });
        open_page(records, older_than, &page)
    }

    async fn record_postback(&self, record: PostbackRecord) -> Result<bool, StoreError> {
        validate_postback(&record.dedupe_key, &record.raw_body)?;
        let mut st = self.lock();
        if st.postbacks.contains_key(&record.dedupe_key) {
            return Ok(false);
        }
        let record = PostbackRecord {
            received_at: trunc_micros(record.received_at),
            ..record
        };
        st.postbacks.insert(record.dedupe_key.clone(), record);
        Ok(true)
    }

    async fn get_postback(&self, dedupe_key: &str) -> Result<Option<PostbackRecord>, StoreError> {
        Ok(self.lock().postbacks.get(dedupe_key).cloned())
    }

    async fn put_idempotency(
        &self,
        record: IdempotencyRecord,
    ) -> Result<IdempotencyPut, StoreError> {
        check_key("idempotency scope", &record.scope)?;
        check_key("idempotency key", &record.key)?;
        let mut st = self.lock();
        let k = (record.scope.clone(), record.key.clone());
        if let Some(existing) = st.idempotency.get(&k)
            && existing.expires_at > OffsetDateTime::now_utc()
        {
            return Ok(IdempotencyPut::Existing(existing.clone()));
        }
        let record = IdempotencyRecord {
            created_at: trunc_micros(record.created_at),
            expires_at: whole_seconds(record.expires_at),
            ..record
        };
        st.idempotency.insert(k, record);
        Ok(IdempotencyPut::Stored)
    }

    async fn get_idempotency(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let st = self.lock();
        Ok(st
            .idempotency
            .get(&(scope.to_string(), key.to_string()))
            .filter(|r| r.expires_at > OffsetDateTime::now_utc())
            .cloned())
    }

    async fn get_method_enabled(&self, wallet_type: &str) -> Result<Option<bool>, StoreError> {
        Ok(self.lock().methods.get(wallet_type).map(|m| m.enabled))
    }

    async fn set_method_enabled(&self, wallet_type: &str, enabled: bool) -> Result<(), StoreError> {
        check_wallet_type(wallet_type)?;
        self.lock().methods.insert(
            wallet_type.to_string(),
            MethodSwitch {
                wallet_type: wallet_type.to_string(),
                enabled,
                updated_at: now(),
            },
        );
        Ok(())
    }

    async fn list_method_switches(&self) -> Result<Vec<MethodSwitch>, StoreError> {
        Ok(self.lock().methods.values().cloned().collect())
    }

    async fn get_cache(&self, key: &str) -> Result<Option<String>, StoreError> {
        let st = self.lock();
        Ok(st
            .cache
            .get(key)
            .filter(|(_, exp)| *exp > OffsetDateTime::now_utc())
            .map(|(v, _)| v.clone()))
    }

    async fn put_cache(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        check_key("cache key", key)?;
        self.lock()
            .cache
            .insert(key.to_string(), (value.to_string(), expires_at));
        Ok(())
    }

    async fn get_balances(&self, label: &Label) -> Result<Vec<Balance>, StoreError> {
        let st = self.lock();
        Ok(st
            .balances
            .range((label.clone(), "")..)
            .take_while(|((l, _), _)| l == label)
            .map(|(_, (currency, available, held))| Balance {
                currency: *currency,
                available: *available,
                held: *held,
            })
            .collect())
    }

    async fn list_ledger(
        &self,
        label: &Label,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError> {
        let before = page
            .cursor
            .as_deref()
            .map(|c| keys::decode_cursor(c, keys::LEDGER_PREFIX))
            .transpose()?;
        let st = self.lock();
        let Some(entries) = st.ledger.get(label) else {
            keys::check_limit(page.limit)?;
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        page_of(
            entries.iter().rev().map(|(k, e)| (k.clone(), e.clone())),
            &page,
            |k| before.as_deref().is_none_or(|b| k < b),
        )
    }
}

/// Finish (`Processed`) or refund (`Rejected`) under the lock, all checks first.
fn settle(
    st: &mut State,
    id: &WithdrawalId,
    to: WithdrawalStatus,
    reason: Option<&str>,
) -> Result<SettleOutcome, StoreError> {
    let w = st.withdrawals.get(id).ok_or_else(|| StoreError::NotFound {
        what: "withdrawal",
        id: id.to_string(),
    })?;
    if w.status == to {
        return Ok(SettleOutcome::AlreadyApplied(w.clone()));
    }
    w.status
        .transition(to)
        .map_err(|_| StoreError::StateConflict {
            what: "withdrawal",
            id: id.to_string(),
            expected: "open".into(),
            actual: w.status.to_string(),
        })?;
    let at = now();
    let mut w = w.clone();
    w.status = to;
    w.updated_at = at;
    if let Some(r) = reason {
        w.message = Some(r.to_string());
    }
    let amount = w.money.amount();
    let bal = st.balance_mut(&w.label, w.money.currency());
    bal.2 -= amount;
    let entry = if to == WithdrawalStatus::Rejected {
        bal.1 += amount;
        let e = LedgerEntry {
            id: new_entry_id(),
            label: w.label.clone(),
            currency: w.money.currency(),
            amount,
            kind: EntryKind::WithdrawalRefund,
            reference: w.id.to_string(),
            created_at: at,
        };
        st.add_entry(&e);
        Some(e)
    } else {
        None
    };
    st.withdrawals.insert(w.id.clone(), w.clone());
    Ok(SettleOutcome::Applied {
        withdrawal: w,
        entry,
    })
}

/// Expiry times are kept to the second (DynamoDB's `ttl` is epoch seconds).
pub(crate) fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

pub(crate) fn check_wallet_type(wallet_type: &str) -> Result<(), StoreError> {
    if wallet_type.is_empty() || wallet_type.len() > 190 || wallet_type.trim() != wallet_type {
        return Err(StoreError::Invalid(
            "wallet_type must be 1..=190 characters without surrounding spaces".into(),
        ));
    }
    Ok(())
}
