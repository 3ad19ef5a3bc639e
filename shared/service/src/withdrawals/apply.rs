//! Applying a verified `outgoing` postback: `withdrawal_status` 1 -> `processed` (held money
//! released), 5 -> `rejected` and refunded, each exactly once. Every status report is kept
//! for audit under its dedupe key (`out:<withdrawal_id>:<status>`); a late or contradicting
//! report for a finished withdrawal is recorded, changes nothing, and is held for a person
//! (`WithdrawalContradicted`). Used by the webhook and
//! by reconciliation alike.

use paykassma::postback::{PayoutStatus, Postback, PostbackEntry};
use payments::store::{PostbackKind, PostbackRecord, SettleOutcome};
use payments::{Label, StoreError, WithdrawalId, WithdrawalStatus};

use crate::Deps;
use crate::http::ApiError;
use crate::metrics;
use crate::verdicts::PayoutVerdict;

/// What one `additional_data` entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingEffect {
    /// Paid: now `processed`.
    Processed,
    /// Not paid: now `rejected`, the amount back on the user's balance.
    Refunded,
    /// This result was already applied: nothing changed.
    Duplicate,
    /// The withdrawal is already final with the other result: recorded, nothing changed
    /// (worth an alert: the gateway contradicts itself or us).
    Late { status: WithdrawalStatus },
    /// A status that is not final (neither 1 nor 5): recorded only.
    NotFinal { code: i64 },
    /// No withdrawal of ours has this id (or the entry names none): recorded only.
    UnknownWithdrawal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingItem {
    pub withdrawal_id: Option<String>,
    pub effect: OutgoingEffect,
}

/// The effects of one postback, entry by entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutgoingOutcome {
    pub items: Vec<OutgoingItem>,
}

impl OutgoingOutcome {
    /// True when this postback changed money (processed or refunded something).
    pub fn changed_anything(&self) -> bool {
        self.items.iter().any(|i| {
            matches!(
                i.effect,
                OutgoingEffect::Processed | OutgoingEffect::Refunded
            )
        })
    }
}

/// Applies a verified `outgoing` postback. `raw` is the body as received (kept for audit).
/// Errors are storage failures only: the caller answers non-200 and the gateway retries,
/// which is safe because every step is guarded.
pub async fn apply_outgoing(
    deps: &Deps,
    postback: &Postback,
    raw: &str,
) -> Result<OutgoingOutcome, ApiError> {
    let mut out = OutgoingOutcome::default();
    for entry in &postback.additional_data {
        let Some(raw_id) = entry.withdrawal_id.as_deref().filter(|s| !s.is_empty()) else {
            tracing::warn!("outgoing postback entry without withdrawal_id");
            out.items.push(OutgoingItem {
                withdrawal_id: None,
                effect: OutgoingEffect::UnknownWithdrawal,
            });
            continue;
        };
        let status = entry.withdrawal_status.unwrap_or(PayoutStatus::Other(0));
        let effect = apply_one(deps, postback, entry, raw, raw_id, status).await?;
        out.items.push(OutgoingItem {
            withdrawal_id: Some(raw_id.to_string()),
            effect,
        });
    }
    Ok(out)
}

async fn apply_one(
    deps: &Deps,
    postback: &Postback,
    entry: &PostbackEntry,
    raw: &str,
    raw_id: &str,
    status: PayoutStatus,
) -> Result<OutgoingEffect, ApiError> {
    let key = crate::postback_key::withdrawal_key(raw_id, status);
    // Recorded first: even a report we cannot act on is kept. A repeat returns false and
    // changes nothing; the settle below is guarded, so it runs either way (a crash between
    // the record and the settle is healed by the gateway's retry).
    let new = deps
        .store
        .record_postback(PostbackRecord {
            dedupe_key: key.clone(),
            kind: PostbackKind::Withdrawal,
            label: Label::parse(&postback.label).ok(),
            raw_body: raw.to_string(),
            received_at: deps.clock.now(),
        })
        .await?;
    if !new {
        metrics::count("PostbackDuplicate", 1);
    }
    let Ok(id) = WithdrawalId::parse(raw_id) else {
        tracing::warn!(withdrawal_id = %raw_id, "outgoing postback for an id we never issue");
        return Ok(OutgoingEffect::UnknownWithdrawal);
    };
    let Some(w) = deps.store.get_withdrawal(&id).await? else {
        tracing::warn!(withdrawal_id = %id, "outgoing postback for an unknown withdrawal");
        return Ok(OutgoingEffect::UnknownWithdrawal);
    };
    if w.label.as_str() != postback.label {
        // Settled by id all the same: the id is ours and the body is signed.
        tracing::warn!(withdrawal_id = %id, "outgoing postback label differs from the withdrawal's");
    }
    let amount_differs = entry
        .amount
        .is_some_and(|a| a.normalize() != w.money.amount().normalize());
    let currency_differs = entry
        .currency_code
        .as_deref()
        .is_some_and(|c| !c.is_empty() && c != w.money.currency().code());
    if amount_differs || currency_differs {
        // The status still applies (the id is ours, the body signed); the difference is for a human.
        tracing::error!(
            withdrawal_id = %id,
            reported_amount = ?entry.amount,
            reported_currency = ?entry.currency_code,
            "outgoing postback amount or currency differs from the withdrawal's"
        );
    }
    let settled = match PayoutVerdict::from(status) {
        PayoutVerdict::Paid => deps.store.finish_withdrawal(&id).await,
        PayoutVerdict::Refused => {
            let reason = match entry.comment.as_deref().map(str::trim) {
                Some(c) if !c.is_empty() => {
                    format!("rejected by the gateway (withdrawal_status 5): {c}")
                }
                _ => "rejected by the gateway (withdrawal_status 5)".to_string(),
            };
            deps.store.refund_withdrawal(&id, &reason).await
        }
        PayoutVerdict::NotFinal { code } => {
            tracing::info!(withdrawal_id = %id, code, "withdrawal status not final; recorded");
            return Ok(OutgoingEffect::NotFinal { code });
        }
    };
    match settled {
        Ok(SettleOutcome::Applied { withdrawal, .. }) => {
            let effect = if withdrawal.status == WithdrawalStatus::Processed {
                metrics::count("WithdrawalsProcessed", 1);
                OutgoingEffect::Processed
            } else {
                metrics::count("WithdrawalsRejected", 1);
                OutgoingEffect::Refunded
            };
            tracing::info!(withdrawal_id = %id, status = %withdrawal.status, "withdrawal settled by postback");
            Ok(effect)
        }
        Ok(SettleOutcome::AlreadyApplied(_)) => Ok(OutgoingEffect::Duplicate),
        Err(StoreError::StateConflict { .. } | StoreError::Transition(_)) => {
            let current = deps
                .store
                .get_withdrawal(&id)
                .await?
                .map_or(w.status, |w| w.status);
            tracing::error!(
                withdrawal_id = %id,
                current = %current,
                reported = ?status,
                "late withdrawal status contradicts a final one; recorded, nothing changed"
            );
            super::attention::flag(
                deps,
                &w,
                super::attention::Reason::Contradicted,
                &format!(
                    "postback withdrawal_status {} while the withdrawal is {current}",
                    status.code()
                ),
            )
            .await;
            Ok(OutgoingEffect::Late { status: current })
        }
        Err(e) => Err(e.into()),
    }
}
