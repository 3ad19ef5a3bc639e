//! The operator's side of unbooked payments (`/v1/admin/postbacks/unbooked`): list the open
//! ones, and resolve one exactly once: credit it to a named label (booked under the payment's
//! own dedupe key, so it can never be credited twice, whichever path books it first) or
//! dismiss it with a note. Every resolution names the operator and is kept with the record.

use payments::store::{
    CreditOutcome, DepositCredit, DepositUpdate, Resolution, ResolutionOutcome, UnbookedPostback,
    UnbookedState,
};
use payments::{Currency, DepositId, DepositStatus, Label, Money, StoreError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Deps;
use crate::http::{Admin, ApiError, rfc3339};

/// One unbooked payment as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbookedView {
    pub key: String,
    pub reason: String,
    pub detail: String,
    pub received_at: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// The label the postback or the gateway named: a hint, not an owner.
    pub label: Option<String>,
    pub transaction_id: Option<String>,
    pub deposit_id: Option<String>,
    /// `open`, `credited`, `dismissed` or `booked`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<ResolutionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolutionView {
    pub by: String,
    pub note: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credited_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credited_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credited_currency: Option<String>,
}

/// `GET /v1/admin/postbacks/unbooked`: the open ones, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbookedList {
    pub items: Vec<UnbookedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST /v1/admin/postbacks/unbooked/{key}/resolve` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Resolve {
    /// Credit `label`; `amount`/`currency` default to what the postback says (required when
    /// that does not fit the currency table, e.g. more decimals than it allows).
    Credit {
        label: String,
        amount: Option<String>,
        currency: Option<String>,
        note: String,
    },
    Dismiss {
        note: String,
    },
}

const MAX_NOTE: usize = 1000;

pub fn view(u: &UnbookedPostback) -> UnbookedView {
    let (status, resolution) = match &u.state {
        UnbookedState::Open => ("open".to_string(), None),
        UnbookedState::Closed(r) => {
            let credited = match &r.outcome {
                ResolutionOutcome::Credited { label, money } => Some((label, money)),
                _ => None,
            };
            (
                r.outcome.as_str().to_string(),
                Some(ResolutionView {
                    by: r.by.clone(),
                    note: r.note.clone(),
                    at: rfc3339(r.at),
                    credited_label: credited.map(|(l, _)| l.to_string()),
                    credited_amount: credited.map(|(_, m)| m.amount().to_string()),
                    credited_currency: credited.map(|(_, m)| m.currency().code().to_string()),
                }),
            )
        }
    };
    UnbookedView {
        key: u.key.clone(),
        reason: u.reason.clone(),
        detail: u.detail.clone(),
        received_at: rfc3339(u.received_at),
        amount: u.amount.clone(),
        currency: u.currency.clone(),
        label: u.label.clone(),
        transaction_id: u.transaction_id.clone(),
        deposit_id: u.deposit_id.clone(),
        status,
        resolution,
    }
}

pub async fn list(
    deps: &Deps,
    limit: usize,
    cursor: Option<String>,
) -> Result<UnbookedList, ApiError> {
    let page = deps
        .store
        .list_unbooked(&crate::account::page_request(limit, cursor)?)
        .await
        .map_err(crate::account::cursor_error)?;
    Ok(UnbookedList {
        items: page.items.iter().map(view).collect(),
        next_cursor: page.next,
    })
}

fn check_note(note: &str) -> Result<String, ApiError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE {
        return Err(ApiError::validation(
            "note",
            format!("1-{MAX_NOTE} characters saying why"),
        ));
    }
    Ok(note.to_string())
}

/// Resolves the open unbooked payment `key` once; 404 when there is none, 409 when it was
/// resolved (or booked) already.
pub async fn resolve(
    deps: &Deps,
    admin: &Admin,
    key: &str,
    body: Resolve,
) -> Result<UnbookedView, ApiError> {
    let u = deps
        .store
        .get_unbooked(key)
        .await?
        .ok_or_else(|| ApiError::NotFound("unbooked postback".into()))?;
    if u.state != UnbookedState::Open {
        return Err(ApiError::Conflict(format!(
            "unbooked postback {key} is already resolved"
        )));
    }
    let now = deps.clock.now();
    let (outcome, note) = match body {
        Resolve::Credit {
            label,
            amount,
            currency,
            note,
        } => {
            let note = check_note(&note)?;
            let label =
                Label::parse(&label).map_err(|e| ApiError::validation("label", e.to_string()))?;
            let money = money(&u, amount.as_deref(), currency.as_deref())?;
            let credit = DepositCredit {
                dedupe_key: u.key.clone(),
                label: label.clone(),
                money,
                deposit_id: u
                    .deposit_id
                    .as_deref()
                    .and_then(|d| DepositId::parse(d).ok()),
                wallet_type: None,
                raw_body: u.raw_body.clone(),
                received_at: now,
                read: payments::store::DepositRead::Unread,
            };
            match deps.store.apply_deposit_postback(credit).await? {
                CreditOutcome::Credited { .. } => {}
                // Booked before under the same key: by this resolution (a retry) or by the
                // normal path meanwhile. Only the former may be reported as this credit.
                CreditOutcome::AlreadyApplied => {
                    let booked = deps.store.get_postback(&u.key).await?;
                    if booked.and_then(|b| b.label) != Some(label.clone()) {
                        close(
                            deps,
                            &u.key,
                            ResolutionOutcome::Booked,
                            admin,
                            "booked by the normal path before this resolution",
                            now,
                        )
                        .await?;
                        return Err(ApiError::Conflict(format!(
                            "payment {key} was booked meanwhile to another label; nothing credited"
                        )));
                    }
                }
            }
            tracing::info!(admin = %admin.0, %key, label = %label, amount = %money, "unbooked payment credited by an operator");
            (ResolutionOutcome::Credited { label, money }, note)
        }
        Resolve::Dismiss { note } => {
            let note = check_note(&note)?;
            if let Some(id) = u
                .deposit_id
                .as_deref()
                .and_then(|d| DepositId::parse(d).ok())
            {
                reject_open_deposit(deps, &id, &note).await?;
            }
            tracing::info!(admin = %admin.0, %key, "unbooked payment dismissed by an operator");
            (ResolutionOutcome::Dismissed, note)
        }
    };
    close(deps, &u.key, outcome, admin, &note, now)
        .await
        .map(|u| view(&u))
}

async fn close(
    deps: &Deps,
    key: &str,
    outcome: ResolutionOutcome,
    admin: &Admin,
    note: &str,
    at: time::OffsetDateTime,
) -> Result<UnbookedPostback, ApiError> {
    let resolution = Resolution {
        outcome,
        by: admin.0.clone(),
        note: note.to_string(),
        at,
    };
    deps.store
        .close_unbooked(key, resolution)
        .await
        .map_err(|e| match e {
            StoreError::StateConflict { .. } => {
                ApiError::Conflict(format!("unbooked postback {key} is already resolved"))
            }
            e => e.into(),
        })
}

/// The amount to credit: the operator's, else the postback's; either must fit the currency.
fn money(
    u: &UnbookedPostback,
    amount: Option<&str>,
    currency: Option<&str>,
) -> Result<Money, ApiError> {
    let amount = amount.or(u.amount.as_deref()).ok_or_else(|| {
        ApiError::validation(
            "amount",
            "the postback carries none: give the amount to credit",
        )
    })?;
    let currency = currency.or(u.currency.as_deref()).ok_or_else(|| {
        ApiError::validation("currency", "the postback carries none: give the currency")
    })?;
    let currency =
        Currency::parse(currency).map_err(|e| ApiError::validation("currency", e.to_string()))?;
    let amount: Decimal = amount
        .trim()
        .parse()
        .map_err(|_| ApiError::validation("amount", "a decimal amount"))?;
    Money::new(amount, currency).map_err(|e| ApiError::validation("amount", e.to_string()))
}

/// A dismissed payment's order that still waits for money: it will not get this one.
async fn reject_open_deposit(deps: &Deps, id: &DepositId, note: &str) -> Result<(), ApiError> {
    let Some(d) = deps.store.get_deposit(id).await? else {
        return Ok(());
    };
    if d.status.is_terminal() {
        return Ok(());
    }
    let update = DepositUpdate {
        activation_key: None,
        message: Some(format!("the payment was dismissed by an operator: {note}")),
        attempts: None,
    };
    match deps
        .store
        .update_deposit_status(id, d.status, DepositStatus::Rejected, update)
        .await
    {
        Ok(_) | Err(StoreError::StateConflict { .. } | StoreError::Transition(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
