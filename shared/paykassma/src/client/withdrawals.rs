//! Section 7: withdrawal creation. The body is signed with (W) over exactly the values sent
//! and carries no `secret`. The result arrives later as an `outgoing` postback. Two requests
//! go to the same path: the current one, and the older one the documents keep ("the old
//! withdrawal request is also available"), which [`WithdrawalFormat::Legacy`] sends.

use reqwest::Method;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::envelope::Answer;
use super::read::{object, text};
use super::transport::{Body, Query};
use super::{Client, Error};
use crate::php::PhpValue;
use crate::signature::sign_request_body;

/// `payments_details`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentsDetails {
    pub payments_method: Option<String>,
    pub payments_provider: Option<String>,
}

/// `bank_details` of a withdrawal (`bank_code` is the IFSC for India).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WithdrawalBankDetails {
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
    pub bank_code_in_payments_system: Option<String>,
}

/// A withdrawal request. `None` fields are left out of the body; which ones a payment
/// system requires is the caller's table. `Default` fills the optional fields:
/// `WithdrawalRequest { withdrawal_id, payment_system, amount, currency_code, label,
/// ..Default::default() }`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WithdrawalRequest {
    /// Ours, 1-36 characters, stable across our retries.
    pub withdrawal_id: String,
    pub payment_system: String,
    /// A whole amount: the current request takes an integer.
    pub amount: Decimal,
    pub currency_code: String,
    pub label: String,
    pub is_test: bool,
    pub comment: Option<String>,
    pub account_number: Option<String>,
    pub account_name: Option<String>,
    pub account_email: Option<String>,
    pub receiver_name: Option<String>,
    pub payments_details: Option<PaymentsDetails>,
    pub bank_details: Option<WithdrawalBankDetails>,
    pub account_type: Option<String>,
    pub document_type: Option<String>,
    pub document_id: Option<String>,
    pub account_digit: Option<String>,
    pub iban: Option<String>,
}

/// Which of the documents' two withdrawal requests to send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WithdrawalFormat {
    /// `withdrawal_id, payment_system, amount (int), currency_code, label, is_test, account
    /// fields, payments_details{..}, bank_details{..}`.
    #[default]
    Current,
    /// `wallet_type, wallet_recipient, wallet_sender, account_name, account_number, email,
    /// amount, withdrawal_id`: no currency or label (the method implies them).
    Legacy,
}

/// The legacy request's `wallet_sender`: "it is necessary to fill in the field with arbitrary
/// four digits"; the gateway picks the sender itself.
pub const LEGACY_WALLET_SENDER: &str = "1111";

/// An accepted withdrawal request.
#[derive(Clone, Debug, PartialEq)]
pub struct WithdrawalCreated {
    /// The gateway's id, when the answer carries one (the legacy answer echoes the request
    /// with `id`).
    pub gateway_id: Option<String>,
    /// The whole answer.
    pub raw: PhpValue<'static>,
}

fn opt(v: &Option<String>) -> Option<PhpValue<'static>> {
    v.clone().map(PhpValue::string)
}

/// A nested object, or nothing when all its fields are absent.
fn nested<const N: usize>(
    fields: [(&str, Option<PhpValue<'static>>); N],
) -> Option<PhpValue<'static>> {
    match object(fields) {
        PhpValue::Map(entries) if entries.is_empty() => None,
        v => Some(v),
    }
}

impl WithdrawalRequest {
    /// "When transmitting data, there should be no spaces at the beginning and end": the
    /// gateway trims its input, so a padded value would be signed differently from what
    /// it verifies. Refused here rather than silently changed (it may be an account number).
    fn check_no_surrounding_spaces(&self) -> Result<(), Error> {
        let payments = self.payments_details.clone().unwrap_or_default();
        let bank = self.bank_details.clone().unwrap_or_default();
        let fields: [(&str, Option<&String>); 19] = [
            ("withdrawal_id", Some(&self.withdrawal_id)),
            ("payment_system", Some(&self.payment_system)),
            ("currency_code", Some(&self.currency_code)),
            ("label", Some(&self.label)),
            ("comment", self.comment.as_ref()),
            ("account_number", self.account_number.as_ref()),
            ("account_name", self.account_name.as_ref()),
            ("account_email", self.account_email.as_ref()),
            ("receiver_name", self.receiver_name.as_ref()),
            (
                "payments_details.payments_method",
                payments.payments_method.as_ref(),
            ),
            (
                "payments_details.payments_provider",
                payments.payments_provider.as_ref(),
            ),
            ("bank_details.bank_code", bank.bank_code.as_ref()),
            ("bank_details.branch_code", bank.branch_code.as_ref()),
            (
                "bank_details.bank_code_in_payments_system",
                bank.bank_code_in_payments_system.as_ref(),
            ),
            ("account_type", self.account_type.as_ref()),
            ("document_type", self.document_type.as_ref()),
            ("document_id", self.document_id.as_ref()),
            ("account_digit", self.account_digit.as_ref()),
            ("iban", self.iban.as_ref()),
        ];
        for (name, value) in fields {
            if let Some(v) = value
                && v.trim() != v
            {
                return Err(Error::Request(format!(
                    "withdrawal field {name} has leading or trailing spaces"
                )));
            }
        }
        Ok(())
    }

    /// What both requests require: no padded value, a 1-36 character id, a whole positive
    /// amount (returned).
    fn checked_amount(&self) -> Result<i64, Error> {
        self.check_no_surrounding_spaces()?;
        let id_len = self.withdrawal_id.chars().count();
        if !(1..=36).contains(&id_len) {
            return Err(Error::Request(format!(
                "withdrawal_id must have 1-36 characters, has {id_len}"
            )));
        }
        if !self.amount.fract().is_zero() {
            return Err(Error::Request(format!(
                "withdrawal amount {} is not a whole number",
                self.amount
            )));
        }
        self.amount.to_i64().filter(|a| *a > 0).ok_or_else(|| {
            Error::Request(format!(
                "withdrawal amount {} is not a positive integer",
                self.amount
            ))
        })
    }

    /// The unsigned legacy body, in the order of the documents' table. The account number is
    /// both the recipient wallet and `account_number` (a Paytm number already without +91).
    pub(crate) fn to_legacy_php(&self) -> Result<PhpValue<'static>, Error> {
        let amount = self.checked_amount()?;
        let recipient = self.account_number.clone().ok_or_else(|| {
            Error::Request("the legacy withdrawal request needs an account number".into())
        })?;
        Ok(object([
            (
                "wallet_type",
                Some(PhpValue::string(self.payment_system.clone())),
            ),
            ("wallet_recipient", Some(PhpValue::string(recipient))),
            (
                "wallet_sender",
                Some(PhpValue::string(LEGACY_WALLET_SENDER)),
            ),
            ("account_name", opt(&self.account_name)),
            ("account_number", opt(&self.account_number)),
            ("email", opt(&self.account_email)),
            ("amount", Some(PhpValue::int(amount))),
            (
                "withdrawal_id",
                Some(PhpValue::string(self.withdrawal_id.clone())),
            ),
        ]))
    }

    /// The unsigned body, in the order of the gateway's table.
    pub(crate) fn to_php(&self) -> Result<PhpValue<'static>, Error> {
        let amount = self.checked_amount()?;
        let payments_details = self.payments_details.as_ref().and_then(|p| {
            nested([
                ("payments_method", opt(&p.payments_method)),
                ("payments_provider", opt(&p.payments_provider)),
            ])
        });
        let bank_details = self.bank_details.as_ref().and_then(|b| {
            nested([
                ("bank_code", opt(&b.bank_code)),
                ("branch_code", opt(&b.branch_code)),
                (
                    "bank_code_in_payments_system",
                    opt(&b.bank_code_in_payments_system),
                ),
            ])
        });
        Ok(object([
            (
                "withdrawal_id",
                Some(PhpValue::string(self.withdrawal_id.clone())),
            ),
            (
                "payment_system",
                Some(PhpValue::string(self.payment_system.clone())),
            ),
            ("amount", Some(PhpValue::int(amount))),
            (
                "currency_code",
                Some(PhpValue::string(self.currency_code.clone())),
            ),
            ("label", Some(PhpValue::string(self.label.clone()))),
            ("is_test", Some(PhpValue::Bool(self.is_test))),
            ("comment", opt(&self.comment)),
            ("account_number", opt(&self.account_number)),
            ("account_name", opt(&self.account_name)),
            ("account_email", opt(&self.account_email)),
            ("receiver_name", opt(&self.receiver_name)),
            ("payments_details", payments_details),
            ("bank_details", bank_details),
            ("account_type", opt(&self.account_type)),
            ("document_type", opt(&self.document_type)),
            ("document_id", opt(&self.document_id)),
            ("account_digit", opt(&self.account_digit)),
            ("iban", opt(&self.iban)),
        ]))
    }
}

impl Client {
    /// `POST /v2/withdrawal/create` (section 7), signed with the withdrawal private key.
    /// A whole, positive `amount` and a 1-36 character `withdrawal_id` are required
    /// ([`Error::Request`] otherwise, nothing sent). Accepts `{"status":"ok"}` and the
    /// legacy answer that echoes the request with an `id`.
    pub async fn create_withdrawal(
        &self,
        request: &WithdrawalRequest,
    ) -> Result<WithdrawalCreated, Error> {
        self.create_withdrawal_as(request, WithdrawalFormat::Current)
            .await
    }

    /// [`Self::create_withdrawal`] as the request `format` (the legacy one needs an account
    /// number, and sends no currency, label or bank details).
    pub async fn create_withdrawal_as(
        &self,
        request: &WithdrawalRequest,
        format: WithdrawalFormat,
    ) -> Result<WithdrawalCreated, Error> {
        self.guarded(async {
            let body = match format {
                WithdrawalFormat::Current => request.to_php()?,
                WithdrawalFormat::Legacy => request.to_legacy_php()?,
            };
            let json = sign_request_body(&self.config.withdrawal_private_key, &body)
                .map_err(|e| Error::Request(format!("cannot sign the withdrawal: {e}")))?;
            let path = &self.config.paths.withdrawal_create;
            let answer = self
                .exchange(Method::POST, path, &Query::new(), Body::Json(json), false)
                .await?;
            let v = answer.json()?;
            let legacy_echo = answer.is_success()
                && !matches!(Answer::status_field(&v), Some("fail" | "error"))
                && text(v.get("id")).is_some();
            let raw = if legacy_echo {
                v
            } else {
                answer.check_success(v)?
            }
            .into_owned();
            let gateway_id =
                text(raw.get("id")).or_else(|| raw.get("data").and_then(|d| text(d.get("id"))));
            Ok(WithdrawalCreated { gateway_id, raw })
        })
        .await
    }
}
