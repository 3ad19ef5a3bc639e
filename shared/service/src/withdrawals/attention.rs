//! Withdrawals held for a person (`/v1/admin/withdrawals/attention`). A withdrawal lands here
//! when the gateway's answers leave its outcome open past the grace (an unknown send it says
//! it does not know, a re-send it refused) or when the gateway reports a status that
//! contradicts a settled one. The operator resolves it exactly once: `paid` releases the held
//! money, `refund` gives it back to the user; both name the operator and the note on the
//! withdrawal and keep them on the item.

use payments::store::{
    AttentionFlag, AttentionOutcome, AttentionState, SettleOutcome, Withdrawal, WithdrawalAttention,
};
use payments::{StoreError, WithdrawalId, WithdrawalStatus};
use serde::{Deserialize, Serialize};

use super::WithdrawalView;
use crate::Deps;
use crate::http::{Admin, ApiError, rfc3339};
use crate::metrics;

/// Why a withdrawal is held, as the item's `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The send's outcome is unknown and the gateway has reported nothing final since.
    OutcomeUnknown,
    /// The gateway says it has no withdrawal with this id, and re-sending is not allowed
    /// (or was done already).
    NotFound,
    /// The one automatic re-send was refused: the gateway may still have the first one.
    ResendRefused,
    /// The gateway answered the first send in a way that proves nothing (e.g. HTTP 404).
    SendUnclear,
    /// A gateway status contradicts the withdrawal's final state.
    Contradicted,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutcomeUnknown => "outcome_unknown",
            Self::NotFound => "not_found",
            Self::ResendRefused => "resend_refused",
            Self::SendUnclear => "send_unclear",
            Self::Contradicted => "contradicted",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::OutcomeUnknown => {
                "the send's outcome is unknown and the gateway has reported no result; ask the gateway's support whether it was paid"
            }
            Self::NotFound => {
                "the gateway says it has no withdrawal with this id; confirm with its support before refunding"
            }
            Self::ResendRefused => {
                "the re-send was refused; the gateway may still pay the first send"
            }
            Self::SendUnclear => {
                "the gateway's answer to the send proves neither acceptance nor refusal"
            }
            Self::Contradicted => {
                "the gateway reported a status that contradicts the withdrawal's final state; money may have moved twice"
            }
        }
    }
}

/// Holds `w` for a person because of `reason`, keeping the gateway's `answer`. Failing to
/// record is logged, never fatal: the withdrawal itself is unchanged and the next run flags
/// it again.
pub(crate) async fn flag(deps: &Deps, w: &Withdrawal, reason: Reason, answer: &str) {
    if reason == Reason::Contradicted {
        metrics::count("WithdrawalContradicted", 1);
    } else {
        metrics::count("WithdrawalNeedsAttention", 1);
    }
    tracing::error!(withdrawal_id = %w.id, reason = reason.as_str(), %answer, "withdrawal held for an operator");
    let flag = AttentionFlag {
        withdrawal_id: w.id.clone(),
        label: w.label.clone(),
        reason: reason.as_str().into(),
        detail: reason.detail().into(),
        observation: answer.chars().take(500).collect(),
        at: deps.clock.now(),
    };
    if let Err(e) = deps.store.flag_withdrawal(flag).await {
        tracing::error!(withdrawal_id = %w.id, error = %e, "could not record the withdrawal for an operator");
    }
}

/// One held withdrawal as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionView {
    pub withdrawal_id: String,
    pub label: String,
    pub reason: String,
    pub detail: String,
    pub since: String,
    /// Every gateway answer seen, oldest first, each `<time> <answer>`.
    pub observations: Vec<String>,
    /// `open`, `paid`, `refunded` or `acknowledged`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<AttentionResolutionView>,
    /// The withdrawal as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<WithdrawalView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionResolutionView {
    pub by: String,
    pub note: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionList {
    pub items: Vec<AttentionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST /v1/admin/withdrawals/{id}/resolve` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveWithdrawal {
    /// `paid` or `refund`.
    pub outcome: String,
    pub note: String,
}

const MAX_NOTE: usize = 1000;

fn view(a: &WithdrawalAttention, w: Option<&Withdrawal>) -> AttentionView {
    let (status, resolution) = match &a.state {
        AttentionState::Open => ("open".to_string(), None),
        AttentionState::Closed {
            outcome,
            by,
            note,
            at,
        } => (
            outcome.as_str().to_string(),
            Some(AttentionResolutionView {
                by: by.clone(),
                note: note.clone(),
                at: rfc3339(*at),
            }),
        ),
    };
    AttentionView {
        withdrawal_id: a.withdrawal_id.to_string(),
        label: a.label.to_string(),
        reason: a.reason.clone(),
        detail: a.detail.clone(),
        since: rfc3339(a.since),
        observations: a.observations.clone(),
        status,
        resolution,
        withdrawal: w.map(WithdrawalView::from),
    }
}

/// `GET /v1/admin/withdrawals/attention`: the open items, longest waiting first.
pub async fn list(
    deps: &Deps,
    limit: usize,
    cursor: Option<String>,
) -> Result<AttentionList, ApiError> {
    let page = deps
        .store
        .list_attention(&crate::account::page_request(limit, cursor)?)
        .await
        .map_err(crate::account::cursor_error)?;
    let mut items = Vec::with_capacity(page.items.len());
    for a in &page.items {
        let w = deps.store.get_withdrawal(&a.withdrawal_id).await?;
        items.push(view(a, w.as_ref()));
    }
    Ok(AttentionList {
        items,
        next_cursor: page.next,
    })
}

/// Settles withdrawal `id` as the operator says, once. 404 for no such withdrawal; 409 when
/// it is settled and nothing is open for it, or when the outcome contradicts how it settled.
pub async fn resolve(
    deps: &Deps,
    admin: &Admin,
    id: &str,
    body: ResolveWithdrawal,
) -> Result<AttentionView, ApiError> {
    let not_found = || ApiError::NotFound("withdrawal".into());
    let id = WithdrawalId::parse(id).map_err(|_| not_found())?;
    let wanted = match body.outcome.as_str() {
        "paid" => WithdrawalStatus::Processed,
        "refund" => WithdrawalStatus::Rejected,
        _ => return Err(ApiError::validation("outcome", "paid or refund")),
    };
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE {
        return Err(ApiError::validation(
            "note",
            format!("1-{MAX_NOTE} characters saying why"),
        ));
    }
    let w = deps
        .store
        .get_withdrawal(&id)
        .await?
        .ok_or_else(not_found)?;
    let item = deps.store.get_attention(&id).await?;
    let item_open = item
        .as_ref()
        .is_some_and(|a| a.state == AttentionState::Open);
    let said = format!("{} by operator {}: {note}", body.outcome, admin.0);
    let outcome = if w.status.is_terminal() {
        if !item_open {
            return Err(ApiError::Conflict(format!(
                "withdrawal {id} is already {}",
                w.status
            )));
        }
        if w.status != wanted {
            return Err(ApiError::Conflict(format!(
                "withdrawal {id} settled as {}; reversing it is a manual adjustment, not a resolution",
                w.status
            )));
        }
        AttentionOutcome::Acknowledged
    } else {
        let settled = if wanted == WithdrawalStatus::Processed {
            deps.store.finish_withdrawal(&id).await
        } else {
            deps.store.refund_withdrawal(&id, &said).await
        };
        match settled {
            Ok(SettleOutcome::Applied { .. }) => {}
            Ok(SettleOutcome::AlreadyApplied(_)) | Err(StoreError::StateConflict { .. }) => {
                return Err(ApiError::Conflict(format!(
                    "withdrawal {id} was settled meanwhile; read it again"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        if wanted == WithdrawalStatus::Processed {
            metrics::count("WithdrawalsProcessed", 1);
            AttentionOutcome::Paid
        } else {
            metrics::count("WithdrawalsRejected", 1);
            AttentionOutcome::Refunded
        }
    };
    tracing::warn!(withdrawal_id = %id, admin = %admin.0, outcome = outcome.as_str(), %note, "withdrawal resolved by an operator");
    let state = AttentionState::Closed {
        outcome,
        by: admin.0.clone(),
        note: note.to_string(),
        at: deps.clock.now(),
    };
    let closed = if item.is_some() {
        match deps.store.close_attention(&id, state.clone()).await {
            Ok(a) => a,
            Err(StoreError::StateConflict { .. }) if outcome != AttentionOutcome::Acknowledged => {
                // Closed meanwhile by another resolution; the money moved once (above).
                deps.store.get_attention(&id).await?.ok_or_else(not_found)?
            }
            Err(StoreError::StateConflict { .. }) => {
                return Err(ApiError::Conflict(format!(
                    "withdrawal {id} is already resolved"
                )));
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        // Resolved without a flag (an operator acting on a support ticket): keep the record.
        deps.store
            .flag_withdrawal(AttentionFlag {
                withdrawal_id: id.clone(),
                label: w.label.clone(),
                reason: "operator".into(),
                detail: "resolved by an operator without a flag".into(),
                observation: said.clone(),
                at: deps.clock.now(),
            })
            .await?;
        deps.store.close_attention(&id, state).await?
    };
    let now = deps.store.get_withdrawal(&id).await?;
    Ok(view(&closed, now.as_ref()))
}
