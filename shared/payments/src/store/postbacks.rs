//! Postbacks: crediting a verified deposit postback exactly once, and keeping (withdrawal)
//! postbacks for audit. The credit decision ([`credit_effect`]) is shared by both adapters so
//! they decide alike.

use async_trait::async_trait;

use super::{
    CreditOutcome, CreditReads, Deposit, DepositCredit, DepositEffect, PostbackRecord, StoreError,
};
use super::{UntouchedReason, check_key};
use crate::ids::DepositId;
use crate::status::DepositStatus;

/// Postback bodies kept for audit must fit in one item (DynamoDB's limit is 400 KB).
pub const MAX_RAW_BODY: usize = 256 * 1024;

#[async_trait]
pub trait PostbackStore: Send + Sync {
    /// Credits a verified deposit postback exactly once, atomically: records the postback
    /// (its dedupe key must be new), adds to the balance, appends the ledger entry and, when
    /// the deposit exists and can take it, moves it to `Credited` (or `AmountMismatch` when
    /// what was paid differs from the order: what was paid is credited).
    async fn apply_deposit_postback(
        &self,
        credit: DepositCredit,
    ) -> Result<CreditOutcome, StoreError>;

    /// Keeps a (withdrawal) postback for audit; `true` if its dedupe key is new, `false` for a
    /// repeat (nothing written). The status change itself goes through finish/refund, whose
    /// guards make repeats harmless.
    async fn record_postback(&self, record: PostbackRecord) -> Result<bool, StoreError>;

    async fn get_postback(&self, dedupe_key: &str) -> Result<Option<PostbackRecord>, StoreError>;

    /// Everything the decision about one deposit payment reads, in one consistent read: those
    /// of `deposit_ids` that exist (the order it names, and the deposit an attempt id
    /// `<id>_<n>` belongs to), whether `dedupe_key` is booked already, and its unbooked record.
    /// On DynamoDB one `BatchGetItem`, so a postback costs one read and one transaction.
    async fn read_for_credit(
        &self,
        deposit_ids: &[DepositId],
        dedupe_key: &str,
    ) -> Result<CreditReads, StoreError>;
}

/// What a credit should do to the deposit it names.
pub fn credit_effect(deposit: Option<&Deposit>, credit: &DepositCredit) -> Plan {
    let Some(d) = deposit else {
        return match &credit.deposit_id {
            None => Plan::NoDeposit,
            Some(id) => Plan::Untouched(id.clone(), UntouchedReason::NotFound),
        };
    };
    if d.label != credit.label {
        return Plan::Untouched(d.id.clone(), UntouchedReason::LabelMismatch);
    }
    if !d.status.accepts_credit() {
        return Plan::Untouched(d.id.clone(), UntouchedReason::Final(d.status));
    }
    let matches = d.currency == credit.money.currency()
        && d.amount.is_none_or(|ordered| ordered == credit.money);
    let to = if matches {
        DepositStatus::Credited
    } else {
        DepositStatus::AmountMismatch
    };
    Plan::Move {
        id: d.id.clone(),
        from: d.status,
        to,
    }
}

pub enum Plan {
    NoDeposit,
    Untouched(DepositId, UntouchedReason),
    Move {
        id: DepositId,
        from: DepositStatus,
        to: DepositStatus,
    },
}

impl Plan {
    pub fn effect(&self) -> DepositEffect {
        match self {
            Plan::NoDeposit => DepositEffect::NoDeposit,
            Plan::Untouched(id, reason) => DepositEffect::Untouched {
                id: id.clone(),
                reason: reason.clone(),
            },
            Plan::Move { id, from, to } => DepositEffect::Updated {
                id: id.clone(),
                from: *from,
                to: *to,
            },
        }
    }
}

pub fn validate_postback(dedupe_key: &str, raw_body: &str) -> Result<(), StoreError> {
    check_key("postback dedupe key", dedupe_key)?;
    if raw_body.len() > MAX_RAW_BODY {
        return Err(StoreError::Invalid(format!(
            "postback body over {MAX_RAW_BODY} bytes"
        )));
    }
    Ok(())
}
