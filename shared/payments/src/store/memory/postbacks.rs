//! Postbacks in memory: the exactly-once credit and the audit records.

use async_trait::async_trait;

use super::MemoryStore;
use crate::ids::DepositId;
use crate::store::keys::trunc_micros;
use crate::store::{
    CreditOutcome, CreditReads, DepositCredit, Plan, PostbackRecord, PostbackStore, StoreError,
    check_key, credit_effect, validate_postback,
};

#[async_trait]
impl PostbackStore for MemoryStore {
    async fn apply_deposit_postback(
        &self,
        credit: DepositCredit,
    ) -> Result<CreditOutcome, StoreError> {
        validate_postback(&credit.dedupe_key, &credit.raw_body)?;
        let at = self.now();
        let mut st = self.lock();
        if st.postbacks.contains_key(&credit.dedupe_key) {
            return Ok(CreditOutcome::AlreadyApplied);
        }
        // Planned from the deposit as it is under the lock: the caller's read
        // (`credit.read`) can only agree with it or be older, which a guard would refuse.
        let deposit = credit
            .deposit_id
            .as_ref()
            .and_then(|id| st.deposits.get(id));
        let plan = credit_effect(deposit, &credit);
        let entry = credit.ledger_entry(at);
        st.postbacks
            .insert(credit.dedupe_key.clone(), credit.record());
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

    async fn read_for_credit(
        &self,
        deposit_ids: &[DepositId],
        dedupe_key: &str,
    ) -> Result<CreditReads, StoreError> {
        check_key("postback dedupe key", dedupe_key)?;
        let st = self.lock();
        Ok(CreditReads {
            deposits: deposit_ids
                .iter()
                .filter_map(|id| st.deposits.get(id).cloned())
                .collect(),
            booked: st.postbacks.contains_key(dedupe_key),
            unbooked: st.unbooked.get(dedupe_key).cloned(),
        })
    }
}
