//! Store inputs with plausible defaults (a UPI deposit, an IMPS withdrawal), stamped now.

use std::collections::BTreeMap;

use payments::store::{DepositCredit, NewDeposit, NewWithdrawal};
use payments::{DepositId, Label, WithdrawalId};
use time::OffsetDateTime;

use crate::values::{cur, money};

/// A UPI deposit of `label`, for `amount` when given.
pub fn new_deposit(label: &Label, amount: Option<&str>, currency: &str) -> NewDeposit {
    NewDeposit {
        id: DepositId::generate(),
        label: label.clone(),
        currency: cur(currency),
        amount: amount.map(|a| money(a, currency)),
        wallet_type: "upi_l".into(),
        details: BTreeMap::from([("identifier".to_string(), "test@upi".to_string())]),
        created_at: OffsetDateTime::now_utc(),
    }
}

/// A credit of a verified postback, deduplicated by `key`, for `deposit` when given.
pub fn credit(
    key: &str,
    label: &Label,
    amount: &str,
    currency: &str,
    deposit: Option<&DepositId>,
) -> DepositCredit {
    DepositCredit {
        dedupe_key: key.to_string(),
        label: label.clone(),
        money: money(amount, currency),
        deposit_id: deposit.cloned(),
        wallet_type: Some("upi_l".into()),
        raw_body: format!(
            r#"{{"label":"{label}","amount":"{amount}","currency_code":"{currency}"}}"#
        ),
        received_at: OffsetDateTime::now_utc(),
        read: payments::store::DepositRead::Unread,
    }
}

/// An IMPS withdrawal of `label`.
pub fn new_withdrawal(label: &Label, amount: &str, currency: &str) -> NewWithdrawal {
    NewWithdrawal {
        id: WithdrawalId::generate(),
        label: label.clone(),
        money: money(amount, currency),
        payment_system: "imps".into(),
        details: BTreeMap::from([("account_number".to_string(), "1234567890".to_string())]),
        created_at: OffsetDateTime::now_utc(),
    }
}
