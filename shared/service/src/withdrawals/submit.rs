//! `POST /v1/withdrawals`: debit and record in one transaction, then send the signed request
//! to the gateway under a `withdrawal_id` derived from the `Idempotency-Key`.
//!
//! It is marked `unknown` before the call (a crash mid-call must not look unsent). Then:
//! - accepted: `submitted`; its result comes by postback;
//! - refused by the gateway (its business answer): `rejected`, refunded in one transaction,
//!   its message kept;
//! - timeout, reset, 5xx or an unreadable answer: stays `unknown` (no refund, no new id:
//!   reconciliation asks the gateway, or a person decides);
//! - not sent at all (connection refused): `pending` again; reconciliation sends it later
//!   with the same id.
//!
//! A retry with the same key and body replays the first answer; a retry that raced the first
//! request (or followed a crash) finds the same withdrawal by its derived id and answers its
//! current state; the same key with another body is refused.

use axum::http::StatusCode;
use paykassma::client::{Error as GatewayError, WithdrawalFormat};
use payments::store::{IdempotencyPut, IdempotencyRecord, NewWithdrawal, Withdrawal};
use payments::{Label, StoreError, WithdrawalStatus};
use serde::{Deserialize, Serialize};
use sha1::Digest;

use super::order::{
    REQUEST_HASH, WithdrawalBody, gateway_request, request_format, withdrawal_id_for,
};
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

    // The operators' switch for the method, before any money moves.
    super::methods::check_allowed(deps, &order).await?;
    let format = if deps
        .settings
        .withdrawal_legacy_systems
        .contains(&order.payment_system)
    {
        WithdrawalFormat::Legacy
    } else {
        WithdrawalFormat::Current
    };
    let id = withdrawal_id_for(label, idempotency_key);
    let now = deps.clock.now();
    let created = deps
        .store
        .create_withdrawal_with_debit(NewWithdrawal {
            id: id.clone(),
            label: label.clone(),
            money: order.money,
            payment_system: order.payment_system.clone(),
            details: order.details(format),
            created_at: now,
        })
        .await;
    let withdrawal = match created {
        // Just debited: its first send.
        Ok(w) => send(deps, &w, SendKind::First).await?,
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

/// Which send this is: it decides what a refusal proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendKind {
    /// Nothing of this withdrawal reached the gateway before (it was `pending`): a definite
    /// refusal proves it was never taken, so it is refunded.
    First,
    /// A re-send of an `unknown` one: the gateway may hold the first send, so no answer to
    /// this one refunds anything.
    Again,
}

/// The withdrawal as stored now (after someone else moved it).
async fn current(deps: &Deps, id: &payments::WithdrawalId) -> Result<Withdrawal, ApiError> {
    deps.store
        .get_withdrawal(id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("withdrawal {id} vanished")))
}

/// Sends `w` (a `pending` one as its first send, an `unknown` one as a re-send) and records
/// what the gateway said. A `pending` one is marked `unknown` before the call, so a crash or a
/// timeout mid-call leaves it `unknown` (maybe sent), never `pending` (safe to send).
pub(crate) async fn send(
    deps: &Deps,
    w: &Withdrawal,
    kind: SendKind,
) -> Result<Withdrawal, ApiError> {
    let w = match (w.status, kind) {
        (WithdrawalStatus::Pending, SendKind::First) => {
            let marked = deps
                .store
                .mark_withdrawal(
                    &w.id,
                    WithdrawalStatus::Pending,
                    WithdrawalStatus::Unknown,
                    Some("sent to the gateway; waiting for its answer".into()),
                )
                .await;
            match marked {
                Ok(w) => w,
                // Another sender, or a postback, got there first: nothing to send.
                Err(StoreError::StateConflict { .. }) => return current(deps, &w.id).await,
                Err(e) => return Err(e.into()),
            }
        }
        (WithdrawalStatus::Unknown, SendKind::Again) => w.clone(),
        _ => return Ok(w.clone()),
    };
    let outcome = deps
        .gateway
        .create_withdrawal_as(&gateway_request(&w, false), request_format(&w))
        .await
        .map(|_| ());
    settle_send(deps, &w, kind, outcome).await
}

/// A refusal that proves the gateway did not take the withdrawal: its business answer
/// (`{"status":"fail",...}` under 500, not a rate limit, not "already taken"), or a request we
/// could not even build. The reason is kept on the withdrawal.
fn definite_refusal(e: &GatewayError) -> Option<String> {
    match e {
        GatewayError::Refused {
            message,
            http_status,
            ..
        } if *http_status < 500 && *http_status != 429 && !already_taken(e) => {
            Some(if message.is_empty() {
                e.to_string()
            } else {
                message.clone()
            })
        }
        GatewayError::Request(reason) => Some(format!("not sendable: {reason}")),
        _ => None,
    }
}

/// What a send's answer means for `w` (marked `unknown` for the call). Only positive
/// evidence moves it: accepted or "already taken" -> `submitted`; a definite refusal of the
/// first send -> refunded; never sent -> `pending` again (first sends only). Everything else
/// leaves it `unknown` for reconciliation, and what proves nothing is held for a person.
async fn settle_send(
    deps: &Deps,
    w: &Withdrawal,
    kind: SendKind,
    outcome: Result<(), GatewayError>,
) -> Result<Withdrawal, ApiError> {
    let id = &w.id;
    let from = w.status;
    let mark = |to: WithdrawalStatus, message: Option<String>| async move {
        deps.store.mark_withdrawal(id, from, to, message).await
    };
    let result = match outcome {
        Ok(()) => {
            metrics::count("WithdrawalsSubmitted", 1);
            tracing::info!(withdrawal_id = %id, ?kind, "withdrawal accepted by the gateway");
            mark(WithdrawalStatus::Submitted, None).await
        }
        Err(e) if already_taken(&e) => {
            // The gateway has this id already (an earlier send that we never heard back
            // from): it exists there, so it is submitted; its result comes by postback.
            tracing::info!(withdrawal_id = %id, "the gateway already has this withdrawal");
            mark(WithdrawalStatus::Submitted, None).await
        }
        Err(e @ GatewayError::Unreachable { .. }) if kind == SendKind::First => {
            // No byte reached the gateway: provably not sent; reconciliation sends it later.
            tracing::warn!(withdrawal_id = %id, error = %e, "gateway unreachable; withdrawal not sent yet");
            mark(
                WithdrawalStatus::Pending,
                Some("the gateway could not be reached; it is sent again shortly".into()),
            )
            .await
        }
        Err(e) => match (definite_refusal(&e), kind) {
            (Some(reason), SendKind::First) => {
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
            (Some(reason), SendKind::Again) => {
                super::attention::flag(
                    deps,
                    w,
                    super::attention::Reason::ResendRefused,
                    &format!("re-send refused: {reason}"),
                )
                .await;
                return Ok(w.clone());
            }
            (None, _) if e.is_outcome_unknown() => {
                metrics::count("WithdrawalsUnknown", 1);
                tracing::warn!(withdrawal_id = %id, error = %e, "withdrawal outcome unknown; being reconciled");
                return Ok(w.clone());
            }
            (None, _) => {
                // A 404, a rate limit, a 5xx refusal, or a re-send that never left: none
                // proves whether the gateway holds the withdrawal.
                super::attention::flag(
                    deps,
                    w,
                    super::attention::Reason::SendUnclear,
                    &format!("send ({kind:?}) answered: {e}"),
                )
                .await;
                return Ok(w.clone());
            }
        },
    };
    match result {
        Ok(w) => Ok(w),
        // A postback settled it meanwhile (it is authoritative): show what is there now.
        Err(StoreError::StateConflict { .. }) => current(deps, id).await,
        Err(e) => Err(e.into()),
    }
}

/// The gateway's refusal of a repeated `withdrawal_id` ("The withdrawal id has already been
/// taken."): proof that it received the withdrawal earlier.
fn already_taken(e: &GatewayError) -> bool {
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
