//! Withdrawals in memory: the debit at creation, guarded moves, settlement exactly once.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{MemoryStore, State, conflict, history_page, open_page};
use crate::ids::{Label, WithdrawalId};
use crate::status::{StateMachine, WithdrawalStatus};
use crate::store::{
    EntryKind, LedgerEntry, NewWithdrawal, Page, PageRequest, SettleOutcome, StoreError,
    Withdrawal, WithdrawalStore, check_withdrawal_mark, keys,
};

#[async_trait]
impl WithdrawalStore for MemoryStore {
    async fn create_withdrawal_with_debit(
        &self,
        w: NewWithdrawal,
    ) -> Result<Withdrawal, StoreError> {
        let at = self.now();
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
        let wd = Withdrawal::pending(w);
        let entry = LedgerEntry::new(
            wd.label.clone(),
            wd.money.currency(),
            -amount,
            EntryKind::WithdrawalDebit,
            wd.id.to_string(),
            at,
        );
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
        let at = self.now();
        let mut st = self.lock();
        let w = match st.withdrawals.get_mut(id) {
            Some(w) if w.status == from => w,
            other => {
                let actual = other.map(|w| w.status.as_str());
                return Err(conflict("withdrawal", id.as_str(), from.as_str(), actual));
            }
        };
        w.status = to;
        if gateway_message.is_some() {
            w.message = gateway_message;
        }
        w.updated_at = at;
        Ok(w.clone())
    }

    async fn finish_withdrawal(&self, id: &WithdrawalId) -> Result<SettleOutcome, StoreError> {
        let at = self.now();
        settle(&mut self.lock(), id, WithdrawalStatus::Processed, None, at)
    }

    async fn refund_withdrawal(
        &self,
        id: &WithdrawalId,
        reason: &str,
    ) -> Result<SettleOutcome, StoreError> {
        let at = self.now();
        settle(
            &mut self.lock(),
            id,
            WithdrawalStatus::Rejected,
            Some(reason),
            at,
        )
    }

    async fn list_user_withdrawals(
        &self,
        label: &Label,
        status: Option<WithdrawalStatus>,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError> {
        let scope = keys::HistoryScope::withdrawals(label, status);
        let st = self.lock();
        let records = st
            .withdrawals
            .values()
            .filter(|w| w.label == *label && status.is_none_or(|s| w.status == s))
            .map(|w| (w.created_at, w.id.as_str().to_string(), w.clone()));
        history_page(records, &scope, &page)
    }

    async fn list_open_withdrawals(
        &self,
        shard: keys::OpenShard,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError> {
        let st = self.lock();
        let in_shard = |id: &WithdrawalId| self.open_shards.of(id.as_str()) == shard;
        let records = st
            .withdrawals
            .values()
            .filter(|w| in_shard(&w.id))
            .map(|w| {
                (
                    w.created_at,
                    w.id.as_str().to_string(),
                    w.status.is_terminal(),
                    w.clone(),
                )
            });
        open_page(records, older_than, &page)
    }
}

/// Finish (`Processed`) or refund (`Rejected`) under the lock, all checks first.
fn settle(
    st: &mut State,
    id: &WithdrawalId,
    to: WithdrawalStatus,
    reason: Option<&str>,
    at: time::OffsetDateTime,
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
        let e = LedgerEntry::new(
            w.label.clone(),
            w.money.currency(),
            amount,
            EntryKind::WithdrawalRefund,
            w.id.to_string(),
            at,
        );
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
