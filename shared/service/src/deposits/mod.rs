//! Deposits: create one through the method's flow (`create`), read and refresh it (`read`),
//! list the user's (`history`), render its QR code (`read::qr_svg`/`qr_png`) and activate it
//! with the user's transaction number (`activate`), and show what went into the user's savings at
//! the gateway (`savings`). How it is paid is its [`Flow`] (`flow`). The answer shape of a deposit
//! is [`DepositView`], the same for creation, replays and reads.

pub mod activate;
pub mod create;
pub mod flow;
pub mod history;
pub mod read;
pub mod savings;

use payments::DepositStatus;
use payments::money::at_scale;
use payments::store::Deposit;
use serde::Serialize;

pub use flow::Flow;

use crate::Deps;
use crate::methods::Kind;

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
    /// A `saving` deposit's savings at the gateway, as they are now (reads and activations ask;
    /// listings do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savings: Option<savings::SavingsView>,
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
    /// The code as a `data:` URL, while the deposit awaits payment: a page shows it with no
    /// request of its own. Rendered for each answer, never stored (it is ~4x `data`'s size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg_data_url: Option<String>,
    pub svg_url: String,
    pub png_url: String,
}

impl DepositView {
    /// The view with its QR code inline when it awaits payment (`pending`).
    pub fn with_inline_qr(mut self) -> Self {
        if self.status == DepositStatus::Pending.as_str()
            && let Some(qr) = &mut self.qr
        {
            qr.svg_data_url = paykassma::qr::to_svg_data_url(&qr.data).ok();
        }
        self
    }

    /// The view without the inline QR code: what an idempotency record keeps.
    pub fn without_inline_qr(mut self) -> Self {
        if let Some(qr) = &mut self.qr {
            qr.svg_data_url = None;
        }
        self
    }
}

/// The deposit's flow, read from its `details`.
pub(crate) fn flow_of(d: &Deposit) -> Option<Flow> {
    Flow::from_details(&d.details)
}

/// A link to one of our routes: absolute under `PUBLIC_BASE_URL`, else relative.
fn link(deps: &Deps, path: &str) -> String {
    match &deps.settings.public_base_url {
        Some(base) => format!("{}{}", base.as_str().trim_end_matches('/'), path),
        None => path.to_string(),
    }
}

pub fn view(deps: &Deps, d: &Deposit) -> DepositView {
    let flow = flow_of(d);
    let (mut pay_to, mut qr, mut deep_links, mut payment_url, mut redirect_url) =
        (None, None, None, None, None);
    match &flow {
        Some(Flow::P2p { pay_to: to } | Flow::Manual { pay_to: to, .. }) => {
            pay_to = Some(to.clone());
        }
        Some(Flow::Qr { qr_data, .. }) => {
            qr = Some(QrView {
                data: qr_data.clone(),
                svg_data_url: None,
                svg_url: link(deps, &format!("/v1/deposits/{}/qr.svg", d.id.as_str())),
                png_url: link(deps, &format!("/v1/deposits/{}/qr.png", d.id.as_str())),
            });
            deep_links = paykassma::upi::DeepLinks::from_qr_data(qr_data)
                .ok()
                .map(|l| DeepLinksView {
                    generic: l.generic,
                    paytm: l.paytm,
                    phonepe: l.phonepe,
                    gpay: l.gpay,
                });
        }
        Some(Flow::Redirect { redirect_url: url }) => redirect_url = url.clone(),
        Some(Flow::Window {
            payment_url: url, ..
        }) => payment_url = Some(url.clone()),
        None => {}
    }
    let view = DepositView {
        id: d.id.as_str().to_string(),
        status: d.status.as_str().to_string(),
        wallet_type: d.wallet_type.clone(),
        kind: flow.as_ref().map(Flow::kind),
        amount: d
            .amount
            .map(|m| at_scale(m.amount(), m.currency()).to_string()),
        currency: d.currency.code().to_string(),
        credited_amount: d
            .credited
            .map(|m| at_scale(m.amount(), m.currency()).to_string()),
        message: d.message.clone(),
        pay_to,
        qr,
        deep_links,
        payment_url,
        redirect_url,
        savings: None,
        created_at: d
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    };
    view.with_inline_qr()
}
