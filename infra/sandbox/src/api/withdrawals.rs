//! Section 7: `POST /v2/withdrawal/create`, signed (W), no `secret`.
//!
//! Order of checks: signature (over the body with strings trimmed, as Laravel's TrimStrings
//! hands it to the gateway: leading or trailing spaces therefore break the signature), then
//! field rules (per-method required fields from configuration), duplicate `withdrawal_id`,
//! then the balance. The legacy request (`wallet_type`, `wallet_recipient`, ...) is accepted
//! too and answered with its echo. An accepted withdrawal debits the gateway balance of its method and
//! currency at once; a rejection gives it back.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use paykassma::php::{self, PhpValue};
use paykassma::signature::request_signature;
use rust_decimal::Decimal;

use super::{fail, ok_status};
use crate::clock::gateway_now;
use crate::input::{Input, Len, trim_strings};
use crate::ledger::{self, LedgerError};
use crate::reply;
use crate::reply::{Fail, FieldErrors};
use crate::state::{PayoutState, SharedRef, Withdrawal};
use paykassma::Secret;

pub async fn create(State(shared): State<SharedRef>, body: Bytes) -> Response {
    let data = match php::parse(&body) {
        Ok(v @ PhpValue::Map(_)) => trim_strings(&v),
        _ => PhpValue::Map(Vec::new()),
    };
    let given = match data.get("signature") {
        Some(PhpValue::String(sig)) if !sig.is_empty() => sig.to_ascii_lowercase(),
        _ => {
            return fail(
                &shared,
                Fail::field("signature", "The signature field is required."),
            );
        }
    };
    match request_signature(&shared.config.withdrawal_private_key, &data) {
        Ok(expected) if Secret::new(expected.as_str()).ct_eq(&given) => {}
        _ => return fail(&shared, Fail::msg("Invalid signature")),
    }
    // The legacy request names the method `wallet_type` and has no `payment_system`.
    let legacy = data.get("payment_system").is_none() && data.get("wallet_type").is_some();
    let validated = if legacy {
        validate_legacy(&shared, &data)
    } else {
        validate(&shared, &data)
    };
    let w = match validated {
        Ok(w) => w,
        Err(e) => return fail(&shared, e),
    };
    let number = match accept(&shared, &w) {
        Ok(n) => n,
        Err(f) => return fail(&shared, f),
    };
    if legacy {
        legacy_echo(&shared, &data, number)
    } else {
        ok_status()
    }
}

/// Duplicate and balance checks, then the debit and the record; returns the gateway's
/// sequence number of the withdrawal. Starts auto-settlement when configured.
fn accept(shared: &SharedRef, w: &Withdrawal) -> Result<i64, Fail> {
    let number = {
        let mut st = shared.lock();
        let repeat_refused =
            st.behaviour.repeated_withdrawal_id == crate::state::RepeatedWithdrawalId::Refused;
        if repeat_refused
            && st
                .withdrawals
                .iter()
                .any(|x| x.withdrawal_id == w.withdrawal_id)
        {
            return Err(Fail::field(
                "withdrawal_id",
                "The withdrawal id has already been taken.",
            ));
        }
        let available: Decimal = st
            .balances
            .iter()
            .filter(|b| b.currency_code == w.currency_code)
            .map(|b| b.amount)
            .sum();
        if available < w.amount {
            return Err(Fail::field(
                "withdrawals_sum_amount",
                "Insufficient balance",
            ));
        }
        st.balance_mut(&w.payment_system, &w.currency_code).amount -= w.amount;
        st.withdrawals.push(w.clone());
        st.withdrawals.len() as i64
    };
    if let Some(delay) = shared.config.withdrawal_auto_settle {
        let sh = shared.clone();
        let id = w.withdrawal_id.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            match ledger::settle_withdrawal(&sh, &id, true) {
                Ok(()) | Err(LedgerError::AlreadyFinal(_)) => {}
                Err(e) => tracing::warn!(withdrawal_id = %id, error = %e, "auto-settlement failed"),
            }
        });
        shared.track(task.abort_handle());
    }
    Ok(number)
}

/// The legacy first answer: the request echoed without its signature, with `id`, `status`
/// and the times (as in the document's example, `status` 1).
fn legacy_echo(shared: &SharedRef, data: &PhpValue, number: i64) -> Response {
    let mut echo = data.clone();
    echo.remove("signature");
    if let Some(PhpValue::Number(n)) = echo.get("wallet_sender") {
        let text = n.as_str().to_string();
        echo.insert("wallet_sender", PhpValue::string(text));
    }
    let now = gateway_now(shared.config.gateway_utc_offset_hours);
    let mut out = PhpValue::Map(vec![("id".into(), PhpValue::int(number))]);
    if let PhpValue::Map(entries) = echo {
        for (k, v) in entries {
            out.insert(k, v);
        }
    }
    out.insert("status", PhpValue::int(1));
    out.insert("created_at", PhpValue::string(now.clone()));
    out.insert("updated_at", PhpValue::string(now));
    reply::ok(&out)
}

/// The legacy request: `wallet_type`, `wallet_recipient`, `wallet_sender` (any 4 digits),
/// `account_name`, `account_number`, `email`, `amount`, `withdrawal_id`. It has no currency:
/// the method's first deposit currency is used (INR when unknown).
fn validate_legacy(shared: &SharedRef, data: &PhpValue) -> Result<Withdrawal, FieldErrors> {
    let mut input = Input::new(data);
    let wallet_type = input.string("wallet_type", Len::Max(191));
    if wallet_type
        .as_deref()
        .is_some_and(|w| !shared.config.withdrawal_methods.contains_key(w))
    {
        input
            .errors
            .add("wallet_type", "The selected wallet type is invalid.");
    }
    let recipient = input.string("wallet_recipient", Len::Max(191));
    let sender = match input.raw("wallet_sender") {
        Some(PhpValue::Number(n)) => Some(n.as_str().to_string()),
        _ => input.string("wallet_sender", Len::Max(191)),
    };
    if sender
        .as_deref()
        .is_some_and(|s| s.len() != 4 || !s.chars().all(|c| c.is_ascii_digit()))
    {
        input
            .errors
            .add("wallet_sender", "The wallet sender must be 4 digits.");
    }
    let account_name = input.opt_string("account_name", Len::Max(191));
    let account_number = input.opt_string("account_number", Len::Max(191));
    let email = input.opt_string("email", Len::Max(191));
    let amount = input.amount("amount");
    let withdrawal_id = match input.raw("withdrawal_id") {
        Some(PhpValue::Number(n)) => Some(n.as_str().to_string()),
        _ => input.string("withdrawal_id", Len::Between(1, 36)),
    };
    if !input.present("withdrawal_id") {
        input
            .errors
            .add("withdrawal_id", "The withdrawal id field is required.");
    }
    input.finish()?;
    let (Some(payment_system), Some(recipient), Some(amount), Some(withdrawal_id)) =
        (wallet_type, recipient, amount, withdrawal_id)
    else {
        let mut e = FieldErrors::default();
        e.add("data", "Data validation error");
        return Err(e);
    };
    let currency_code = shared
        .config
        .wallet(&payment_system)
        .and_then(|w| w.limits.keys().next().cloned())
        .unwrap_or_else(|| "INR".into());
    Ok(Withdrawal {
        withdrawal_id,
        payment_system,
        amount,
        currency_code,
        label: String::new(),
        comment: String::new(),
        account_number: account_number.unwrap_or(recipient),
        account_name: account_name.unwrap_or_default(),
        account_email: email.unwrap_or_default(),
        bank_code: None,
        branch_code: None,
        is_test: false,
        status: PayoutState::New,
        legacy: true,
    })
}

fn validate(shared: &SharedRef, data: &PhpValue) -> Result<Withdrawal, FieldErrors> {
    let mut input = Input::new(data);
    let withdrawal_id = input.opt_string("withdrawal_id", Len::Between(1, 36));
    let payment_system = input.string("payment_system", Len::Max(190));
    let amount = input.integer_amount("amount");
    let currency = input.string("currency_code", Len::Exactly(3));
    let label = input.string("label", Len::Max(190));
    let is_test = input.boolean("is_test");
    let comment = input.opt_string("comment", Len::Between(4, 64));
    let required = payment_system
        .as_deref()
        .and_then(|p| shared.config.withdrawal_methods.get(p));
    match required {
        Some(fields) => {
            for f in fields {
                input.require(f);
            }
        }
        None if payment_system.is_some() => input
            .errors
            .add("payment_system", "The selected payment system is invalid."),
        None => {}
    }
    let mut text = |name: &str| input.opt_string(name, Len::Max(190));
    let account_number = text("account_number");
    let account_name = text("account_name");
    let account_email = text("account_email");
    let _receiver = text("receiver_name");
    let bank_code = text("bank_details.bank_code");
    let branch_code = text("bank_details.branch_code");
    input.finish()?;
    let (Some(payment_system), Some(amount), Some(currency_code), Some(label), Some(is_test)) =
        (payment_system, amount, currency, label, is_test)
    else {
        let mut e = FieldErrors::default();
        e.add("data", "Data validation error");
        return Err(e);
    };
    Ok(Withdrawal {
        withdrawal_id: withdrawal_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        payment_system,
        amount,
        currency_code,
        label,
        comment: comment.unwrap_or_default(),
        account_number: account_number.unwrap_or_default(),
        account_name: account_name.unwrap_or_default(),
        account_email: account_email.unwrap_or_default(),
        bank_code,
        branch_code,
        is_test,
        status: PayoutState::New,
        legacy: false,
    })
}
