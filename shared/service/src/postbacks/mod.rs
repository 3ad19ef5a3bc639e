//! The gateway's postback webhook: size limit, optional source-IP allowlist, signature check on
//! the raw bytes, then [`apply_verified`], the one apply path shared with reconciliation.
//!
//! What decides money is only what is vouched for ([`signed`]): under the (P) scheme the
//! entries of `additional_data`, under (W) the whole body, and for a body we fetched from the
//! gateway ourselves, the whole body. Each payment entry is booked on its own under its own
//! dedupe key ([`deposit`]); withdrawal results go to `crate::withdrawals::apply_outgoing`.
//! A verified payment that cannot be booked is kept as *unbooked* before we answer
//! ([`crate::admin`] lists and resolves them), so no verified postback is lost.

pub mod deposit;
pub mod redact;
pub mod review;
pub mod signed;

use paykassma::credentials::PreviousKeys;
use paykassma::php::PhpValue;
use paykassma::postback::Postback;
use paykassma::signature::{PostbackKeys, Scheme, VerifyError, check_parsed_postback, parse_body};

use crate::Deps;
use crate::http::{ApiError, MAX_BODY_BYTES};
use crate::metrics;
use crate::withdrawals::{OutgoingOutcome, apply_outgoing};

pub use deposit::{EntryEffect, EntryResult, UnbookedReason};
use signed::{Signed, Trust};

/// Where a verified body came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Posted to our webhook; `body_sha256` of the bytes as received (kept in the audit copy).
    Webhook { body_sha256: String },
    /// Fetched by our own authenticated call to the gateway (reconciliation): its word.
    Gateway,
    /// Our own unbooked record of a body verified when it arrived (its audit copy), applied
    /// again by reconciliation: trusted as it was on arrival.
    Stored,
}

/// What applying a verified postback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Payments, entry by entry.
    Deposit(Vec<EntryResult>),
    /// Withdrawal results, entry by entry.
    Withdrawal(OutgoingOutcome),
}

impl ApplyOutcome {
    /// True when some entry waits for the gateway to confirm its owner: the webhook answers
    /// 503 so the gateway delivers again (nothing was credited for that entry).
    pub fn awaits_gateway(&self) -> bool {
        matches!(self, Self::Deposit(items) if items.iter().any(|i| i.effect == EntryEffect::Awaiting))
    }
}

/// The webhook: `raw` is the body exactly as received, `source_ip` what API Gateway saw.
/// 200 only once every entry is booked, a duplicate, or kept as unbooked.
pub async fn receive(
    deps: &Deps,
    raw: &[u8],
    source_ip: Option<&str>,
) -> Result<ApplyOutcome, ApiError> {
    metrics::count("PostbackReceived", 1);
    if raw.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let allowed = &deps.settings.postback_allowed_ips;
    if !allowed.is_empty() {
        let ip = source_ip.and_then(|s| s.parse::<std::net::IpAddr>().ok());
        if !ip.is_some_and(|ip| allowed.contains(&ip)) {
            tracing::warn!(source_ip = ?source_ip, "postback from an address not allowed");
            metrics::count("PostbackSignatureRejected", 1);
            return Err(ApiError::Forbidden("source address not allowed".into()));
        }
    }
    let keys = deps.postback_key_set().await;
    let body = match verify(deps, &keys, raw) {
        Ok(body) => body,
        Err(VerifyError::Malformed(m)) => return Err(ApiError::Malformed(m)),
        Err(e) => {
            // Nothing is stored for a forged or misconfigured postback: a log line and a count.
            tracing::warn!(reason = %e, source_ip = ?source_ip, "postback signature rejected");
            metrics::count("PostbackSignatureRejected", 1);
            return Err(ApiError::BadSignature);
        }
    };
    let source = Source::Webhook {
        body_sha256: redact::sha256_hex(raw),
    };
    let outcome = apply_verified(deps, &body, source).await?;
    if outcome.awaits_gateway() {
        return Err(ApiError::Unavailable(
            "the payment waits for the gateway to confirm its payer; deliver it again".into(),
        ));
    }
    Ok(outcome)
}

/// Verifies with the current keys and, during a key rotation, with the keys being replaced
/// (until their `valid_until`): the gateway may still sign with those for a while.
fn verify<'r>(
    deps: &Deps,
    (current, previous): &(PostbackKeys, Option<PreviousKeys>),
    raw: &'r [u8],
) -> Result<PhpValue<'r>, VerifyError> {
    let scheme = deps.settings.postback_scheme;
    // One parse, checked against each key set in turn.
    let body = parse_body(raw)?;
    let err = match check_parsed_postback(raw, &body, current, scheme) {
        Ok(()) => return Ok(body.value),
        Err(e @ (VerifyError::AccessKeyMismatch | VerifyError::SignatureMismatch)) => e,
        Err(e) => return Err(e),
    };
    let previous = previous.as_ref().and_then(|p| p.valid_at(deps.clock.now()));
    match previous.map(|keys| check_parsed_postback(raw, &body, keys, scheme)) {
        Some(Ok(())) => {
            metrics::count("PostbackPreviousKeys", 1);
            tracing::info!("postback signed with the previous keys (rotation window)");
            Ok(body.value)
        }
        _ => Err(err),
    }
}

/// Applies a postback whose signature was verified (by the webhook), or that we fetched from
/// the gateway (reconciliation). Idempotent: every entry is booked at most once by its key.
pub async fn apply_verified(
    deps: &Deps,
    body: &PhpValue<'_>,
    source: Source,
) -> Result<ApplyOutcome, ApiError> {
    let postback =
        Postback::from_php(body).map_err(|e| ApiError::Malformed(format!("postback: {e}")))?;
    let trust = match (&source, deps.settings.postback_scheme) {
        (Source::Gateway, _) | (_, Scheme::Request) => Trust::Whole,
        (Source::Webhook { .. } | Source::Stored, Scheme::Postback) => Trust::Entries,
    };
    let audit = redact::audit_copy(body, &source);
    match signed::classify(&postback, body, trust) {
        Ok(Signed::Withdrawal) => apply_outgoing(deps, &postback, &audit)
            .await
            .map(ApplyOutcome::Withdrawal),
        Ok(Signed::Deposits(entries)) => {
            let mut items = Vec::with_capacity(entries.len());
            // Entry by entry, each under its own key: a failure part-way leaves the rest to
            // the gateway's next delivery, and the booked ones answer as duplicates then.
            for entry in &entries {
                items.push(deposit::apply_entry(deps, entry, &audit, &source).await?);
            }
            Ok(ApplyOutcome::Deposit(items))
        }
        Err(refusal) => {
            metrics::count("PostbackRefused", 1);
            tracing::error!(%refusal, claimed_label = %postback.label,
                "verified postback refused: its direction contradicts its signed entries");
            Err(ApiError::Unprocessable {
                code: "postback_refused",
                message: refusal.to_string(),
                fields: Default::default(),
            })
        }
    }
}
