//! Postbacks (gateway -> merchant): a typed, lenient view of a decoded body. Fields the gateway
//! sends loosely (numbers or strings, `null` or `""` for "none") are normalised here, amounts
//! are exact decimals read from the received text.

use rust_decimal::Decimal;

use crate::money::decimal_from_php;
use crate::php::{PhpValue, php_string};

/// `direction`: `ingoing` is a deposit, `outgoing` a withdrawal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    Ingoing,
    Outgoing,
    Other(String),
}

/// The gateway's `withdrawal_status` code: 1 paid, 5 rejected; anything else is not final.
/// (Named apart from the domain's `payments::WithdrawalStatus`, which is our record's state.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayoutStatus {
    Processed,
    Rejected,
    Other(i64),
}

impl PayoutStatus {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Processed,
            5 => Self::Rejected,
            other => Self::Other(other),
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, Self::Other(_))
    }

    /// The number the gateway sent.
    pub fn code(self) -> i64 {
        match self {
            Self::Processed => 1,
            Self::Rejected => 5,
            Self::Other(code) => code,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BankDetails {
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
}

/// One `additional_data` entry: a transaction (deposit) or a withdrawal's outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostbackEntry {
    pub activated_datetime: Option<String>,
    pub exchanger_identifier: Option<String>,
    pub comment: Option<String>,
    pub amount: Option<Decimal>,
    pub currency_code: Option<String>,
    pub wallet_type: Option<String>,
    pub stockpiling_id: Option<String>,
    pub transaction_id: Option<String>,
    pub transaction_type: Option<i64>,
    /// Our `custom_transaction_id`, when the deposit was created through our API.
    pub plugin_custom_order_id: Option<String>,
    pub withdrawal_id: Option<String>,
    pub withdrawal_status: Option<PayoutStatus>,
    pub account_number: Option<String>,
    pub account_name: Option<String>,
    pub account_email: Option<String>,
    pub bank_details: Option<BankDetails>,
}

/// A postback body. `access_key` and `signature` are deliberately not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Postback {
    pub wallet_type: String,
    pub amount: Decimal,
    pub currency_code: String,
    pub label: String,
    pub direction: Direction,
    pub created_datetime: Option<String>,
    /// `converted_amount`: the amount in other currencies, as the gateway reports it.
    pub converted_amount: Vec<(String, Decimal)>,
    pub additional_data: Vec<PostbackEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("postback field `{field}`: {problem}")]
pub struct ShapeError {
    pub field: &'static str,
    pub problem: &'static str,
}

fn shape(field: &'static str, problem: &'static str) -> ShapeError {
    ShapeError { field, problem }
}

/// A text field: strings as they are, numbers as PHP prints them; `null` and `""` are absent.
fn text(v: Option<&PhpValue>) -> Option<String> {
    match v? {
        PhpValue::Null => None,
        PhpValue::String(s) if s.is_empty() => None,
        PhpValue::String(s) => Some(s.to_string()),
        PhpValue::Number(n) => Some(n.as_str().to_string()),
        other @ PhpValue::Bool(_) => Some(php_string(other)),
        PhpValue::List(_) | PhpValue::Map(_) => None,
    }
}

/// An integer field sent as a number or a numeric string.
fn integer(v: Option<&PhpValue>) -> Option<i64> {
    match v? {
        PhpValue::Number(n) => n.as_str().parse().ok(),
        PhpValue::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl PostbackEntry {
    pub fn from_php(v: &PhpValue) -> Result<Self, ShapeError> {
        if !matches!(v, PhpValue::Map(_)) {
            return Err(shape("additional_data", "an entry is not an object"));
        }
        let amount = match v.get("amount") {
            None | Some(PhpValue::Null) => None,
            Some(PhpValue::String(s)) if s.is_empty() => None,
            Some(a) => Some(
                decimal_from_php(a)
                    .ok_or_else(|| shape("additional_data.amount", "not an amount"))?,
            ),
        };
        let bank_details = match v.get("bank_details") {
            Some(b @ PhpValue::Map(_)) => Some(BankDetails {
                bank_code: text(b.get("bank_code")),
                branch_code: text(b.get("branch_code")),
            }),
            _ => None,
        };
        Ok(Self {
            activated_datetime: text(v.get("activated_datetime")),
            exchanger_identifier: text(v.get("exchanger_identifier")),
            comment: text(v.get("comment")),
            amount,
            currency_code: text(v.get("currency_code")),
            wallet_type: text(v.get("wallet_type")),
            stockpiling_id: text(v.get("stockpiling_id")),
            transaction_id: text(v.get("transaction_id")),
            transaction_type: integer(v.get("transaction_type")),
            plugin_custom_order_id: text(v.get("plugin_custom_order_id")),
            withdrawal_id: text(v.get("withdrawal_id")),
            withdrawal_status: integer(v.get("withdrawal_status")).map(PayoutStatus::from_code),
            account_number: text(v.get("account_number")),
            account_name: text(v.get("account_name")),
            account_email: text(v.get("account_email")),
            bank_details,
        })
    }
}

impl Postback {
    /// Reads the typed view of a decoded body. Required: `amount`, `currency_code`,
    /// `direction` and an `additional_data` list; everything else is optional. `label` is
    /// empty when absent: the older withdrawal request sends none, so its postbacks may carry
    /// none, and the top-level label decides nothing by itself (a deposit's payer comes from
    /// signed data or the gateway's own lookup, and is parsed there).
    pub fn from_php(v: &PhpValue) -> Result<Self, ShapeError> {
        if !matches!(v, PhpValue::Map(_)) {
            return Err(shape("body", "not an object"));
        }
        let amount = v
            .get("amount")
            .and_then(decimal_from_php)
            .ok_or_else(|| shape("amount", "missing or not an amount"))?;
        let currency_code =
            text(v.get("currency_code")).ok_or_else(|| shape("currency_code", "missing"))?;
        let label = text(v.get("label")).unwrap_or_default();
        let direction = match text(v.get("direction")).as_deref() {
            Some("ingoing") => Direction::Ingoing,
            Some("outgoing") => Direction::Outgoing,
            Some(other) => Direction::Other(other.to_string()),
            None => return Err(shape("direction", "missing")),
        };
        let additional_data = match v.get("additional_data") {
            Some(PhpValue::List(items)) => items
                .iter()
                .map(PostbackEntry::from_php)
                .collect::<Result<_, _>>()?,
            // A PHP array with non-sequential keys arrives as an object: take its values in order.
            Some(PhpValue::Map(entries)) => entries
                .iter()
                .map(|(_, e)| PostbackEntry::from_php(e))
                .collect::<Result<_, _>>()?,
            _ => return Err(shape("additional_data", "missing or not a list")),
        };
        let converted_amount = match v.get("converted_amount") {
            Some(PhpValue::Map(entries)) => entries
                .iter()
                .filter_map(|(k, a)| decimal_from_php(a).map(|d| (k.to_string(), d)))
                .collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            wallet_type: text(v.get("wallet_type")).unwrap_or_default(),
            amount,
            currency_code,
            label,
            direction,
            created_datetime: text(v.get("created_datetime")),
            converted_amount,
            additional_data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::parse;

    #[test]
    fn reads_the_seed_withdrawal_postback() {
        let body = br#"{"wallet_type":"nagad_api","amount":820,"currency_code":"BDT","label":"autotest898404792700response_500",
        "converted_amount":{"USD":7.56,"BTC":0.00025009},"direction":"outgoing","created_datetime":"2023-07-20 08:09:01",
        "additional_data":[{"activated_datetime":"","exchanger_identifier":"","comment":"autotest approve by file","amount":"820",
        "currency_code":"BDT","wallet_type":"nagad_api","stockpiling_id":null,"transaction_id":"","transaction_type":null,
        "plugin_custom_order_id":"","withdrawal_id":"autotest984047927037","withdrawal_status":1,"account_number":"5632221204",
        "account_name":"autotest983948600573","account_email":"","bank_details":{"bank_code":null,"branch_code":null}}]}"#;
        let p = Postback::from_php(&parse(body).unwrap()).unwrap();
        assert_eq!(p.direction, Direction::Outgoing);
        assert_eq!(p.amount, Decimal::from(820));
        assert_eq!(
            p.converted_amount[1],
            (
                "BTC".to_string(),
                Decimal::from_str_exact("0.00025009").unwrap()
            )
        );
        let e = &p.additional_data[0];
        assert_eq!(e.withdrawal_id.as_deref(), Some("autotest984047927037"));
        assert_eq!(e.withdrawal_status, Some(PayoutStatus::Processed));
        assert_eq!(e.plugin_custom_order_id, None);
        assert_eq!(e.amount, Some(Decimal::from(820)));
        assert_eq!(e.bank_details, Some(BankDetails::default()));
    }

    #[test]
    fn missing_required_fields_are_named() {
        let err = Postback::from_php(
            &parse(br#"{"amount":1,"label":"5","direction":"ingoing","additional_data":[]}"#)
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.field, "currency_code");
        // No label (a legacy withdrawal's postback): read as empty, for the caller to judge.
        for body in [
            &br#"{"amount":1,"currency_code":"INR","direction":"outgoing","additional_data":[]}"#[..],
            br#"{"amount":1,"currency_code":"INR","label":"","direction":"outgoing","additional_data":[]}"#,
            br#"{"amount":1,"currency_code":"INR","label":null,"direction":"outgoing","additional_data":[]}"#,
        ] {
            assert_eq!(Postback::from_php(&parse(body).unwrap()).unwrap().label, "");
        }
        let err = Postback::from_php(&parse(br#"{"amount":"x","currency_code":"INR","label":"1","direction":"ingoing","additional_data":[]}"#).unwrap()).unwrap_err();
        assert_eq!(err.field, "amount");
    }
}
