//! Scheduled reconciliation: the safety net under the postback webhook.
//!
//! One run:
//! 1. open deposits older than `RECONCILE_DEPOSIT_MIN_AGE_SECONDS` are looked up with
//!    `pullpostbacks` under every `custom_transaction_id` they used (in batches, following
//!    pagination); a found postback goes through [`crate::postbacks::apply_verified`], the
//!    webhook's own path, so it credits exactly once whichever arrives first. A deposit
//!    expires only when the gateway said "not found" for every attempt and it is older than
//!    `DEPOSIT_LIFETIME_SECONDS`, or `DEPOSIT_REVIEW_WINDOW_SECONDS` while the gateway is
//!    reviewing it (`processing`/`possible`, looked up every `DEPOSIT_REVIEW_LOOKUP_SECONDS`
//!    once past its lifetime). A `saving` deposit never expires (the gateway holds the money
//!    until the user's savings reach the minimum) and is looked up on that slow schedule too.
//!    A later payment still credits an expired deposit.
//! 2. open withdrawals older than `RECONCILE_WITHDRAWAL_MIN_AGE_SECONDS` are looked up by
//!    `withdrawal_id`; a found result goes through [`crate::withdrawals::apply_outgoing`].
//!    Only the gateway's word settles one: a `pending` one (provably never sent) is sent; an
//!    `unknown` one past `WITHDRAWAL_RESEND_GRACE_SECONDS` is held for a person, or re-sent once
//!    when `WITHDRAWAL_RESEND=after-not-found` and the gateway said twice, a grace apart, that
//!    it has no withdrawal with this id.
//! 3. the payment window's URL hashes are refreshed before they lapse.
//!
//! An id the gateway's answer does not mention is "not reported": nothing is decided on it.
//!
//! The run logs a summary (counts by outcome) and keeps it in the cache (`reconcile:last`)
//! for the admin API. It is idempotent: every effect is a guarded store verb, so a second run
//! over the same state changes nothing more.

pub mod hash_urls;
mod unbooked;

use std::collections::{BTreeMap, HashMap};

use paykassma::client::{FoundPostback, PullKind, PullOutcome, PulledPostback};
use payments::store::keys::OpenShard;
use payments::store::{
    Deposit, DepositUpdate, IdempotencyPut, IdempotencyRecord, PageRequest, Withdrawal,
};
use payments::{DepositStatus, StoreError, WithdrawalStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Deps;
use crate::http::{ApiError, rfc3339};
use crate::metrics;
use crate::postbacks::{ApplyOutcome, EntryEffect, Source, apply_verified};
use crate::settings::ResendPolicy;
use crate::withdrawals::attention::{self, Reason};
use crate::withdrawals::{self, OutgoingEffect, SendKind};

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
            "withdrawal_sent",
            "withdrawal_refused_refunded",
        ];
        CHANGES.iter().map(|c| self.count(c)).sum()
    }
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

/// Every open deposit created before `older_than`, in every shard of the open-work index,
/// oldest first ([`open_items`]).
pub async fn open_deposits(
    deps: &Deps,
    older_than: OffsetDateTime,
) -> Result<Vec<Deposit>, StoreError> {
    let mut out = open_items(deps, |shard, page| {
        deps.store.list_open_deposits(shard, older_than, page)
    })
    .await?;
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// Every open withdrawal created before `older_than`, in every shard, oldest first.
pub async fn open_withdrawals(
    deps: &Deps,
    older_than: OffsetDateTime,
) -> Result<Vec<Withdrawal>, StoreError> {
    let mut out = open_items(deps, |shard, page| {
        deps.store.list_open_withdrawals(shard, older_than, page)
    })
    .await?;
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// The items `list` pages out of every partition of the open-work index (the legacy one and
/// each shard), at most [`MAX_ITEMS`] in all, shared between the partitions: each gives at
/// most its share, oldest first, so one shard's backlog never starves another's items.
async fn open_items<T, F, Fut>(deps: &Deps, list: F) -> Result<Vec<T>, StoreError>
where
    F: Fn(OpenShard, PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<payments::store::Page<T>, StoreError>>,
{
    let shards = deps.store.open_shards();
    let share = MAX_ITEMS
        .div_ceil(usize::from(shards.count()) + 1)
        .max(PAGE);
    let mut out = Vec::new();
    for shard in shards.all() {
        let mut taken = 0;
        let mut page = PageRequest::first(PAGE);
        loop {
            let p = list(shard, page.clone()).await?;
            taken += p.items.len();
            out.extend(p.items);
            match p.next {
                Some(next) if taken < share => page.cursor = Some(next),
                _ => break,
            }
        }
    }
    Ok(out)
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
        attempts: None,
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

/// Where the last slow sweep of deposits under review was (unix seconds).
const REVIEW_SWEEP_KEY: &str = "reconcile:review-sweep";

/// The gateway is still reviewing it (`processing` after an activation, `possible`): its
/// documents say such checks "may take longer than expected"; or it holds the payment in the
/// user's savings (`saving`) until they reach the method's minimum, which may take as long as
/// the user takes to pay again.
fn under_review(d: &Deposit) -> bool {
    matches!(
        d.status,
        DepositStatus::Processing | DepositStatus::Possible | DepositStatus::Saving
    )
}

/// A time kept in the cache under `key` (unix seconds); `None` when absent or unreadable.
async fn cached_time(deps: &Deps, key: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    Ok(deps
        .store
        .get_cache(key)
        .await?
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()))
}

/// Keeps `at` in the cache under `key` until `until`.
async fn keep_time(
    deps: &Deps,
    key: &str,
    at: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<(), StoreError> {
    deps.store
        .put_cache(key, &at.unix_timestamp().to_string(), until)
        .await
}

/// True when the slow sweep (deposits under review past their lifetime) is due this run.
async fn review_sweep_due(deps: &Deps, now: OffsetDateTime) -> bool {
    let every = to_time(deps.settings.reconcile.deposit_review_lookup_every);
    match cached_time(deps, REVIEW_SWEEP_KEY).await {
        Ok(last) => last.is_none_or(|last| now - last >= every),
        // Unreadable: look them up (a lookup decides nothing by itself).
        Err(_) => true,
    }
}

/// One deposit postback the gateway reported, applied through the webhook's path.
async fn apply_found(
    deps: &Deps,
    d: &Deposit,
    found: &FoundPostback,
) -> Result<&'static str, String> {
    match apply_verified(deps, &found.raw, Source::Gateway).await {
        Ok(ApplyOutcome::Deposit(items)) => {
            let mine = items.iter().find(|i| i.deposit_id.as_ref() == Some(&d.id));
            Ok(match mine.map(|i| (&i.key, &i.effect)) {
                Some((_, EntryEffect::Credited)) => {
                    tracing::info!(deposit_id = %d.id, "reconciliation credited a deposit whose postback was missed");
                    "deposit_credited"
                }
                Some((key, EntryEffect::Duplicate)) => close_booked(deps, d, key).await,
                Some((_, EntryEffect::Unbooked(_) | EntryEffect::Awaiting)) => "deposit_unbooked",
                None => "deposit_postback_mismatched",
            })
        }
        Ok(ApplyOutcome::Withdrawal(_)) => Ok("deposit_postback_mismatched"),
        Err(e) => Err(format!("deposit {}: {e}", d.id)),
    }
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
    let lifetime_ends = now - to_time(cfg.deposit_lifetime);
    let review_ends = now - to_time(cfg.deposit_review_window);
    let sweep = review_sweep_due(deps, now).await;
    // Past their lifetime, deposits under review are looked up on the slower schedule only.
    let (due, later): (Vec<Deposit>, Vec<Deposit>) = open
        .into_iter()
        .partition(|d| sweep || d.created_at > lifetime_ends || !under_review(d));
    for _ in &later {
        summary.add("deposit_review_later");
    }
    if due.is_empty() {
        return Ok(());
    }
    let refs: Vec<String> = due.iter().flat_map(Deposit::order_refs).collect();
    // No answer from the gateway proves nothing: nothing expires without a lookup.
    let pulled = by_id(
        deps.gateway
            .pull_all_postbacks(PullKind::Deposit, &refs, cfg.batch_size)
            .await?,
    );
    for d in due {
        summary.add("deposit_checked");
        let reports: Vec<Option<&PullOutcome>> =
            d.order_refs().iter().map(|r| pulled.get(r)).collect();
        let found: Vec<&FoundPostback> = reports
            .iter()
            .filter_map(|r| match r {
                Some(PullOutcome::Found(f)) => Some(&**f),
                _ => None,
            })
            .collect();
        if !found.is_empty() {
            for f in found {
                match apply_found(deps, &d, f).await {
                    Ok(outcome) => summary.add(outcome),
                    Err(e) => summary.errors.push(e),
                }
            }
            continue;
        }
        if let Some(reason) = reports.iter().find_map(|r| match r {
            Some(PullOutcome::Malformed { reason, .. }) => Some(reason),
            _ => None,
        }) {
            summary
                .errors
                .push(format!("deposit {}: unreadable postback: {reason}", d.id));
            continue;
        }
        if reports.iter().any(Option::is_none) {
            // An id the answer does not mention is not reported: nothing is decided on it.
            summary.add("deposit_not_reported");
            continue;
        }
        // The gateway said "not found" for every attempt.
        if d.status == DepositStatus::Saving {
            // Saved money has no postback until the savings are complete: "not found" is
            // expected, and the deposit never expires (the gateway holds the money).
            summary.add("deposit_saving");
            continue;
        }
        let expires_before = if under_review(&d) {
            review_ends
        } else {
            lifetime_ends
        };
        if d.created_at > expires_before {
            summary.add(if under_review(&d) {
                "deposit_under_review"
            } else {
                "deposit_waiting"
            });
            continue;
        }
        let update = DepositUpdate {
            message: Some("no payment arrived in time".into()),
            ..DepositUpdate::default()
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
    if sweep && let Err(e) = keep_time(deps, REVIEW_SWEEP_KEY, now, now + LAST_RUN_TTL).await {
        summary.errors.push(format!("review sweep time: {e}"));
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
            .pull_all_postbacks(PullKind::Withdrawal, &ids, cfg.batch_size)
            .await?,
    );
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
            Some(PullOutcome::NotFound { message }) => not_found(deps, &w, message, now).await,
            // Not mentioned in the answer: not reported, and nothing is decided on it.
            None => "withdrawal_not_reported",
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

/// Where the first "Withdrawal with this ID not found" for a withdrawal was seen.
fn not_found_key(w: &Withdrawal) -> String {
    format!("withdrawal-not-found:{}", w.id)
}

/// The claim that makes the automatic re-send happen at most once per withdrawal.
const RESEND_SCOPE: &str = "withdrawal-resend";

/// A withdrawal the gateway has no postback for. `pending` ones were provably never sent:
/// sent now (their first send). `submitted` ones wait for their result. `unknown` ones past
/// the grace are re-sent only when allowed and proven unknown to the gateway twice; every
/// other one is held for a person.
async fn not_found(
    deps: &Deps,
    w: &Withdrawal,
    message: &str,
    now: OffsetDateTime,
) -> &'static str {
    let cfg = &deps.settings.reconcile;
    let grace = to_time(cfg.withdrawal_resend_grace);
    match w.status {
        WithdrawalStatus::Pending => match withdrawals::send(deps, w, SendKind::First).await {
            Ok(after) => match after.status {
                WithdrawalStatus::Submitted => "withdrawal_sent",
                WithdrawalStatus::Rejected => "withdrawal_refused_refunded",
                WithdrawalStatus::Processed => "withdrawal_processed",
                WithdrawalStatus::Unknown => "withdrawal_still_unknown",
                WithdrawalStatus::Pending => "withdrawal_unsent",
            },
            Err(e) => {
                tracing::warn!(withdrawal_id = %w.id, error = %e, "send not recorded");
                "withdrawal_send_failed"
            }
        },
        WithdrawalStatus::Unknown if now - w.created_at < grace => "withdrawal_waiting_grace",
        WithdrawalStatus::Unknown => {
            let answer = format!("pullpostbacks: {message}");
            let denies = denies_knowing(message);
            if denies && cfg.withdrawal_resend == ResendPolicy::AfterNotFound {
                match resend_gate(deps, w, now, grace).await {
                    Gate::Wait => return "withdrawal_not_found_once",
                    Gate::Resend => return resend(deps, w).await,
                    Gate::Spent => {}
                }
            }
            let reason = if denies {
                Reason::NotFound
            } else {
                Reason::OutcomeUnknown
            };
            attention::flag(deps, w, reason, &answer).await;
            "withdrawal_needs_attention"
        }
        _ => "withdrawal_waiting",
    }
}

enum Gate {
    /// The first "not found", or the second came too soon: wait.
    Wait,
    /// Two "not found" at least the grace apart, and this run holds the one re-send.
    Resend,
    /// The one re-send was made already.
    Spent,
}

async fn resend_gate(
    deps: &Deps,
    w: &Withdrawal,
    now: OffsetDateTime,
    grace: time::Duration,
) -> Gate {
    let key = not_found_key(w);
    let first = match cached_time(deps, &key).await {
        Ok(first) => first,
        Err(e) => {
            tracing::warn!(withdrawal_id = %w.id, error = %e, "cannot read the first not-found time");
            return Gate::Wait;
        }
    };
    let Some(first) = first else {
        if let Err(e) = keep_time(deps, &key, now, now + time::Duration::days(30)).await {
            tracing::warn!(withdrawal_id = %w.id, error = %e, "cannot keep the first not-found time");
        }
        return Gate::Wait;
    };
    if now - first < grace {
        return Gate::Wait;
    }
    let claim = IdempotencyRecord {
        scope: RESEND_SCOPE.into(),
        key: w.id.to_string(),
        request_hash: String::new(),
        response: format!("re-sent by reconciliation at {}", rfc3339(now)),
        created_at: now,
        // Kept as long as any withdrawal could still be open.
        expires_at: now + time::Duration::days(3650),
    };
    match deps.store.put_idempotency(claim).await {
        Ok(IdempotencyPut::Stored) => Gate::Resend,
        Ok(IdempotencyPut::Existing(_)) => Gate::Spent,
        Err(e) => {
            tracing::warn!(withdrawal_id = %w.id, error = %e, "cannot claim the re-send");
            Gate::Wait
        }
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

/// The one automatic re-send of an `unknown` withdrawal, same id and same signed fields.
/// No answer to it refunds anything: the gateway may still hold the first send.
async fn resend(deps: &Deps, w: &Withdrawal) -> &'static str {
    tracing::warn!(withdrawal_id = %w.id, "re-sending a withdrawal the gateway twice said it does not know");
    match withdrawals::send(deps, w, SendKind::Again).await {
        Ok(after) => match after.status {
            WithdrawalStatus::Submitted => "withdrawal_resent",
            WithdrawalStatus::Processed => "withdrawal_processed",
            WithdrawalStatus::Rejected => "withdrawal_refunded",
            WithdrawalStatus::Unknown | WithdrawalStatus::Pending => "withdrawal_resend_unanswered",
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
