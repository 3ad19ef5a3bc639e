//! The gateway's postback webhook: size limit, optional source-IP allowlist, signature check on
//! the raw bytes, then [`apply_verified`], the one apply path shared with reconciliation.
//! Deposits (`ingoing`) are credited exactly once by their dedupe key; withdrawal results
//! (`outgoing`) go to `crate::withdrawals::apply_outgoing`.

use paykassma::php::PhpValue;
use paykassma::postback::{Direction, Postback};
use paykassma::signature::{VerifyError, verify_postback};
use payments::store::{CreditOutcome, DepositCredit, DepositEffect};
use payments::{Currency, DepositId, Label, Money};

use crate::postback_key;

use crate::Deps;
use crate::http::{ApiError, MAX_BODY_BYTES};
use crate::metrics;
use crate::withdrawals::{OutgoingOutcome, apply_outgoing};

/// What applying a verified postback did. Every variant is answered 200 `{"status":"ok"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// A deposit postback credited now.
    Credited,
    /// This deposit postback (dedupe key) was applied before: nothing changed.
    Duplicate,
    /// A withdrawal result, entry by entry.
    Withdrawal(OutgoingOutcome),
}

/// The webhook: `raw` is the body exactly as received, `source_ip` what API Gateway saw.
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
    let body = match verify_postback(raw, &deps.postback_keys, deps.settings.postback_scheme) {
        Ok(body) => body,
        Err(VerifyError::Malformed(m)) => return Err(ApiError::Malformed(m)),
        Err(e) => {
            // Nothing is stored for a forged or misconfigured postback: a log line and a count.
            tracing::warn!(reason = %e, source_ip = ?source_ip, "postback signature rejected");
            metrics::count("PostbackSignatureRejected", 1);
            return Err(ApiError::BadSignature);
        }
    };
    let text = String::from_utf8_lossy(raw);
    apply_verified(deps, &body, &text).await
}

/// Applies a postback whose signature was verified (by the webhook, or fetched from the
/// gateway by reconciliation). Idempotent.
pub async fn apply_verified(
    deps: &Deps,
    body: &PhpValue,
    raw: &str,
) -> Result<ApplyOutcome, ApiError> {
    let postback =
        Postback::from_php(body).map_err(|e| ApiError::Malformed(format!("postback: {e}")))?;
    match postback.direction {
        Direction::Ingoing => apply_deposit(deps, &postback, raw).await,
        Direction::Outgoing => apply_outgoing(deps, &postback, raw)
            .await
            .map(ApplyOutcome::Withdrawal),
        Direction::Other(d) => Err(ApiError::Malformed(format!(
            "postback: unknown direction {d:?}"
        ))),
    }
}

/// What was paid: the sum of the `additional_data` amounts when every entry has one (the (P)
/// signature covers `additional_data` only, not the top-level `amount`), else `amount`.
fn paid_amount(p: &Postback) -> rust_decimal::Decimal {
    let amounts: Option<Vec<_>> = p.additional_data.iter().map(|e| e.amount).collect();
    match amounts {
        Some(a) if !a.is_empty() => {
            let sum: rust_decimal::Decimal = a.iter().sum();
            if sum != p.amount {
                tracing::warn!(top_level = %p.amount, entries = %sum,
                    "postback amount differs from its entries; crediting the signed entries");
            }
            sum
        }
        _ => p.amount,
    }
}

/// Our deposit named by the postback, if any (`plugin_custom_order_id` of an entry).
fn our_deposit(p: &Postback) -> Option<DepositId> {
    p.additional_data
        .iter()
        .filter_map(|e| e.plugin_custom_order_id.as_deref())
        .find_map(|id| DepositId::parse(id).ok())
}

/// The currency paid: the entries' `currency_code` when they name one (signed under (P)),
/// else the top-level one. Entries that disagree with each other are not a payment we can book.
fn paid_currency(p: &Postback) -> Result<&str, ApiError> {
    let mut codes = p
        .additional_data
        .iter()
        .filter_map(|e| e.currency_code.as_deref());
    match codes.next() {
        None => Ok(p.currency_code.as_str()),
        Some(first) if codes.all(|c| c == first) => {
            if first != p.currency_code {
                tracing::warn!(top_level = %p.currency_code, entries = %first,
                    "postback currency differs from its entries; booking the signed entries'");
            }
            Ok(first)
        }
        Some(_) => Err(ApiError::Malformed(
            "postback entries carry different currencies".into(),
        )),
    }
}

/// Whose money it is. The (P) signature does not cover the top-level `label`, but it does
/// cover `plugin_custom_order_id`: when that names a deposit of ours, its owner is credited,
/// whatever label the body claims. Only a payment without an order of ours (the payment
/// window) is credited by the body's label.
async fn owner(
    deps: &Deps,
    p: &Postback,
    deposit_id: Option<&DepositId>,
) -> Result<Label, ApiError> {
    if let Some(id) = deposit_id
        && let Some(deposit) = deps.store.get_deposit(id).await?
    {
        if deposit.label.as_str() != p.label {
            tracing::warn!(deposit_id = %id.as_str(), postback_label = %p.label,
                "postback label differs from the deposit's owner; crediting the owner");
        }
        return Ok(deposit.label);
    }
    Label::parse(&p.label).map_err(|e| ApiError::Malformed(format!("postback label: {e}")))
}

async fn apply_deposit(deps: &Deps, p: &Postback, raw: &str) -> Result<ApplyOutcome, ApiError> {
    let deposit_id = our_deposit(p);
    let label = owner(deps, p, deposit_id.as_ref()).await?;
    let currency = Currency::parse(paid_currency(p)?)
        .map_err(|e| ApiError::Malformed(format!("postback currency_code: {e}")))?;
    let money = Money::new(paid_amount(p), currency)
        .map_err(|e| ApiError::Malformed(format!("postback amount: {e}")))?;
    let dedupe_key = postback_key::deposit_key(p);
    let credit = DepositCredit {
        dedupe_key: dedupe_key.clone(),
        label: label.clone(),
        money,
        deposit_id,
        wallet_type: Some(p.wallet_type.clone()).filter(|w| !w.is_empty()),
        raw_body: raw.to_string(),
        received_at: deps.clock.now(),
    };
    match deps.store.apply_deposit_postback(credit).await? {
        CreditOutcome::Credited { entry, deposit } => {
            metrics::count("DepositCredited", 1);
            match &deposit {
                DepositEffect::Untouched { id, reason } => tracing::warn!(
                    deposit_id = %id.as_str(), ?reason, %dedupe_key,
                    "deposit postback credited by label; its deposit was left as it was"
                ),
                DepositEffect::Updated { id, to, .. } => tracing::info!(
                    deposit_id = %id.as_str(), status = %to, amount = %entry.amount, %dedupe_key,
                    "deposit credited"
                ),
                DepositEffect::NoDeposit => tracing::info!(
                    amount = %entry.amount, %dedupe_key, "payment without an order credited by label"
                ),
            }
            Ok(ApplyOutcome::Credited)
        }
        CreditOutcome::AlreadyApplied => {
            metrics::count("PostbackDuplicate", 1);
            tracing::info!(%dedupe_key, "duplicate deposit postback");
            Ok(ApplyOutcome::Duplicate)
        }
    }
}
