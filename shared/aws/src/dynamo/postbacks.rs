//! Postbacks on DynamoDB: `POSTBACK#<dedupe key>/META`. A deposit credit is one transaction:
//! the postback record (must be new), the balance, the ledger entry and the deposit's move.

use std::collections::HashMap;

use async_trait::async_trait;
use payments::store::prelude::DepositStore;
use payments::store::{
    CreditOutcome, DepositCredit, Plan, PostbackRecord, PostbackStore, StoreError, credit_effect,
    keys, validate_postback,
};

use super::DynamoStore;
use super::items::{key, ledger_item, n, postback_from, postback_item, s, t};
use super::tx::{MAX_ATTEMPTS, TxError, backoff, names, request_token, values};

#[async_trait]
impl PostbackStore for DynamoStore {
    async fn apply_deposit_postback(
        &self,
        credit: DepositCredit,
    ) -> Result<CreditOutcome, StoreError> {
        validate_postback(&credit.dedupe_key, &credit.raw_body)?;
        for attempt in 0..MAX_ATTEMPTS {
            let deposit = match &credit.deposit_id {
                Some(id) => self.get_deposit(id).await?,
                None => None,
            };
            let plan = credit_effect(deposit.as_ref(), &credit);
            let at = self.now();
            let entry = credit.ledger_entry(at);
            let record = credit.record();
            let currency = credit.money.currency();
            let mut tx = vec![
                // 0: the postback is new (exactly-once guard)
                self.put(postback_item(&record), Some("attribute_not_exists(PK)"))?,
                // 1: the balance (created on first credit)
                self.update(
                    key(keys::user_pk(&credit.label), &keys::balance_sk(currency)),
                    "SET label = :label, currency = :cur ADD available :amt, held :zero",
                    None,
                    HashMap::new(),
                    values([
                        (":label", s(credit.label.as_str())),
                        (":cur", s(currency.code())),
                        (":amt", n(credit.money.amount())),
                        (":zero", n(rust_decimal::Decimal::ZERO)),
                    ]),
                )?,
                // 2: the ledger entry
                self.put(ledger_item(&entry), Some("attribute_not_exists(PK)"))?,
            ];
            if let Plan::Move { id, from, to } = &plan {
                // 3: the deposit, if it is still where we read it
                tx.push(self.update(
                    key(keys::deposit_pk(id), keys::META),
                    "SET #status = :to, updated_at = :at, credited_amount = :amt, credited_currency = :cur, \
                     postback_key = :pk REMOVE GSI1PK, GSI1SK",
                    Some("#status = :from"),
                    names([("#status", "status")]),
                    values([
                        (":to", s(to.as_str())),
                        (":from", s(from.as_str())),
                        (":at", t(at)),
                        (":amt", n(credit.money.amount())),
                        (":cur", s(currency.code())),
                        (":pk", s(credit.dedupe_key.clone())),
                    ]),
                )?);
            }
            let token = request_token(&["credit", &credit.dedupe_key, &entry.id]);
            match self.transact(tx, token).await {
                Ok(()) => {
                    return Ok(CreditOutcome::Credited {
                        entry,
                        deposit: plan.effect(),
                    });
                }
                // Only the postback's own guard failing means "applied before"; the record is
                // read back to be sure before the gateway is told so (a 200 ends its retries).
                Err(TxError::Cancelled(c)) if c.failed(0) => {
                    if self.get_postback(&credit.dedupe_key).await?.is_some() {
                        return Ok(CreditOutcome::AlreadyApplied);
                    }
                    backoff(attempt).await;
                }
                // The deposit moved since we read it: decide again from its new state.
                Err(TxError::Cancelled(c)) if c.failed(3) => continue,
                Err(TxError::Cancelled(c)) if c.transient() => backoff(attempt).await,
                Err(TxError::Cancelled(c)) => {
                    return Err(StoreError::Backend(format!(
                        "credit cancelled: {:?}",
                        c.codes
                    )));
                }
                Err(TxError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Contention(format!(
            "postback {}",
            credit.dedupe_key
        )))
    }

    async fn record_postback(&self, record: PostbackRecord) -> Result<bool, StoreError> {
        validate_postback(&record.dedupe_key, &record.raw_body)?;
        let record = PostbackRecord {
            received_at: keys::trunc_micros(record.received_at),
            ..record
        };
        self.put_new(postback_item(&record), "record postback")
            .await
    }

    async fn get_postback(&self, dedupe_key: &str) -> Result<Option<PostbackRecord>, StoreError> {
        self.get(keys::postback_pk(dedupe_key), keys::META)
            .await?
            .as_ref()
            .map(postback_from)
            .transpose()
    }
}
