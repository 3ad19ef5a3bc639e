//! Booking one signed payment entry: what was paid (the entry's amount and currency), whose it
//! is (our deposit's owner; for a payment without an order of ours, the payer the gateway
//! names when we ask it, or the signed label under (W)), and under which key (its transaction
//! number, else our order id). Exactly once per key.
//!
//! An entry that cannot be booked is kept as unbooked before we answer: more decimals than the
//! currency allows (never rounded), a currency we do not keep, no transaction number or order,
//! an invalid label, an order that cannot take money. An owner the gateway has not confirmed
//! yet is kept as unbooked too (`awaiting_gateway_confirmation`) and answered 503 so the
//! gateway delivers again; reconciliation asks the gateway again as well.

use paykassma::client::{Error as GatewayError, PostbackQuery};
use payments::store::{
    CreditOutcome, Deposit, DepositCredit, DepositEffect, DepositRead, UnbookedPostback,
    UnbookedState,
};
use payments::{Currency, DepositId, Label, Money, MoneyError};
use rust_decimal::Decimal;

use super::Source;
use super::signed::DepositEntry;
use crate::Deps;
use crate::http::ApiError;
use crate::metrics;
use crate::postback_key;

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryResult {
    /// Its dedupe key (`in:tx:`, `in:order:` or `in:unidentified:`).
    pub key: String,
    /// Our deposit, when the entry names one that exists.
    pub deposit_id: Option<DepositId>,
    pub effect: EntryEffect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryEffect {
    /// Credited now.
    Credited,
    /// Booked before (same key): nothing changed.
    Duplicate,
    /// Kept for an operator with its reason (answered 200: we hold it).
    Unbooked(UnbookedReason),
    /// Kept while the gateway has not confirmed the payer (answered 503: deliver again).
    Awaiting,
}

/// Why an entry was not booked automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnbookedReason {
    NoTransactionId,
    NoAmount,
    NoCurrency,
    UnknownCurrency,
    AmountPrecision,
    NotPositive,
    InvalidLabel,
    OrderNotPayable,
    GatewayDisagrees,
    AwaitingGateway,
}

impl UnbookedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoTransactionId => "no_transaction_id",
            Self::NoAmount => "no_amount",
            Self::NoCurrency => "no_currency",
            Self::UnknownCurrency => "unknown_currency",
            Self::AmountPrecision => "amount_precision",
            Self::NotPositive => "amount_not_positive",
            Self::InvalidLabel => "invalid_label",
            Self::OrderNotPayable => "order_not_payable",
            Self::GatewayDisagrees => "gateway_disagrees",
            Self::AwaitingGateway => "awaiting_gateway_confirmation",
        }
    }
}

/// An entry that stops short of a credit, with what a person should read.
struct Unbookable {
    reason: UnbookedReason,
    detail: String,
}

fn unbookable(reason: UnbookedReason, detail: impl Into<String>) -> Unbookable {
    Unbookable {
        reason,
        detail: detail.into(),
    }
}

/// Books `entry` (see the module docs). `audit` is the redacted body kept with the record.
pub async fn apply_entry(
    deps: &Deps,
    entry: &DepositEntry,
    audit: &str,
    source: &Source,
) -> Result<EntryResult, ApiError> {
    let key = postback_key::deposit_key(entry.transaction_id.as_deref(), entry.order_id.as_deref());
    // One read decides: the order (or the deposit an attempt id belongs to), whether the
    // payment is booked already, and its unbooked record (see `read_for_credit`).
    let candidates = order_candidates(entry.order_id.as_deref());
    let reads = deps
        .store
        .read_for_credit(
            &candidates,
            key.as_deref()
                .unwrap_or(&postback_key::unidentified_key(&entry.fingerprint)),
        )
        .await?;
    let (deposit_id, order) = order_of(entry.order_id.as_deref(), reads.deposits);
    let Some(key) = key else {
        let key = postback_key::unidentified_key(&entry.fingerprint);
        let why = unbookable(
            UnbookedReason::NoTransactionId,
            "the signed entry names neither a transaction number nor an order of ours",
        );
        return keep(deps, key, deposit_id, entry, audit, why).await;
    };
    if reads.booked {
        // Booked before: a repeat changes nothing (the record is never removed).
        return Ok(duplicate(key, deposit_id));
    }
    let money = match money_of(entry) {
        Ok(m) => m,
        Err(why) => return keep(deps, key, deposit_id, entry, audit, why).await,
    };
    let owner = match &order {
        Some(d) if d.status.accepts_credit() => Some(d.label.clone()),
        Some(d) => {
            // The batch read is not one snapshot: a concurrent delivery of this payment may
            // have credited the deposit after its record was read as absent. Read the record
            // again, after the deposit: a deposit credited by this very payment shows it now.
            if deps.store.get_postback(&key).await?.is_some() {
                return Ok(duplicate(key, deposit_id));
            }
            let why = unbookable(
                UnbookedReason::OrderNotPayable,
                format!(
                    "deposit {} is {} and cannot take this payment",
                    d.id, d.status
                ),
            );
            return keep(deps, key, deposit_id, entry, audit, why).await;
        }
        None => None,
    };
    let label = match owner {
        Some(label) => label,
        // A payment without an order of ours: the body's label is not evidence under (P).
        None => match payer(deps, entry, &money, source).await {
            Ok(label) => label,
            Err(why) => return keep(deps, key, deposit_id, entry, audit, why).await,
        },
    };
    let credit = DepositCredit {
        dedupe_key: key.clone(),
        label,
        money,
        deposit_id: deposit_id.clone(),
        wallet_type: entry.wallet_type.clone(),
        raw_body: audit.to_string(),
        received_at: deps.clock.now(),
        // The read that named the owner plans the credit too (one read per postback).
        read: DepositRead::Read(order.map(Box::new)),
    };
    let outcome = deps.store.apply_deposit_postback(credit).await?;
    let effect = match outcome {
        CreditOutcome::Credited { entry, deposit } => {
            metrics::count("DepositCredited", 1);
            match &deposit {
                DepositEffect::Untouched { id, reason } => tracing::warn!(
                    deposit_id = %id.as_str(), ?reason, %key,
                    "payment credited to the payer the gateway confirmed; its deposit was left as it was"
                ),
                DepositEffect::Updated { id, to, .. } => tracing::info!(
                    deposit_id = %id.as_str(), status = %to, amount = %entry.amount, %key,
                    "deposit credited"
                ),
                DepositEffect::NoDeposit => tracing::info!(
                    amount = %entry.amount, %key,
                    "payment without an order credited to the payer the gateway confirmed"
                ),
            }
            EntryEffect::Credited
        }
        CreditOutcome::AlreadyApplied => {
            metrics::count("PostbackDuplicate", 1);
            tracing::info!(%key, "duplicate deposit postback");
            EntryEffect::Duplicate
        }
    };
    if let Some(u) = reads.unbooked {
        close_if_awaiting(deps, &u).await?;
    }
    Ok(EntryResult {
        key,
        deposit_id,
        effect,
    })
}

/// The deposits `order_id` (the entry's `plugin_custom_order_id`) may name: the deposit with
/// that id, and the one whose later attempt used it (`<id>_<n>`).
fn order_candidates(order_id: Option<&str>) -> Vec<DepositId> {
    let Some(raw) = order_id else {
        return Vec::new();
    };
    let mut ids: Vec<DepositId> = DepositId::parse(raw).ok().into_iter().collect();
    if let Some((id, _)) = DepositId::of_order_ref(raw)
        && !ids.contains(&id)
    {
        ids.push(id);
    }
    ids
}

/// Our deposit that `order_id` names, among those read: the deposit with that id, or the one
/// whose later attempt used it (recorded before it was sent). The id is returned even when no
/// deposit has it (kept with an unbooked record).
fn order_of(order_id: Option<&str>, read: Vec<Deposit>) -> (Option<DepositId>, Option<Deposit>) {
    let Some(raw) = order_id else {
        return (None, None);
    };
    let exact = DepositId::parse(raw).ok();
    if let Some(id) = &exact
        && let Some(d) = read.iter().find(|d| d.id == *id)
    {
        return (exact, Some(d.clone()));
    }
    if let Some((id, _)) = DepositId::of_order_ref(raw)
        && let Some(d) = read
            .into_iter()
            .find(|d| d.id == id && d.order_refs().iter().any(|r| r == raw))
    {
        return (Some(id), Some(d));
    }
    (exact, None)
}

fn duplicate(key: String, deposit_id: Option<DepositId>) -> EntryResult {
    metrics::count("PostbackDuplicate", 1);
    tracing::info!(%key, "duplicate deposit postback");
    EntryResult {
        key,
        deposit_id,
        effect: EntryEffect::Duplicate,
    }
}

/// What the entry says was paid, exactly: nothing is rounded to fit our currency table.
fn money_of(entry: &DepositEntry) -> Result<Money, Unbookable> {
    let amount = entry.amount.ok_or_else(|| {
        unbookable(
            UnbookedReason::NoAmount,
            "the signed entry carries no amount",
        )
    })?;
    let code = entry.currency.as_deref().ok_or_else(|| {
        unbookable(
            UnbookedReason::NoCurrency,
            "the signed entry carries no currency",
        )
    })?;
    let currency = Currency::parse(code).map_err(|e| {
        unbookable(
            UnbookedReason::UnknownCurrency,
            format!("currency {code:?}: {e}"),
        )
    })?;
    Money::new(amount, currency).map_err(|e| match e {
        MoneyError::TooPrecise { .. } => unbookable(UnbookedReason::AmountPrecision, e.to_string()),
        MoneyError::NotPositive => unbookable(UnbookedReason::NotPositive, e.to_string()),
        other => unbookable(UnbookedReason::UnknownCurrency, other.to_string()),
    })
}

/// Whose payment it is when no order of ours names it: the signed label when the whole body
/// is vouched for, else the label the gateway recorded for this transaction, asked with our
/// own authenticated lookup (and agreeing with the entry on amount and currency).
async fn payer(
    deps: &Deps,
    entry: &DepositEntry,
    money: &Money,
    source: &Source,
) -> Result<Label, Unbookable> {
    let named = match &entry.signed_label {
        Some(label) => label.clone(),
        None => {
            // Only a (P) body from the webhook (or our record of one) gets here.
            debug_assert!(!matches!(source, Source::Gateway));
            gateway_label(deps, entry, money).await?
        }
    };
    Label::parse(&named)
        .map_err(|e| unbookable(UnbookedReason::InvalidLabel, format!("label: {e}")))
}

async fn gateway_label(
    deps: &Deps,
    entry: &DepositEntry,
    money: &Money,
) -> Result<String, Unbookable> {
    let tx = entry
        .transaction_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let query = match (tx, entry.order_id.as_deref()) {
        (Some(tx), _) => PostbackQuery::DepositByTransactionId(tx.to_string()),
        (None, Some(order)) => PostbackQuery::DepositByCustomId(order.to_string()),
        (None, None) => {
            return Err(unbookable(
                UnbookedReason::NoTransactionId,
                "nothing to ask the gateway by",
            ));
        }
    };
    let awaiting = |detail: String| unbookable(UnbookedReason::AwaitingGateway, detail);
    let found = match deps.gateway.postback(&query).await {
        Ok(Some(found)) => found,
        Ok(None) | Err(GatewayError::Refused { .. }) => {
            return Err(awaiting(
                "the gateway's lookup has no postback for this payment yet".into(),
            ));
        }
        Err(e) => return Err(awaiting(format!("the gateway's lookup failed: {e}"))),
    };
    let same = |a: Option<&str>, b: Option<&str>| a.map(str::trim) == b.map(str::trim);
    let theirs = found.postback.additional_data.iter().find(|e| match tx {
        Some(_) => same(e.transaction_id.as_deref(), tx),
        None => same(
            e.plugin_custom_order_id.as_deref(),
            entry.order_id.as_deref(),
        ),
    });
    let Some(theirs) = theirs else {
        return Err(unbookable(
            UnbookedReason::GatewayDisagrees,
            "the gateway's lookup answered with a postback for another payment",
        ));
    };
    let amount_agrees = theirs
        .amount
        .is_none_or(|a| a.normalize() == money.amount().normalize());
    let currency_agrees = theirs
        .currency_code
        .as_deref()
        .is_none_or(|c| c == money.currency().code());
    if !amount_agrees || !currency_agrees {
        return Err(unbookable(
            UnbookedReason::GatewayDisagrees,
            format!(
                "the gateway recorded {} {} for this payment, the postback says {money}",
                theirs.amount.map(|a| a.to_string()).unwrap_or_default(),
                theirs.currency_code.as_deref().unwrap_or(""),
            ),
        ));
    }
    Ok(found.postback.label)
}

/// Keeps an entry we cannot book (once per key), counts it and answers for it.
async fn keep(
    deps: &Deps,
    key: String,
    deposit_id: Option<DepositId>,
    entry: &DepositEntry,
    audit: &str,
    why: Unbookable,
) -> Result<EntryResult, ApiError> {
    let record = UnbookedPostback {
        key: key.clone(),
        reason: why.reason.as_str().to_string(),
        detail: why.detail.clone(),
        received_at: deps.clock.now(),
        amount: entry.amount.map(|a: Decimal| a.to_string()),
        currency: entry.currency.clone(),
        label: entry
            .signed_label
            .clone()
            .or_else(|| Some(entry.claimed_label.clone()).filter(|l| !l.is_empty())),
        transaction_id: entry.transaction_id.clone(),
        deposit_id: deposit_id
            .as_ref()
            .map(|d| d.to_string())
            .or_else(|| entry.order_id.clone()),
        raw_body: audit.to_string(),
        state: UnbookedState::Open,
    };
    if deps.store.record_unbooked(record).await? {
        metrics::count("PostbackUnbooked", 1);
        tracing::warn!(%key, reason = why.reason.as_str(), detail = %why.detail,
            "verified payment kept as unbooked");
    }
    let effect = match why.reason {
        UnbookedReason::AwaitingGateway => EntryEffect::Awaiting,
        reason => EntryEffect::Unbooked(reason),
    };
    Ok(EntryResult {
        key,
        deposit_id,
        effect,
    })
}

/// A payment kept while its payer was unconfirmed, booked now: its record leaves the open list.
async fn close_if_awaiting(deps: &Deps, u: &UnbookedPostback) -> Result<(), ApiError> {
    if u.state != UnbookedState::Open || u.reason != UnbookedReason::AwaitingGateway.as_str() {
        return Ok(());
    }
    let resolution = payments::store::Resolution {
        outcome: payments::store::ResolutionOutcome::Booked,
        by: "postback".into(),
        note: "the gateway confirmed the payer".into(),
        at: deps.clock.now(),
    };
    match deps.store.close_unbooked(&u.key, resolution).await {
        Ok(_) | Err(payments::StoreError::StateConflict { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
