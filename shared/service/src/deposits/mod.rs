//! Deposits: create one through the method's flow (`create`), read and refresh it (`read`),
//! render its QR code (`read::qr_svg`/`qr_png`) and activate it with the user's transaction
//! number (`activate`). The answer shape of a deposit is [`DepositView`], the same for
//! creation, replays and reads.

pub mod activate;
pub mod create;
pub mod read;

use payments::money::at_scale;
use payments::store::Deposit;
use serde::Serialize;

use crate::Deps;
use crate::methods::Kind;

/// `details` keys a deposit keeps from its creation.
pub(crate) mod detail {
    pub const KIND: &str = "kind";
    pub const PAY_TO: &str = "pay_to";
    pub const ORDER_ID: &str = "order_id";
    pub const QR_DATA: &str = "qr_data";
    pub const PAYMENT_URL: &str = "payment_url";
    pub const REDIRECT_URL: &str = "redirect_url";
    pub const ACCEPTS_SCREENSHOT: &str = "accepts_screenshot";
}

/// A deposit as the API shows it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DepositView {
    pub id: String,
    pub status: String,
    pub wallet_type: String,
    pub kind: Option<Kind>,
    pub amount: Option<String>,
    pub currency: String,
    /// What was paid, once credited (differs from `amount` when `status` is `amount_mismatch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credited_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// P2P and manual: the identifier (VPA, wallet number) to pay to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deep_links: Option<DeepLinksView>,
    /// Window mode: the payment window to send the user to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    /// Redirect methods: a page to send the user to, when the gateway gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub created_at: String,
}

/// App links for the same UPI payment (iOS needs the app-specific ones).
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DeepLinksView {
    pub generic: String,
    pub paytm: String,
    pub phonepe: String,
    pub gpay: String,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct QrView {
    /// The `upi://pay?...` link the QR code encodes.
    pub data: String,
    pub svg_url: String,
    pub png_url: String,
}

pub(crate) fn kind_of(d: &Deposit) -> Option<Kind> {
    d.details
        .get(detail::KIND)
        .and_then(|k| serde_json::from_value(serde_json::Value::String(k.clone())).ok())
}

pub(crate) fn kind_str(kind: Kind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A link to one of our routes: absolute under `PUBLIC_BASE_URL`, else relative.
fn link(deps: &Deps, path: &str) -> String {
    match &deps.settings.public_base_url {
        Some(base) => format!("{}{}", base.as_str().trim_end_matches('/'), path),
        None => path.to_string(),
    }
}

pub fn view(deps: &Deps, d: &Deposit) -> DepositView {
    let qr_data = d.details.get(detail::QR_DATA).cloned();
    let qr = qr_data.as_ref().map(|data| QrView {
        data: data.clone(),
        svg_url: link(deps, &format!("/v1/deposits/{}/qr.svg", d.id.as_str())),
        png_url: link(deps, &format!("/v1/deposits/{}/qr.png", d.id.as_str())),
    });
    let deep_links = qr_data
        .as_deref()
        .and_then(|q| paykassma::upi::DeepLinks::from_qr_data(q).ok())
        .map(|l| DeepLinksView {
            generic: l.generic,
            paytm: l.paytm,
            phonepe: l.phonepe,
            gpay: l.gpay,
        });
    DepositView {
        id: d.id.as_str().to_string(),
        status: d.status.as_str().to_string(),
        wallet_type: d.wallet_type.clone(),
        kind: kind_of(d),
        amount: d
            .amount
            .map(|m| at_scale(m.amount(), m.currency()).to_string()),
        currency: d.currency.code().to_string(),
        credited_amount: d
            .credited
            .map(|m| at_scale(m.amount(), m.currency()).to_string()),
        message: d.message.clone(),
        pay_to: d.details.get(detail::PAY_TO).cloned(),
        qr,
        deep_links,
        payment_url: d.details.get(detail::PAYMENT_URL).cloned(),
        redirect_url: d.details.get(detail::REDIRECT_URL).cloned(),
        created_at: d
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    }
}
