//! The withdrawal API's body: parsed, checked against the method's rules, and mapped to the
//! gateway's nested request. The checked fields are kept with the withdrawal (`details`) and
//! the gateway request is rebuilt from them, so a re-send signs exactly the same values.

use std::collections::BTreeMap;

use paykassma::client::{
    PaymentsDetails, WithdrawalBankDetails, WithdrawalFormat, WithdrawalRequest,
};
use payments::store::Withdrawal;
use payments::{Currency, Label, Money, WithdrawalId};
use rust_decimal::Decimal;
use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::rules::{self, Field};
use crate::http::ApiError;

/// `POST /v1/withdrawals` body: the account fields flat; unknown fields are refused (a typo
/// in an account field must not be silently dropped).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalBody {
    pub payment_system: String,
    #[serde(deserialize_with = "paykassma::money::de_decimal")]
    pub amount: Decimal,
    pub currency: String,
    pub account_number: Option<String>,
    pub account_name: Option<String>,
    pub account_email: Option<String>,
    pub receiver_name: Option<String>,
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
    pub bank_code_in_payments_system: Option<String>,
    pub payments_method: Option<String>,
    pub payments_provider: Option<String>,
    pub account_type: Option<String>,
    pub document_type: Option<String>,
    pub document_id: Option<String>,
    pub account_digit: Option<String>,
    pub iban: Option<String>,
    pub comment: Option<String>,
}

/// The key under which the request's fingerprint is kept in `details` (never sent).
pub(crate) const REQUEST_HASH: &str = "request_sha1";

/// The key under which a withdrawal keeps which request it goes as (`legacy`; absent:
/// current), chosen when it is created (`WITHDRAWAL_LEGACY_SYSTEMS`) and never changed, so a
/// re-send signs the very request the first send did.
const REQUEST_FORMAT: &str = "request_format";

/// A checked withdrawal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalOrder {
    pub payment_system: String,
    pub money: Money,
    /// The flat account fields (normalised), by their API name.
    pub fields: BTreeMap<String, String>,
}

/// Trimmed, and `None` when empty: the gateway trims its input and refuses padded values.
fn clean(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl WithdrawalBody {
    /// Checks the body against the method's rules, collecting every field error.
    pub fn check(self) -> Result<WithdrawalOrder, ApiError> {
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        let payment_system = self.payment_system.trim().to_string();
        let rules = rules::rules_for(&payment_system);
        if rules.is_none() {
            let offered: Vec<&str> = rules::METHODS.iter().map(|m| m.payment_system).collect();
            errors.insert(
                "payment_system".into(),
                format!("not offered; one of {}", offered.join(", ")),
            );
        }
        let currency = match Currency::parse(self.currency.trim()) {
            Ok(c) => {
                if let Some(r) = rules
                    && !r.currencies.contains(&c.code())
                {
                    errors.insert(
                        "currency".into(),
                        format!("{payment_system} pays out in {}", r.currencies.join(", ")),
                    );
                }
                Some(c)
            }
            Err(e) => {
                errors.insert("currency".into(), e.to_string());
                None
            }
        };
        let money = currency.and_then(|c| match Money::new(self.amount, c) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.insert("amount".into(), e.to_string());
                None
            }
        });
        if let (Some(m), Some(r)) = (&money, rules)
            && r.whole_amounts
            && !m.amount().fract().is_zero()
        {
            errors.insert(
                "amount".into(),
                format!("{payment_system} pays whole amounts only"),
            );
        }

        let mut fields = BTreeMap::new();
        let all = [
            ("account_number", self.account_number),
            ("account_name", self.account_name),
            ("account_email", self.account_email),
            ("receiver_name", self.receiver_name),
            ("bank_code", self.bank_code),
            ("branch_code", self.branch_code),
            (
                "bank_code_in_payments_system",
                self.bank_code_in_payments_system,
            ),
            ("payments_method", self.payments_method),
            ("payments_provider", self.payments_provider),
            ("account_type", self.account_type),
            ("document_type", self.document_type),
            ("document_id", self.document_id),
            ("account_digit", self.account_digit),
            ("iban", self.iban),
            ("comment", self.comment),
        ];
        for (name, value) in all {
            if let Some(v) = clean(value) {
                if v.chars().count() > 190 || v.chars().any(char::is_control) {
                    errors.insert(name.into(), "at most 190 printable characters".into());
                }
                fields.insert(name.to_string(), v);
            }
        }
        if let Some(c) = fields.get("comment")
            && !(4..=64).contains(&c.chars().count())
        {
            errors.insert("comment".into(), "must be 4-64 characters".into());
        }
        if let Some(r) = rules {
            for f in r.required {
                if !fields.contains_key(f.name()) {
                    errors.insert(f.name().into(), format!("required for {payment_system}"));
                }
            }
            if let Some(n) = fields.get("account_number") {
                match r.account_format.normalise(n) {
                    Ok(n) => {
                        fields.insert("account_number".into(), n);
                    }
                    Err(problem) => {
                        errors.insert("account_number".into(), problem.into());
                    }
                }
            }
            let indian_bank = r.required.contains(&Field::BankCode) && r.currencies == ["INR"];
            if let Some(code) = fields.get("bank_code")
                && indian_bank
            {
                let upper = code.to_ascii_uppercase();
                if rules::is_ifsc(&upper) {
                    fields.insert("bank_code".into(), upper);
                } else {
                    errors.insert(
                        "bank_code".into(),
                        "must be an IFSC like SBIN0001234".into(),
                    );
                }
            }
        }
        if let Some(e) = fields.get("account_email")
            && !rules::is_email(e)
        {
            errors.insert("account_email".into(), "must be an e-mail address".into());
        }
        match (errors.is_empty(), money) {
            (true, Some(money)) => Ok(WithdrawalOrder {
                payment_system,
                money,
                fields,
            }),
            _ => Err(ApiError::Validation {
                message: "the withdrawal request has invalid fields".into(),
                fields: errors,
            }),
        }
    }
}

impl WithdrawalOrder {
    /// A fingerprint of what is asked (not of how the JSON was written): the same order sent
    /// again hashes alike, a changed amount or account does not.
    pub fn request_hash(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.payment_system,
            self.money.amount().normalize(),
            self.money.currency()
        );
        for (k, v) in &self.fields {
            text.push_str(k);
            text.push('=');
            text.push_str(v);
            text.push('\n');
        }
        hex::encode(Sha1::digest(text.as_bytes()))
    }

    /// What is kept with the withdrawal: the account fields and the request fingerprint.
    /// What the withdrawal keeps: the checked fields, the request's fingerprint and, for
    /// `legacy`, the request format.
    pub fn details(&self, format: WithdrawalFormat) -> BTreeMap<String, String> {
        let mut d = self.fields.clone();
        d.insert(REQUEST_HASH.into(), self.request_hash());
        if format == WithdrawalFormat::Legacy {
            d.insert(REQUEST_FORMAT.into(), "legacy".into());
        }
        d
    }
}

/// The request format a stored withdrawal goes as.
pub fn request_format(w: &Withdrawal) -> WithdrawalFormat {
    match w.details.get(REQUEST_FORMAT).map(String::as_str) {
        Some("legacy") => WithdrawalFormat::Legacy,
        _ => WithdrawalFormat::Current,
    }
}

/// Our gateway `withdrawal_id` for a user's `Idempotency-Key`: derived
/// ([`WithdrawalId::for_request`]), so a retry of the same key (even concurrent, even after a
/// crash) names the same withdrawal and cannot debit or pay twice.
pub fn withdrawal_id_for(label: &Label, idempotency_key: &str) -> WithdrawalId {
    WithdrawalId::for_request(label, idempotency_key)
}

/// The gateway request for a stored withdrawal, rebuilt from its kept fields: the first
/// submission and every re-send sign the same values under the same `withdrawal_id`.
pub fn gateway_request(w: &Withdrawal, is_test: bool) -> WithdrawalRequest {
    let get = |k: &str| w.details.get(k).cloned();
    let bank = WithdrawalBankDetails {
        bank_code: get("bank_code"),
        branch_code: get("branch_code"),
        bank_code_in_payments_system: get("bank_code_in_payments_system"),
    };
    let payments = PaymentsDetails {
        payments_method: get("payments_method"),
        payments_provider: get("payments_provider"),
    };
    WithdrawalRequest {
        withdrawal_id: w.id.to_string(),
        payment_system: w.payment_system.clone(),
        amount: w.money.amount(),
        currency_code: w.money.currency().code().to_string(),
        label: w.label.to_string(),
        is_test,
        comment: get("comment"),
        account_number: get("account_number"),
        account_name: get("account_name"),
        account_email: get("account_email"),
        receiver_name: get("receiver_name"),
        payments_details: (payments != PaymentsDetails::default()).then_some(payments),
        bank_details: (bank != WithdrawalBankDetails::default()).then_some(bank),
        account_type: get("account_type"),
        document_type: get("document_type"),
        document_id: get("document_id"),
        account_digit: get("account_digit"),
        iban: get("iban"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_json;

    fn check(json: &str) -> Result<WithdrawalOrder, ApiError> {
        parse_json::<WithdrawalBody>(json.as_bytes())?.check()
    }

    fn field_errors(e: ApiError) -> BTreeMap<String, String> {
        match e {
            ApiError::Validation { fields, .. } => fields,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn imps_maps_flat_fields_and_normalises_the_ifsc() {
        let o = check(
            r#"{"payment_system":"imps","amount":"500","currency":"INR","account_number":"123456789012",
                "account_name":" Ravi Kumar ","bank_code":"sbin0001234","receiver_name":"Ravi Kumar"}"#,
        )
        .unwrap();
        assert_eq!(o.money.to_string(), "500.00 INR");
        assert_eq!(o.fields["bank_code"], "SBIN0001234");
        assert_eq!(o.fields["account_name"], "Ravi Kumar");
    }

    #[test]
    fn missing_and_malformed_fields_are_all_reported() {
        let f = field_errors(
            check(r#"{"payment_system":"imps","amount":500.5,"currency":"INR","account_number":"12","bank_code":"XX"}"#)
                .unwrap_err(),
        );
        for k in [
            "account_name",
            "receiver_name",
            "account_number",
            "bank_code",
            "amount",
        ] {
            assert!(f.contains_key(k), "{k} in {f:?}");
        }
        let f = field_errors(
            check(r#"{"payment_system":"bkash","amount":100,"currency":"INR","account_number":"01712345678"}"#)
                .unwrap_err(),
        );
        assert!(
            f.contains_key("currency") && f.contains_key("account_email"),
            "{f:?}"
        );
        let f = field_errors(
            check(r#"{"payment_system":"upi_x","amount":100,"currency":"INR"}"#).unwrap_err(),
        );
        assert!(f.contains_key("payment_system"));
        assert!(
            check(
                r#"{"payment_system":"paytm","amount":100,"currency":"INR","acount_number":"1"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn paytm_drops_the_country_code() {
        let o = check(
            r#"{"payment_system":"paytm","amount":100,"currency":"INR","account_number":"+919876543210"}"#,
        )
        .unwrap();
        assert_eq!(o.fields["account_number"], "9876543210");
    }

    #[test]
    fn the_request_hash_ignores_spelling_but_not_content() {
        let a = check(r#"{"payment_system":"paytm","amount":"100.00","currency":"INR","account_number":"9876543210"}"#).unwrap();
        let b = check(r#"{"currency":"INR","amount":100,"payment_system":"paytm","account_number":"+919876543210"}"#).unwrap();
        let c = check(r#"{"payment_system":"paytm","amount":101,"currency":"INR","account_number":"9876543210"}"#).unwrap();
        assert_eq!(a.request_hash(), b.request_hash());
        assert_ne!(a.request_hash(), c.request_hash());
    }

    #[test]
    fn withdrawal_ids_are_stable_per_user_and_key() {
        let u1 = Label::parse("u1").unwrap();
        let u2 = Label::parse("u2").unwrap();
        let a = withdrawal_id_for(&u1, "k1");
        assert_eq!(a, withdrawal_id_for(&u1, "k1"));
        assert_ne!(a, withdrawal_id_for(&u1, "k2"));
        assert_ne!(a, withdrawal_id_for(&u2, "k1"));
        assert!(a.as_str().len() <= 36 && a.as_str().starts_with('w'));
    }
}
