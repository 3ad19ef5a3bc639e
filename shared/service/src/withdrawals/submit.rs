//! `POST /v1/withdrawals`: debit and record in one transaction, then send the signed request
//! to the gateway under a `withdrawal_id` derived from the `Idempotency-Key`.
//!
//! - refused by the gateway: `rejected`, refunded in one transaction, its message kept;
//! - timeout, reset, 5xx or an unreadable answer: `unknown` (no refund, no new id:
//!   reconciliation finds out);
//! - not sent at all (connection refused): stays `pending`; reconciliation sends it later
//!   with the same id.
//!
//! A retry with the same key and body replays the first answer; a retry that raced the first
//! request (or followed a crash) finds the same withdrawal by its derived id and answers its
//! current state; the same key with another body is refused.

use axum::http::StatusCode;
use paykassma::client::Error as GatewayError;
use payments::store::{IdempotencyPut, IdempotencyRecord, NewWithdrawal, Withdrawal};
use payments::{Label, StoreError, WithdrawalStatus};
use serde::{Deserialize, Serialize};
use sha1::Digest;

use super::order::{REQUEST_HASH, WithdrawalBody, gateway_request, withdrawal_id_for};
use super::view::WithdrawalView;
use crate::Deps;
use crate::http::ApiError;
use crate::metrics;

/// Idempotency records of this route.
pub const SCOPE: &str = "withdrawals";

/// How long a first answer is replayed for the same key.
const IDEMPOTENCY_TTL: time::Duration = time::Duration::hours(24);

/// The answer to a submission (also what a replay returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResponse {
    pub status: u16,
    pub body: WithdrawalView,
    /// True when this is the stored first answer to an earlier request with the same key.
    #[serde(skip)]
    pub replayed: bool,
}

impl SubmitResponse {
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::CREATED)
    }
}

/// The idempotency record's key for (user, `Idempotency-Key`): length-prefixed, since a label
/// may contain any separator (`a:b` + `c` must not meet `a` + `b:c`); hashed when it would pass
/// the store's 512-byte key limit.
fn idempotency_record_key(label: &Label, idempotency_key: &str) -> String {
    let key = format!("{}:{label}:{idempotency_key}", label.as_str().len());
    if key.len() <= 256 {
        key
    } else {
        format!("sha1:{}", hex::encode(sha1::Sha1::digest(key.as_bytes())))
    }
}

fn reused() -> ApiError {
    ApiError::unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different withdrawal request",
    )
}

/// Submits a withdrawal for `label`. See the module docs for the outcomes.
pub async fn submit(
    deps: &Deps,
    label: &Label,
    idempotency_key: &str,
    body: WithdrawalBody,
) -> Result<SubmitResponse, ApiError> {
    let order = body.check()?;
    let request_hash = order.request_hash();
    let idem_key = idempotency_record_key(label, idempotency_key);
    if let Some(first) = deps.store.get_idempotency(SCOPE, &idem_key).await? {
        if first.request_hash != request_hash {
            return Err(reused());
        }
        let mut replay: SubmitResponse = serde_json::from_str(&first.response)
            .map_err(|e| ApiError::Internal(format!("stored withdrawal answer unreadable: {e}")))?;
        replay.replayed = true;
        return Ok(replay);
    }

    let id = withdrawal_id_for(label, idempotency_key);
    let now = deps.clock.now();
    let created = deps
        .store
        .create_withdrawal_with_debit(NewWithdrawal {
            id: id.clone(),
            label: label.clone(),
            money: order.money,
            payment_system: order.payment_system.clone(),
            details: order.details(),
            created_at: now,
        })
        .await;
    let withdrawal = match created {
        Ok(w) => send_first_time(deps, w).await?,
        Err(StoreError::AlreadyExists { .. }) => {
            // The same key again, before its answer was stored (concurrent, or after a crash):
            // the same withdrawal, never a second debit or a second gateway request.
            let w = deps
                .store
                .get_withdrawal(&id)
                .await?
                .ok_or_else(|| ApiError::Internal(format!("withdrawal {id} vanished")))?;
            if w.details.get(REQUEST_HASH) != Some(&request_hash) || &w.label != label {
                return Err(reused());
            }
            tracing::info!(withdrawal_id = %id, status = %w.status, "withdrawal retried with the same key");
            return Ok(SubmitResponse {
                status: StatusCode::CREATED.as_u16(),
                body: WithdrawalView::from(&w),
                replayed: true,
            });
        }
        Err(e) => return Err(e.into()),
    };

    let response = SubmitResponse {
        status: StatusCode::CREATED.as_u16(),
        body: WithdrawalView::from(&withdrawal),
        replayed: false,
    };
    let stored = serde_json::to_string(&response)
        .map_err(|e| ApiError::Internal(format!("cannot encode the answer: {e}")))?;
    let put = deps
        .store
        .put_idempotency(IdempotencyRecord {
            scope: SCOPE.into(),
            key: idem_key,
            request_hash,
            response: stored,
            created_at: now,
            expires_at: now + IDEMPOTENCY_TTL,
        })
        .await;
    match put {
        Ok(IdempotencyPut::Stored | IdempotencyPut::Existing(_)) => {}
        // The withdrawal is safe without the record: a retry finds it by its derived id.
        Err(e) => {
            tracing::warn!(withdrawal_id = %withdrawal.id, error = %e, "idempotency record not stored")
        }
    }
    Ok(response)
}

/// Sends a just-debited withdrawal and records what the gateway said.
async fn send_first_time(deps: &Deps, w: Withdrawal) -> Result<Withdrawal, ApiError> {
    let outcome = deps
        .gateway
        .create_withdrawal(&gateway_request(&w, false))
        .await;
    settle_send(deps, &w, w.status, outcome.map(|_| ())).await
}

/// What a send (first or re-send) means for the withdrawal, recorded from status `from`.
/// Shared with reconciliation so both read the gateway's answers alike.
pub(crate) async fn settle_send(
    deps: &Deps,
    w: &Withdrawal,
    from: WithdrawalStatus,
    outcome: Result<(), GatewayError>,
) -> Result<Withdrawal, ApiError> {
    let id = &w.id;
    let result = match outcome {
        Ok(()) => {
            metrics::count("WithdrawalsSubmitted", 1);
            tracing::info!(withdrawal_id = %id, "withdrawal accepted by the gateway");
            deps.store
                .mark_withdrawal(id, from, WithdrawalStatus::Submitted, None)
                .await
        }
        Err(e) if already_taken(&e) => {
            // The gateway has this id already (an earlier send that we never heard back
            // from): it exists there, so it is submitted; its result comes by postback.
            tracing::info!(withdrawal_id = %id, "the gateway already has this withdrawal");
            deps.store
                .mark_withdrawal(id, from, WithdrawalStatus::Submitted, None)
                .await
        }
        Err(e) if e.is_outcome_unknown() => {
            metrics::count("WithdrawalsUnknown", 1);
            tracing::warn!(withdrawal_id = %id, error = %e, "withdrawal outcome unknown");
            if from == WithdrawalStatus::Unknown {
                return Ok(w.clone());
            }
            deps.store
                .mark_withdrawal(
                    id,
                    from,
                    WithdrawalStatus::Unknown,
                    Some("the gateway did not answer; being reconciled".into()),
                )
                .await
        }
        Err(e @ GatewayError::Unreachable { .. }) => {
            // Nothing reached the gateway: keep it as it is; reconciliation sends it again.
            tracing::warn!(withdrawal_id = %id, error = %e, "gateway unreachable; withdrawal not sent yet");
            return Ok(w.clone());
        }
        Err(e) => {
            // Refused (or never sendable): nothing happened at the gateway. Refund.
            let reason = match &e {
                GatewayError::Refused { message, .. } if !message.is_empty() => message.clone(),
                other => other.to_string(),
            };
            metrics::count("WithdrawalsRejected", 1);
            tracing::info!(withdrawal_id = %id, reason = %reason, "withdrawal refused by the gateway; refunding");
            deps.store
                .refund_withdrawal(id, &reason)
                .await
                .map(|s| match s {
                    payments::store::SettleOutcome::Applied { withdrawal, .. }
                    | payments::store::SettleOutcome::AlreadyApplied(withdrawal) => withdrawal,
                })
        }
    };
    match result {
        Ok(w) => Ok(w),
        // A postback settled it meanwhile (it is authoritative): show what is there now.
        Err(StoreError::StateConflict { .. }) => deps
            .store
            .get_withdrawal(id)
            .await?
            .ok_or_else(|| ApiError::Internal(format!("withdrawal {id} vanished"))),
        Err(e) => Err(e.into()),
    }
}

/// The gateway's refusal of a repeated `withdrawal_id` ("The withdrawal id has already been
/// taken."): proof that it received the withdrawal earlier.
pub(crate) fn already_taken(e: &GatewayError) -> bool {
    match e {
        GatewayError::Refused {
            message, fields, ..
        } => {
            let taken = |s: &str| s.to_ascii_lowercase().contains("already been taken");
            fields
                .get("withdrawal_id")
                .is_some_and(|msgs| msgs.iter().any(|m| taken(m)))
                || (taken(message) && message.to_ascii_lowercase().contains("withdrawal"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn refused(message: &str, fields: &[(&str, &str)]) -> GatewayError {
        GatewayError::Refused {
            message: message.into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect::<BTreeMap<_, _>>(),
            code: None,
            http_status: 400,
        }
    }

    #[test]
    fn record_keys_of_different_users_never_meet() {
        let a = idempotency_record_key(&Label::parse("a:b").unwrap(), "c");
        let b = idempotency_record_key(&Label::parse("a").unwrap(), "b:c");
        assert_ne!(a, b);
        let long =
            idempotency_record_key(&Label::parse(&"é".repeat(190)).unwrap(), &"k".repeat(255));
        assert!(long.len() <= 512 && long.starts_with("sha1:"));
        assert_eq!(
            long,
            idempotency_record_key(&Label::parse(&"é".repeat(190)).unwrap(), &"k".repeat(255))
        );
    }

    #[test]
    fn a_taken_id_is_recognised_and_nothing_else_is() {
        assert!(already_taken(&refused(
            "withdrawal_id: The withdrawal id has already been taken.",
            &[("withdrawal_id", "The withdrawal id has already been taken.")]
        )));
        assert!(!already_taken(&refused(
            "withdrawals_sum_amount: Insufficient balance",
            &[("withdrawals_sum_amount", "Insufficient balance")]
        )));
        assert!(!already_taken(&GatewayError::Unknown {
            reason: "timeout".into(),
            http_status: None
        }));
    }
}
