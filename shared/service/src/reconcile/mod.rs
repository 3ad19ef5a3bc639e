//! Scheduled reconciliation: the safety net under the postback webhook.
//!
//! One run:
//! 1. open deposits older than `RECONCILE_DEPOSIT_MIN_AGE_SECONDS` are looked up with
//!    `pullpostbacks` by `plugin_custom_order_id` (in batches, following pagination); a found
//!    postback goes through [`crate::postbacks::apply_verified`], the webhook's own path, so it
//!    credits exactly once whichever arrives first. Deposits older than
//!    `DEPOSIT_LIFETIME_SECONDS` with no postback expire (a later payment still credits them).
//! 2. open withdrawals older than `RECONCILE_WITHDRAWAL_MIN_AGE_SECONDS` are looked up by
//!    `withdrawal_id`; a found result goes through
//!    [`crate::withdrawals::apply_outgoing`]. A `pending`/`unknown` one without a postback is
//!    re-sent after `WITHDRAWAL_RESEND_GRACE_SECONDS` with the same `withdrawal_id` and the
//!    same signed fields (the gateway refuses a repeated id, so it can never pay twice; that
//!    refusal proves it has the withdrawal). A re-send refused for another reason proves it
//!    was never taken: refunded.
//! 3. the payment window's URL hashes are refreshed before they lapse.
//!
//! The run logs a summary (counts by outcome) and keeps it in the cache (`reconcile:last`)
//! for the admin API. It is idempotent: every effect is a guarded store verb, so a second run
//! over the same state changes nothing more.

pub mod hash_urls;
mod unbooked;

use std::collections::{BTreeMap, HashMap};

use paykassma::client::{Error as GatewayError, PostbackKind, PullOutcome, PulledPostback};
use payments::store::{Deposit, DepositUpdate, PageRequest, Withdrawal};
use payments::{DepositStatus, StoreError, WithdrawalStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Deps;
use crate::http::ApiError;
use crate::metrics;
use crate::postbacks::{ApplyOutcome, EntryEffect, Source, apply_verified};
use crate::withdrawals::{self, OutgoingEffect};

/// Where the last run's summary is kept.
pub const LAST_RUN_KEY: &str = "reconcile:last";

/// How long the last summary is kept (it is replaced by every run).
const LAST_RUN_TTL: time::Duration = time::Duration::days(30);

/// Items read from the store per page.
const PAGE: usize = 100;

/// At most this many open items per kind are looked at in one run (the oldest first); the
/// rest wait for the next run. Keeps a run inside the Lambda timeout after an outage.
const MAX_ITEMS: usize = 5_000;

/// What one run did: counts by outcome, and the problems it met.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileSummary {
    pub started_at: String,
    pub finished_at: String,
    /// e.g. `deposit_credited`, `deposit_expired`, `withdrawal_processed`,
    /// `withdrawal_resent`, `hash_urls_refreshed`.
    pub counts: BTreeMap<String, u64>,
    /// Problems that stopped part of the run (the rest went on).
    pub errors: Vec<String>,
}

impl ReconcileSummary {
    fn add(&mut self, outcome: &str) {
        *self.counts.entry(outcome.to_string()).or_default() += 1;
    }

    pub fn count(&self, outcome: &str) -> u64 {
        self.counts.get(outcome).copied().unwrap_or(0)
    }

    /// Items whose state this run changed (credited, expired, settled, re-sent...).
    pub fn findings(&self) -> u64 {
        const CHANGES: &[&str] = &[
            "deposit_credited",
            "deposit_closed_already_credited",
            "unbooked_booked",
            "deposit_expired",
            "withdrawal_processed",
            "withdrawal_refunded",
            "withdrawal_confirmed",
            "withdrawal_resent",
            "withdrawal_refunded_after_resend",
        ];
        CHANGES.iter().map(|c| self.count(c)).sum()
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn to_time(d: std::time::Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

/// One reconciliation run. Problems with one part are recorded in the summary and the other
/// parts still run; only storing the summary can fail the whole run.
pub async fn run(deps: &Deps) -> Result<ReconcileSummary, ApiError> {
    let started = deps.clock.now();
    let mut summary = ReconcileSummary {
        started_at: rfc3339(started),
        ..Default::default()
    };
    if let Err(e) = deposits(deps, started, &mut summary).await {
        summary.errors.push(format!("deposits: {e}"));
    }
    if let Err(e) = withdrawals(deps, started, &mut summary).await {
        summary.errors.push(format!("withdrawals: {e}"));
    }
    if let Err(e) = unbooked::retry_awaiting(deps, &mut summary).await {
        summary.errors.push(format!("unbooked postbacks: {e}"));
    }
    match hash_urls::refresh_if_due(deps).await {
        Ok(r) => summary.add(&format!("hash_urls_{}", r.as_str())),
        Err(e) => summary.errors.push(format!("hash urls: {e}")),
    }
    summary.finished_at = rfc3339(deps.clock.now());
    let findings = summary.findings();
    metrics::count("ReconcileFindings", findings);
    if !summary.errors.is_empty() {
        metrics::count("ReconcileErrors", summary.errors.len() as u64);
    }
    tracing::info!(
        counts = ?summary.counts,
        errors = ?summary.errors,
        findings,
        "reconciliation run finished"
    );
    let text = serde_json::to_string(&summary)
        .map_err(|e| ApiError::Internal(format!("cannot encode the summary: {e}")))?;
    deps.store
        .put_cache(LAST_RUN_KEY, &text, deps.clock.now() + LAST_RUN_TTL)
        .await?;
    Ok(summary)
}

/// The last run's summary, if one was kept.
pub async fn last_run(deps: &Deps) -> Result<Option<ReconcileSummary>, ApiError> {
    let Some(text) = deps.store.get_cache(LAST_RUN_KEY).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&text).ok())
}

/// Every open deposit created before `older_than` (oldest first, at most [`MAX_ITEMS`]).
pub async fn open_deposits(
    deps: &Deps,
    older_than: OffsetDateTime,
) -> Result<Vec<Deposit>, StoreError> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(PAGE);
    loop {
        let p = deps
            .store
            .list_open_deposits(older_than, page.clone())
            .await?;
        out.extend(p.items);
        match p.next {
            Some(next) if out.len() < MAX_ITEMS => page.cursor = Some(next),
            _ => return Ok(out),
        }
    }
}

/// Every open withdrawal created before `older_than` (oldest first, at most [`MAX_ITEMS`]).
pub async fn open_withdrawals(
    deps: &Deps,
    older_than: OffsetDateTime,
) -> Result<Vec<Withdrawal>, StoreError> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(PAGE);
    loop {
        let p = deps
            .store
            .list_open_withdrawals(older_than, page.clone())
            .await?;
        out.extend(p.items);
        match p.next {
            Some(next) if out.len() < MAX_ITEMS => page.cursor = Some(next),
            _ => return Ok(out),
        }
    }
}

/// An open deposit whose payment was booked before (under `key`) without moving it: closed
/// now, status only (the money was credited with that booking), when the booking credited the
/// deposit's owner. Anything else is for a person.
async fn close_booked(deps: &Deps, d: &Deposit, key: &str) -> &'static str {
    let booked = match deps.store.get_postback(key).await {
        Ok(Some(p)) => p,
        Ok(None) => return "deposit_already_credited",
        Err(e) => {
            tracing::warn!(deposit_id = %d.id, error = %e, "cannot read the booking of an open deposit");
            return "deposit_already_credited";
        }
    };
    if booked.label.as_ref() != Some(&d.label) {
        tracing::error!(deposit_id = %d.id, %key,
            "an open deposit's payment was booked to another label; left for a person");
        return "deposit_booked_elsewhere";
    }
    let update = DepositUpdate {
        activation_key: None,
        message: Some(format!("credited by the payment booked as {key}")),
    };
    match deps
        .store
        .update_deposit_status(&d.id, d.status, DepositStatus::Credited, update)
        .await
    {
        Ok(_) => "deposit_closed_already_credited",
        Err(_) => "deposit_moved",
    }
}

fn by_id(items: Vec<PulledPostback>) -> HashMap<String, PullOutcome> {
    items.into_iter().map(|p| (p.id, p.outcome)).collect()
}

async fn deposits(
    deps: &Deps,
    now: OffsetDateTime,
    summary: &mut ReconcileSummary,
) -> Result<(), ApiError> {
    let cfg = &deps.settings.reconcile;
    let open = open_deposits(deps, now - to_time(cfg.deposit_min_age)).await?;
    if open.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = open.iter().map(|d| d.id.to_string()).collect();
    // No answer from the gateway proves nothing: nothing expires without a lookup.
    let pulled = by_id(
        deps.gateway
            .pull_all_postbacks(PostbackKind::Deposit, &ids, cfg.batch_size)
            .await?,
    );
    let expire_before = now - to_time(cfg.deposit_lifetime);
    for d in open {
        summary.add("deposit_checked");
        match pulled.get(d.id.as_str()) {
            Some(PullOutcome::Found(found)) => {
                match apply_verified(deps, &found.raw, Source::Gateway).await {
                    Ok(ApplyOutcome::Deposit(items)) => {
                        let mine = items.iter().find(|i| i.deposit_id.as_ref() == Some(&d.id));
                        match mine.map(|i| (&i.key, &i.effect)) {
                            Some((_, EntryEffect::Credited)) => {
                                tracing::info!(deposit_id = %d.id, "reconciliation credited a deposit whose postback was missed");
                                summary.add("deposit_credited")
                            }
                            Some((key, EntryEffect::Duplicate)) => {
                                summary.add(close_booked(deps, &d, key).await)
                            }
                            Some((_, EntryEffect::Unbooked(_) | EntryEffect::Awaiting)) => {
                                summary.add("deposit_unbooked")
                            }
                            None => summary.add("deposit_postback_mismatched"),
                        }
                    }
                    Ok(ApplyOutcome::Withdrawal(_)) => summary.add("deposit_postback_mismatched"),
                    Err(e) => summary.errors.push(format!("deposit {}: {e}", d.id)),
                }
            }
            Some(PullOutcome::Malformed { reason, .. }) => summary
                .errors
                .push(format!("deposit {}: unreadable postback: {reason}", d.id)),
            Some(PullOutcome::NotFound { .. }) | None => {
                if d.created_at > expire_before {
                    summary.add("deposit_waiting");
                    continue;
                }
                let update = DepositUpdate {
                    activation_key: None,
                    message: Some("no payment arrived in time".into()),
                };
                match deps
                    .store
                    .update_deposit_status(&d.id, d.status, DepositStatus::Expired, update)
                    .await
                {
                    Ok(_) => summary.add("deposit_expired"),
                    // Moved meanwhile (credited by a webhook): nothing to do.
                    Err(StoreError::StateConflict { .. } | StoreError::Transition(_)) => {
                        summary.add("deposit_moved")
                    }
                    Err(e) => summary.errors.push(format!("deposit {}: {e}", d.id)),
                }
            }
        }
    }
    Ok(())
}

async fn withdrawals(
    deps: &Deps,
    now: OffsetDateTime,
    summary: &mut ReconcileSummary,
) -> Result<(), ApiError> {
    let cfg = &deps.settings.reconcile;
    let open = open_withdrawals(deps, now - to_time(cfg.withdrawal_min_age)).await?;
    if open.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = open.iter().map(|w| w.id.to_string()).collect();
    let pulled = by_id(
        deps.gateway
            .pull_all_postbacks(PostbackKind::Withdrawal, &ids, cfg.batch_size)
            .await?,
    );
    let resend_before = now - to_time(cfg.withdrawal_resend_grace);
    for w in open {
        summary.add("withdrawal_checked");
        let outcome = match pulled.get(w.id.as_str()) {
            Some(PullOutcome::Found(found)) => {
                match apply_verified(deps, &found.raw, Source::Gateway).await {
                    Ok(ApplyOutcome::Withdrawal(o)) => {
                        let mine = o
                            .items
                            .iter()
                            .find(|i| i.withdrawal_id.as_deref() == Some(w.id.as_str()))
                            .map(|i| i.effect.clone());
                        match mine {
                            Some(OutgoingEffect::Processed) => "withdrawal_processed",
                            Some(OutgoingEffect::Refunded) => "withdrawal_refunded",
                            Some(OutgoingEffect::Duplicate) => "withdrawal_already_settled",
                            Some(OutgoingEffect::Late { .. }) => "withdrawal_late_status",
                            // The gateway has it, without a result yet.
                            Some(OutgoingEffect::NotFinal { .. }) => confirm_known(deps, &w).await,
                            Some(OutgoingEffect::UnknownWithdrawal) | None => {
                                "withdrawal_postback_unmatched"
                            }
                        }
                    }
                    Ok(_) => "withdrawal_postback_mismatched",
                    Err(e) => {
                        summary.errors.push(format!("withdrawal {}: {e}", w.id));
                        continue;
                    }
                }
            }
            Some(PullOutcome::Malformed { reason, .. }) => {
                summary.errors.push(format!(
                    "withdrawal {}: unreadable postback: {reason}",
                    w.id
                ));
                continue;
            }
            Some(PullOutcome::NotFound { message }) if denies_knowing(message) => {
                due_or_waiting(deps, &w, resend_before, true).await
            }
            Some(PullOutcome::NotFound { .. }) | None => {
                due_or_waiting(deps, &w, resend_before, false).await
            }
        };
        summary.add(outcome);
    }
    Ok(())
}

/// The gateway's per-id answer says it has no withdrawal with this id ("Withdrawal with this
/// ID not found"), not merely no postback yet ("Postback not found").
fn denies_knowing(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("withdrawal") && m.contains("not found")
}

/// A withdrawal without a postback: `pending`/`unknown` ones past the grace are re-sent.
async fn due_or_waiting(
    deps: &Deps,
    w: &Withdrawal,
    resend_before: OffsetDateTime,
    gateway_denies_knowing: bool,
) -> &'static str {
    match w.status {
        WithdrawalStatus::Pending | WithdrawalStatus::Unknown if w.created_at <= resend_before => {
            resend(deps, w, gateway_denies_knowing).await
        }
        WithdrawalStatus::Pending | WithdrawalStatus::Unknown => "withdrawal_waiting_grace",
        _ => "withdrawal_waiting",
    }
}

/// The gateway reported a non-final status: it has the withdrawal, so an `unknown` or
/// `pending` one is `submitted`.
async fn confirm_known(deps: &Deps, w: &Withdrawal) -> &'static str {
    if w.status == WithdrawalStatus::Submitted {
        return "withdrawal_waiting";
    }
    match deps
        .store
        .mark_withdrawal(&w.id, w.status, WithdrawalStatus::Submitted, None)
        .await
    {
        Ok(_) => "withdrawal_confirmed",
        Err(e) => {
            tracing::warn!(withdrawal_id = %w.id, error = %e, "could not mark as submitted");
            "withdrawal_moved"
        }
    }
}

/// Sends a withdrawal the gateway has no postback for again, with the same id and fields.
/// A refusal of the re-send refunds it only when the gateway also said it has no withdrawal
/// with this id: a gateway that has it but checks something else first (its balance) must not
/// make us refund money it may still pay out. Such a case is kept and flagged.
async fn resend(deps: &Deps, w: &Withdrawal, gateway_denies_knowing: bool) -> &'static str {
    tracing::info!(withdrawal_id = %w.id, status = %w.status, "re-sending a withdrawal the gateway has not reported");
    let outcome = deps
        .gateway
        .create_withdrawal(&withdrawals::gateway_request(w, false))
        .await
        .map(|_| ());
    if let Err(e @ GatewayError::Refused { .. }) = &outcome
        && !withdrawals::already_taken(e)
        && !gateway_denies_knowing
    {
        tracing::error!(
            withdrawal_id = %w.id,
            error = %e,
            "re-send refused, but the gateway did not deny having this withdrawal: kept for an operator"
        );
        return "withdrawal_needs_attention";
    }
    let taken = matches!(&outcome, Err(e) if withdrawals::already_taken(e));
    match withdrawals::settle_send(deps, w, w.status, outcome).await {
        Ok(after) => match after.status {
            // The re-send was refused as a repeated id: the gateway had it all along.
            WithdrawalStatus::Submitted if taken => "withdrawal_confirmed",
            WithdrawalStatus::Submitted => "withdrawal_resent",
            WithdrawalStatus::Rejected => "withdrawal_refunded_after_resend",
            WithdrawalStatus::Processed => "withdrawal_processed",
            WithdrawalStatus::Unknown => "withdrawal_still_unknown",
            WithdrawalStatus::Pending => "withdrawal_unsent",
        },
        Err(e) => {
            tracing::warn!(withdrawal_id = %w.id, error = %e, "re-send not recorded");
            "withdrawal_resend_failed"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unknown_id_counts_as_never_received() {
        assert!(denies_knowing("Withdrawal with this ID not found"));
        assert!(!denies_knowing("Postback not found"));
        assert!(!denies_knowing(""));
    }
}
