//! Withdrawals on DynamoDB: `WITHDRAWAL#<id>/META` (listed per user by the history index); the
//! debit at creation and the settlement are each one transaction with the balance (and the
//! ledger entry).

use std::collections::HashMap;

use async_trait::async_trait;
use payments::store::{
    EntryKind, LedgerEntry, NewWithdrawal, Page, PageRequest, SettleOutcome, StoreError,
    Withdrawal, WithdrawalStore, check_withdrawal_mark, keys,
};
use payments::{Label, StateMachine, WithdrawalId, WithdrawalStatus};
use time::OffsetDateTime;

use super::DynamoStore;
use super::items::{key, ledger_item, n, page_of, s, t, withdrawal_from, withdrawal_item};
use super::tx::{MAX_ATTEMPTS, StatusMove, TxError, backoff, names, request_token, values};

impl DynamoStore {
    async fn withdrawal_conflict(
        &self,
        id: &WithdrawalId,
        expected: WithdrawalStatus,
    ) -> StoreError {
        match self.get_withdrawal(id).await {
            Ok(None) => StoreError::NotFound {
                what: "withdrawal",
                id: id.to_string(),
            },
            Ok(Some(w)) => StoreError::StateConflict {
                what: "withdrawal",
                id: id.to_string(),
                expected: expected.to_string(),
                actual: w.status.to_string(),
            },
            Err(e) => e,
        }
    }

    /// Finish (`Processed`) or refund (`Rejected`): status guard + balance (+ refund entry).
    async fn settle(
        &self,
        id: &WithdrawalId,
        to: WithdrawalStatus,
        reason: Option<&str>,
    ) -> Result<SettleOutcome, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let w = self
                .get_withdrawal(id)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "withdrawal",
                    id: id.to_string(),
                })?;
            if w.status == to {
                return Ok(SettleOutcome::AlreadyApplied(w));
            }
            if !w.status.can_transition(to) {
                return Err(StoreError::StateConflict {
                    what: "withdrawal",
                    id: id.to_string(),
                    expected: "open".into(),
                    actual: w.status.to_string(),
                });
            }
            let at = self.now();
            let amount = w.money.amount();
            let mut settled = w.clone();
            settled.status = to;
            settled.updated_at = at;
            let mut set = "SET #status = :to, updated_at = :at".to_string();
            let mut vals = values([
                (":to", s(to.as_str())),
                (":from", s(w.status.as_str())),
                (":at", t(at)),
            ]);
            if let Some(r) = reason {
                settled.message = Some(r.to_string());
                set.push_str(", message = :msg");
                vals.insert(":msg".into(), s(r));
            }
            let mut tx = vec![self.update(
                key(keys::withdrawal_pk(id), keys::META),
                &format!("{set} REMOVE GSI1PK, GSI1SK"),
                Some("#status = :from"),
                names([("#status", "status")]),
                vals,
            )?];
            let entry = (to == WithdrawalStatus::Rejected).then(|| {
                LedgerEntry::new(
                    w.label.clone(),
                    w.money.currency(),
                    amount,
                    EntryKind::WithdrawalRefund,
                    w.id.to_string(),
                    at,
                )
            });
            let balance_key = key(
                keys::user_pk(&w.label),
                &keys::balance_sk(w.money.currency()),
            );
            match &entry {
                Some(e) => {
                    tx.push(self.update(
                        balance_key,
                        "ADD available :amt, held :neg",
                        Some("attribute_exists(PK)"),
                        HashMap::new(),
                        values([(":amt", n(amount)), (":neg", n(-amount))]),
                    )?);
                    tx.push(self.put(ledger_item(e), Some("attribute_not_exists(PK)"))?);
                }
                None => tx.push(self.update(
                    balance_key,
                    "ADD held :neg",
                    Some("attribute_exists(PK)"),
                    HashMap::new(),
                    values([(":neg", n(-amount))]),
                )?),
            }
            let nonce = uuid::Uuid::now_v7().to_string();
            match self
                .transact(
                    tx,
                    request_token(&["settle", id.as_str(), to.as_str(), &nonce]),
                )
                .await
            {
                Ok(()) => {
                    return Ok(SettleOutcome::Applied {
                        withdrawal: settled,
                        entry,
                    });
                }
                // The status moved under us: re-read and decide again.
                Err(TxError::Cancelled(c)) if c.failed(0) => continue,
                Err(TxError::Cancelled(c)) if c.failed(1) => {
                    return Err(StoreError::Corrupt {
                        key: format!("balance of withdrawal {id}"),
                        problem: "balance item missing".into(),
                    });
                }
                Err(TxError::Cancelled(c)) if c.transient() => backoff(attempt).await,
                Err(TxError::Cancelled(c)) => {
                    return Err(StoreError::Backend(format!(
                        "settle {id} cancelled: {:?}",
                        c.codes
                    )));
                }
                Err(TxError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Contention(format!("withdrawal {id}")))
    }
}

#[async_trait]
impl WithdrawalStore for DynamoStore {
    async fn create_withdrawal_with_debit(
        &self,
        w: NewWithdrawal,
    ) -> Result<Withdrawal, StoreError> {
        let wd = Withdrawal::pending(w);
        let amount = wd.money.amount();
        for attempt in 0..MAX_ATTEMPTS {
            let entry = LedgerEntry::new(
                wd.label.clone(),
                wd.money.currency(),
                -amount,
                EntryKind::WithdrawalDebit,
                wd.id.to_string(),
                self.now(),
            );
            let tx = vec![
                // 0: the debit, only if covered
                self.update(
                    key(
                        keys::user_pk(&wd.label),
                        &keys::balance_sk(wd.money.currency()),
                    ),
                    "ADD available :neg, held :amt",
                    Some("available >= :amt"),
                    HashMap::new(),
                    values([(":amt", n(amount)), (":neg", n(-amount))]),
                )?,
                // 1: the withdrawal, only once
                self.put(
                    withdrawal_item(&wd, self.open_shards),
                    Some("attribute_not_exists(PK)"),
                )?,
                // 2: the ledger entry
                self.put(ledger_item(&entry), Some("attribute_not_exists(PK)"))?,
            ];
            let token = request_token(&["withdraw", wd.id.as_str(), &entry.id]);
            match self.transact(tx, token).await {
                Ok(()) => return Ok(wd),
                Err(TxError::Cancelled(c)) if c.failed(1) => {
                    return Err(StoreError::AlreadyExists {
                        what: "withdrawal",
                        id: wd.id.to_string(),
                    });
                }
                Err(TxError::Cancelled(c)) if c.failed(0) => {
                    return Err(StoreError::InsufficientFunds);
                }
                Err(TxError::Cancelled(c)) if c.transient() => backoff(attempt).await,
                Err(TxError::Cancelled(c)) => {
                    return Err(StoreError::Backend(format!(
                        "withdrawal cancelled: {:?}",
                        c.codes
                    )));
                }
                Err(TxError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Contention(format!("withdrawal {}", wd.id)))
    }

    async fn get_withdrawal(&self, id: &WithdrawalId) -> Result<Option<Withdrawal>, StoreError> {
        self.get(keys::withdrawal_pk(id), keys::META)
            .await?
            .as_ref()
            .map(withdrawal_from)
            .transpose()
    }

    async fn mark_withdrawal(
        &self,
        id: &WithdrawalId,
        from: WithdrawalStatus,
        to: WithdrawalStatus,
        gateway_message: Option<String>,
    ) -> Result<Withdrawal, StoreError> {
        check_withdrawal_mark(from, to)?;
        let mv = StatusMove {
            pk: keys::withdrawal_pk(id),
            from: from.as_str(),
            to: to.as_str(),
            extra: gateway_message
                .map(|m| ("message", s(m)))
                .into_iter()
                .collect(),
            close: false,
        };
        match self.move_status(mv, self.now()).await? {
            Ok(item) => withdrawal_from(&item),
            Err(()) => Err(self.withdrawal_conflict(id, from).await),
        }
    }

    async fn finish_withdrawal(&self, id: &WithdrawalId) -> Result<SettleOutcome, StoreError> {
        self.settle(id, WithdrawalStatus::Processed, None).await
    }

    async fn refund_withdrawal(
        &self,
        id: &WithdrawalId,
        reason: &str,
    ) -> Result<SettleOutcome, StoreError> {
        self.settle(id, WithdrawalStatus::Rejected, Some(reason))
            .await
    }

    async fn list_user_withdrawals(
        &self,
        label: &Label,
        status: Option<WithdrawalStatus>,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError> {
        let scope = keys::HistoryScope::withdrawals(label, status);
        let (items, next) = self.list_history(&scope, &page).await?;
        page_of(&items, next, withdrawal_from)
    }

    async fn list_open_withdrawals(
        &self,
        shard: keys::OpenShard,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError> {
        let pk_of = |id: &str| format!("WITHDRAWAL#{id}");
        let partition = keys::open_pk(keys::OPEN_WITHDRAWALS, shard);
        let (items, next) = self.list_open(&partition, pk_of, older_than, &page).await?;
        page_of(&items, next, withdrawal_from)
    }
}
