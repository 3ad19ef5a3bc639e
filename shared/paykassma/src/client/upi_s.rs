//! Section 5b: UPI_S, a QR payment (P2C). Creating the payment returns the `upi://pay` link
//! to show as a QR code; its status can be polled.

use reqwest::Method;
use rust_decimal::Decimal;

use super::envelope::Answer;
use super::read::{exact_number, object, text};
use super::transport::{Body, Query, fill};
use super::{Client, Error};
use crate::php::{self, JsonFlags, PhpValue};

/// A UPI_S payment (`mode` = `upi_collect_qr`, `wallet_type` = `upi_s` are added).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpiSRequest {
    pub currency: String,
    pub label: String,
    pub amount: Decimal,
    pub custom_transaction_id: String,
}

/// The created payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpiSPayment {
    /// For [`Client::upi_s_status`].
    pub order_id: String,
    /// The `upi://pay?...` link: render it as the QR code and offer it as a link.
    pub qr_data: String,
    /// The gateway's own QR code, a base64 PNG.
    pub qr_string: Option<String>,
    pub message: Option<String>,
}

/// The status of a UPI_S payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpiSStatus {
    /// Paid: a confirmed transaction and a postback follow.
    Success,
    /// Waiting for confirmation.
    Processing,
    /// Not paid: no transaction, no postback.
    Failed,
}

impl Client {
    /// `POST payment/create/upi_s` (5b).
    pub async fn create_upi_s(&self, request: &UpiSRequest) -> Result<UpiSPayment, Error> {
        self.guarded(async {
            let path = fill(&self.config.paths.payment_create, "payment_system", "upi_s")?;
            let body = object([
                ("mode", Some(PhpValue::string("upi_collect_qr"))),
                ("currency", Some(PhpValue::string(request.currency.clone()))),
                ("label", Some(PhpValue::string(request.label.clone()))),
                ("wallet_type", Some(PhpValue::string("upi_s"))),
                ("amount", Some(exact_number(request.amount))),
                (
                    "custom_transaction_id",
                    Some(PhpValue::string(request.custom_transaction_id.clone())),
                ),
            ]);
            let json = php::encode(&body, JsonFlags::UNESCAPED);
            let answer = self
                .exchange(Method::POST, &path, &Query::new(), Body::Json(json), true)
                .await?;
            let v = answer.success()?;
            let data = match v.get("data") {
                Some(d @ PhpValue::Map(_)) => d,
                _ => &v,
            };
            Ok(UpiSPayment {
                order_id: text(data.get("order_id"))
                    .ok_or_else(|| answer.unreadable("no order_id in the answer"))?,
                qr_data: text(data.get("qr_data"))
                    .ok_or_else(|| answer.unreadable("no qr_data in the answer"))?,
                qr_string: text(data.get("qr_string")),
                message: text(data.get("message")),
            })
        })
        .await
    }

    /// `POST payment/upi_s/status` (5b).
    pub async fn upi_s_status(&self, order_id: &str) -> Result<UpiSStatus, Error> {
        self.guarded(async {
            let body = object([("order_id", Some(PhpValue::string(order_id)))]);
            let json = php::encode(&body, JsonFlags::UNESCAPED);
            let path = &self.config.paths.upi_s_status;
            let answer = self
                .exchange(Method::POST, path, &Query::new(), Body::Json(json), true)
                .await?;
            let v = answer.json()?;
            // The status is the payment's, not an envelope: `success` here means paid.
            let status = v
                .get("data")
                .and_then(Answer::status_field)
                .or_else(|| Answer::status_field(&v));
            match (status, answer.is_success()) {
                (Some("success"), true) => Ok(UpiSStatus::Success),
                (Some("processing"), true) => Ok(UpiSStatus::Processing),
                (Some("failed"), true) => Ok(UpiSStatus::Failed),
                _ => answer
                    .check_success(v)
                    .and_then(|_| Err(answer.unreadable("unknown UPI_S status"))),
            }
        })
        .await
    }
}
