//! Section 4 and 5a/5c/5d: deposits. Saving our transaction id, creating a P2P payment
//! (the details the user pays to), activating it with the user's transaction number (JSON,
//! or multipart for manual methods), creating a redirect payment, and the savings info.

use reqwest::Method;
use rust_decimal::Decimal;

use super::envelope::Answer;
use super::read::{boolean, decimal, exact_number, object, text};
use super::transport::{Body, Query, fill};
use super::{Client, Error};
use crate::php::{self, JsonFlags, PhpValue};

/// Activation of a P2P payment (5a.3, methods with `is_manual = false`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivateRequest {
    pub currency_code: String,
    pub wallet_type: String,
    pub label: String,
    /// The user's transaction number (UPI: the 12-digit UTR).
    pub key1: String,
    /// Required for UPI P2P and PhonePe, not sent for bKash and Nagad.
    pub amount: Option<Decimal>,
    /// Ours; must never repeat.
    pub custom_transaction_id: String,
}

/// What an activation achieved. A refusal (`"fail"`) is [`Error::Refused`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActivateOutcome {
    /// `{"status":"ok","deposit":true,...}`: found and credited; a postback follows.
    Credited {
        amount: Option<Decimal>,
        currency: Option<String>,
    },
    /// `{"status":"pending"}` (sometimes with HTTP 400, or as a 400 refusal saying the
    /// deposit status check has started), or an `ok` answer with `deposit: false`: the
    /// payment is under review; a postback may follow.
    Pending { message: String },
    /// `{"status":"possible_transaction_created"}`: the payment was not seen yet; it may
    /// still arrive (and be credited by postback).
    PossibleTransactionCreated { message: String },
}

/// A receipt image for a manual activation.
#[derive(Clone, PartialEq, Eq)]
pub struct Screenshot {
    pub bytes: Vec<u8>,
    pub file_name: String,
    /// E.g. `image/png`.
    pub content_type: String,
}

impl std::fmt::Debug for Screenshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screenshot")
            .field("bytes", &self.bytes.len())
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// Activation of a payment of a manual method (5a.4, `is_manual = true`), sent as
/// `multipart/form-data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManualActivateRequest {
    pub currency_code: String,
    pub wallet_type: String,
    pub label: String,
    pub key1: String,
    pub amount: Decimal,
    pub custom_transaction_id: String,
    pub screenshot: Option<Screenshot>,
}

impl ActivateRequest {
    /// The same activation for a manual method, with the user's screenshot when there is one;
    /// `None` without an amount, which a manual activation requires.
    pub fn into_manual(self, screenshot: Option<Screenshot>) -> Option<ManualActivateRequest> {
        Some(ManualActivateRequest {
            amount: self.amount?,
            currency_code: self.currency_code,
            wallet_type: self.wallet_type,
            label: self.label,
            key1: self.key1,
            custom_transaction_id: self.custom_transaction_id,
            screenshot,
        })
    }
}

/// A payment of a method without activation (5c).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    /// Goes into the path (`payment/create/{payment_system}`).
    pub payment_system: String,
    pub language: String,
    pub currency: String,
    pub bank: Option<String>,
    pub amount: Decimal,
    pub label: String,
    pub redirect_url: String,
    pub custom_transaction_id: Option<String>,
}

/// The answer to a redirect payment: the documents show only `{"status":"ok"}`; a URL to
/// send the user to is picked up when the answer carries one.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentCreated {
    pub redirect_url: Option<String>,
    /// The whole answer, for fields not modelled here.
    pub raw: PhpValue<'static>,
}

/// Savings of a user for a method (5d).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositInfo {
    /// Accumulated, not yet credited.
    pub stockpiling_sum: Option<Decimal>,
    /// Still missing to reach the minimum.
    pub lacks_sum: Option<Decimal>,
    pub minimum_deposit: Option<Decimal>,
}

fn json_body(v: &PhpValue) -> Body {
    Body::Json(php::encode(v, JsonFlags::UNESCAPED))
}

/// Reads an activation answer; `pending` and `possible_transaction_created` are outcomes
/// whatever the HTTP status (the documents show `pending` with 400).
fn activation_outcome(answer: &Answer) -> Result<ActivateOutcome, Error> {
    let v = answer.json()?;
    let message = text(v.get("message")).unwrap_or_default();
    match Answer::status_field(&v) {
        Some("pending") => return Ok(ActivateOutcome::Pending { message }),
        Some("possible_transaction_created") => {
            return Ok(ActivateOutcome::PossibleTransactionCreated { message });
        }
        _ => {}
    }
    let v = match answer.check_success(v) {
        Ok(v) => v,
        // "If you try to activate a suspicious transaction, you will see error 400 'Check of
        // deposit status started...'": a review, not a refusal.
        Err(Error::Refused {
            message,
            http_status: 400,
            ..
        }) if message.to_ascii_lowercase().contains("deposit status") => {
            return Ok(ActivateOutcome::Pending { message });
        }
        Err(e) => return Err(e),
    };
    if boolean(v.get("deposit")) == Some(false) {
        let message = if message.is_empty() {
            "the deposit is not confirmed".to_string()
        } else {
            message
        };
        return Ok(ActivateOutcome::Pending { message });
    }
    let currency = match v.get("currency") {
        Some(c @ PhpValue::Map(_)) => text(c.get("code")),
        other => text(other),
    };
    Ok(ActivateOutcome::Credited {
        amount: decimal(v.get("deposit_amount")).or_else(|| decimal(v.get("amount"))),
        currency,
    })
}

/// Looks for a redirect URL in the places an answer may put one.
fn find_redirect(v: &PhpValue) -> Option<String> {
    let holders = [Some(v), v.get("data"), v.get("params")];
    holders.into_iter().flatten().find_map(|h| {
        ["redirect_url", "payment_url", "url", "link"]
            .into_iter()
            .find_map(|k| text(h.get(k)))
    })
}

impl Client {
    /// `POST payment/save-transaction-custom-id` (section 4): ties our transaction id to
    /// the user's next transaction.
    pub async fn save_transaction_custom_id(
        &self,
        label: &str,
        transaction_custom_id: &str,
    ) -> Result<(), Error> {
        self.guarded(async {
            let body = object([
                ("label", Some(PhpValue::string(label))),
                (
                    "transaction_custom_id",
                    Some(PhpValue::string(transaction_custom_id)),
                ),
            ]);
            let path = &self.config.paths.save_transaction_custom_id;
            let answer = self
                .exchange(Method::POST, path, &Query::new(), json_body(&body), true)
                .await?;
            answer.success().map(|_| ())
        })
        .await
    }

    /// `POST transaction/create/{wallet_type}` (5a.1): returns the `identifier` the user
    /// pays to (a VPA or wallet number).
    pub async fn create_p2p_transaction(
        &self,
        wallet_type: &str,
        currency: &str,
        label: &str,
    ) -> Result<String, Error> {
        self.guarded(async {
            let path = fill(
                &self.config.paths.transaction_create,
                "wallet_type",
                wallet_type,
            )?;
            let body = object([
                ("currency", Some(PhpValue::string(currency))),
                ("label", Some(PhpValue::string(label))),
            ]);
            let answer = self
                .exchange(Method::POST, &path, &Query::new(), json_body(&body), true)
                .await?;
            let v = answer.success()?;
            [v.get("params"), v.get("data"), Some(&v)]
                .into_iter()
                .flatten()
                .find_map(|h| text(h.get("identifier")))
                .ok_or_else(|| answer.unreadable("no identifier in the answer"))
        })
        .await
    }

    /// `POST transaction/activate` (5a.3).
    pub async fn activate(&self, request: &ActivateRequest) -> Result<ActivateOutcome, Error> {
        self.guarded(async {
            let body = object([
                (
                    "currency_code",
                    Some(PhpValue::string(request.currency_code.clone())),
                ),
                (
                    "wallet_type",
                    Some(PhpValue::string(request.wallet_type.clone())),
                ),
                ("label", Some(PhpValue::string(request.label.clone()))),
                ("key1", Some(PhpValue::string(request.key1.clone()))),
                ("amount", request.amount.map(exact_number)),
                (
                    "custom_transaction_id",
                    Some(PhpValue::string(request.custom_transaction_id.clone())),
                ),
            ]);
            let path = &self.config.paths.transaction_activate;
            let answer = self
                .exchange(Method::POST, path, &Query::new(), json_body(&body), true)
                .await?;
            activation_outcome(&answer)
        })
        .await
    }

    /// `POST possible-transaction/activate` (5a.4) as `multipart/form-data`. `Ok` means
    /// the gateway accepted the claim for review; the credit comes by postback.
    pub async fn activate_manual(&self, request: &ManualActivateRequest) -> Result<(), Error> {
        self.guarded(async {
            let mut form = reqwest::multipart::Form::new()
                .text("currency_code", request.currency_code.clone())
                .text("wallet_type", request.wallet_type.clone())
                .text("label", request.label.clone())
                .text("key1", request.key1.clone())
                .text("amount", request.amount.normalize().to_string())
                .text(
                    "custom_transaction_id",
                    request.custom_transaction_id.clone(),
                );
            if let Some(shot) = &request.screenshot {
                let part = reqwest::multipart::Part::bytes(shot.bytes.clone())
                    .file_name(shot.file_name.clone())
                    .mime_str(&shot.content_type)
                    .map_err(|_| {
                        Error::Request(format!(
                            "bad screenshot content type {:?}",
                            shot.content_type
                        ))
                    })?;
                form = form.part("screenshot", part);
            }
            let path = &self.config.paths.possible_transaction_activate;
            let answer = self
                .exchange(
                    Method::POST,
                    path,
                    &Query::new(),
                    Body::Multipart(form),
                    true,
                )
                .await?;
            answer.success().map(|_| ())
        })
        .await
    }

    /// `POST payment/create/{payment_system}` (5c), for methods without activation.
    pub async fn create_payment(&self, request: &PaymentRequest) -> Result<PaymentCreated, Error> {
        self.guarded(async {
            let path = fill(
                &self.config.paths.payment_create,
                "payment_system",
                &request.payment_system,
            )?;
            let body = object([
                ("language", Some(PhpValue::string(request.language.clone()))),
                ("currency", Some(PhpValue::string(request.currency.clone()))),
                ("bank", request.bank.clone().map(PhpValue::string)),
                ("amount", Some(exact_number(request.amount))),
                ("label", Some(PhpValue::string(request.label.clone()))),
                (
                    "redirect_url",
                    Some(PhpValue::string(request.redirect_url.clone())),
                ),
                (
                    "custom_transaction_id",
                    request.custom_transaction_id.clone().map(PhpValue::string),
                ),
            ]);
            let answer = self
                .exchange(Method::POST, &path, &Query::new(), json_body(&body), true)
                .await?;
            let raw = answer.success()?.into_owned();
            Ok(PaymentCreated {
                redirect_url: find_redirect(&raw),
                raw,
            })
        })
        .await
    }

    /// `GET deposit-info` (5d): the user's savings for a method
    /// (`label`, `wallet_type`, `currency` in the query).
    pub async fn deposit_info(
        &self,
        label: &str,
        wallet_type: &str,
        currency: &str,
    ) -> Result<DepositInfo, Error> {
        self.guarded(async {
            let mut query = Query::new();
            query
                .push("label", label)
                .push("wallet_type", wallet_type)
                .push("currency", currency);
            let answer = self
                .exchange(
                    Method::GET,
                    &self.config.paths.deposit_info,
                    &query,
                    Body::None,
                    true,
                )
                .await?;
            let v = answer.success()?;
            let holder = match v.get("data") {
                Some(d @ PhpValue::Map(_)) => d,
                _ => &v,
            };
            Ok(DepositInfo {
                stockpiling_sum: decimal(holder.get("stockpiling_sum")),
                lacks_sum: decimal(holder.get("lacks_sum")),
                minimum_deposit: decimal(holder.get("minimum_deposit")),
            })
        })
        .await
    }
}
