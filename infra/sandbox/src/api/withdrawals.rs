//! Section 7: `POST /v2/withdrawal/create`, signed (W), no `secret`.
//!
//! Order of checks: signature (over the body with strings trimmed, as Laravel's TrimStrings
//! hands it to the gateway: leading or trailing spaces therefore break the signature), then
//! field rules (per-method required fields from configuration), duplicate `withdrawal_id`,
//! then the balance. An accepted withdrawal debits the gateway balance of its method and
//! currency at once; a rejection gives it back.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use paykassma::php::{self, PhpValue};
use paykassma::signature::request_signature;
use rust_decimal::Decimal;

use super::{fail, ok_status};
use crate::input::{Input, Len, trim_strings};
use crate::ledger::{self, LedgerError};
use crate::reply::{Fail, FieldErrors};
use crate::state::{SharedRef, Withdrawal, WithdrawalStatus};

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
        Ok(expected) if expected == given => {}
        _ => return fail(&shared, Fail::msg("Invalid signature")),
    }
    let w = match validate(&shared, &data) {
        Ok(w) => w,
        Err(e) => return fail(&shared, e),
    };
    {
        let mut st = shared.lock();
        if st
            .withdrawals
            .iter()
            .any(|x| x.withdrawal_id == w.withdrawal_id)
        {
            drop(st);
            return fail(
                &shared,
                Fail::field("withdrawal_id", "The withdrawal id has already been taken."),
            );
        }
        let available: Decimal = st
            .balances
            .iter()
            .filter(|b| b.currency_code == w.currency_code)
            .map(|b| b.amount)
            .sum();
        if available < w.amount {
            drop(st);
            return fail(
                &shared,
                Fail::field("withdrawals_sum_amount", "Insufficient balance"),
            );
        }
        st.balance_mut(&w.payment_system, &w.currency_code).amount -= w.amount;
        st.withdrawals.push(w.clone());
    }
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
    ok_status()
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
        status: WithdrawalStatus::New,
    })
}
