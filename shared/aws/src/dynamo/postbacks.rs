//! Postbacks on DynamoDB: `POSTBACK#<dedupe key>/META`. A deposit credit is one transaction:
//! the postback record (must be new), the balance, the ledger entry and the deposit's move
//! (or the check that there is still no such deposit), planned from the caller's read of the
//! deposit when it gives one ([`DepositRead`]): one GetItem and one TransactWriteItems.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use payments::DepositId;
use payments::store::prelude::DepositStore;
use payments::store::{
    CreditOutcome, CreditReads, DepositCredit, DepositRead, Plan, PostbackRecord, PostbackStore,
    StoreError, UntouchedReason, check_key, credit_effect, keys, validate_postback,
};

use super::DynamoStore;
use super::items::{
    Item, deposit_from, key, ledger_item, n, postback_from, postback_item, s, t, unbooked_from,
};
use super::table::PK;
use super::tx::{MAX_ATTEMPTS, TxError, backoff, names, request_token, values};

#[async_trait]
impl PostbackStore for DynamoStore {
    async fn apply_deposit_postback(
        &self,
        credit: DepositCredit,
    ) -> Result<CreditOutcome, StoreError> {
        validate_postback(&credit.dedupe_key, &credit.raw_body)?;
        // The caller's read serves the first attempt; a retry after the deposit moved reads.
        let mut read = credit.read.clone();
        for attempt in 0..MAX_ATTEMPTS {
            let deposit = match (std::mem::take(&mut read), &credit.deposit_id) {
                (_, None) => None,
                (DepositRead::Read(d), Some(id)) if d.as_ref().is_none_or(|d| d.id == *id) => {
                    d.map(|d| *d)
                }
                (_, Some(id)) => self.get_deposit(id).await?,
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
            if let Plan::Untouched(id, UntouchedReason::NotFound) = &plan {
                // 3: still no such deposit (one created meanwhile is planned for anew)
                tx.push(self.check(
                    key(keys::deposit_pk(id), keys::META),
                    "attribute_not_exists(PK)",
                )?);
            }
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
                // The deposit moved (or appeared) since it was read: read it and decide again.
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

    async fn read_for_credit(
        &self,
        deposit_ids: &[DepositId],
        dedupe_key: &str,
    ) -> Result<CreditReads, StoreError> {
        check_key("postback dedupe key", dedupe_key)?;
        let postback_pk = keys::postback_pk(dedupe_key);
        let unbooked_pk = keys::unbooked_pk(dedupe_key);
        let mut wanted: Vec<Item> = deposit_ids
            .iter()
            .map(|id| key(keys::deposit_pk(id), keys::META))
            .collect();
        wanted.dedup();
        wanted.push(key(postback_pk.clone(), keys::META));
        wanted.push(key(unbooked_pk.clone(), keys::META));
        let found = self.batch_get(wanted, "read for a credit").await?;
        let pk_of = |item: &Item| match item.get(PK) {
            Some(AttributeValue::S(pk)) => pk.clone(),
            _ => String::new(),
        };
        let mut reads = CreditReads::default();
        for id in deposit_ids {
            let pk = keys::deposit_pk(id);
            if let Some(item) = found.iter().find(|i| pk_of(i) == pk)
                && !reads.deposits.iter().any(|d| d.id == *id)
            {
                reads.deposits.push(deposit_from(item)?);
            }
        }
        reads.booked = found.iter().any(|i| pk_of(i) == postback_pk);
        reads.unbooked = found
            .iter()
            .find(|i| pk_of(i) == unbooked_pk)
            .map(unbooked_from)
            .transpose()?;
        Ok(reads)
    }
}
