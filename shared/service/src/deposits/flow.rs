//! How a deposit is paid, as one type: [`Flow`] is chosen at creation, kept in the deposit's
//! `details` (the keys below, the same ones the code has always written) and read back by
//! activation, reads and the view. Every use `match`es on it, so a new flow is a compile error
//! wherever it must be handled.

use std::collections::BTreeMap;

use crate::methods::Kind;

/// `details` keys a deposit keeps from its creation.
mod key {
    pub const KIND: &str = "kind";
    pub const PAY_TO: &str = "pay_to";
    pub const ORDER_ID: &str = "order_id";
    pub const QR_DATA: &str = "qr_data";
    pub const PAYMENT_URL: &str = "payment_url";
    pub const REDIRECT_URL: &str = "redirect_url";
    pub const ACCEPTS_SCREENSHOT: &str = "accepts_screenshot";
}

/// What the user does to pay, with what the gateway gave us for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    /// The user pays to `pay_to` (VPA, wallet number) in their own app, then activates the
    /// deposit with the transaction number.
    P2p { pay_to: String },
    /// Like P2P, activated with the multipart route; a receipt screenshot when the method
    /// takes one.
    Manual {
        pay_to: String,
        accepts_screenshot: bool,
    },
    /// UPI_S: the user scans the QR code of the gateway's order; no activation.
    Qr { order_id: String, qr_data: String },
    /// The user is sent to the gateway's or the bank's page (when it gave one); no activation.
    Redirect { redirect_url: Option<String> },
    /// The gateway's payment window (plugin URL) for a method of kind `method`; the window
    /// takes the payment, so no activation here.
    Window { method: Kind, payment_url: String },
}

impl Flow {
    /// The method kind the API shows (`kind`): a window payment shows its method's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Self::P2p { .. } => Kind::P2p,
            Self::Manual { .. } => Kind::Manual,
            Self::Qr { .. } => Kind::Qr,
            Self::Redirect { .. } => Kind::Redirect,
            Self::Window { method, .. } => *method,
        }
    }

    /// Whether the user activates the deposit with a transaction number, and whether that
    /// activation may carry a screenshot.
    pub fn activation(&self) -> Activation {
        match self {
            Self::P2p { .. } => Activation::Key,
            Self::Manual { .. } => Activation::KeyAndScreenshot,
            Self::Qr { .. } | Self::Redirect { .. } | Self::Window { .. } => Activation::None,
        }
    }

    /// The `details` entries that store this flow.
    pub fn to_details(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        let mut put = |k: &str, v: &str| {
            d.insert(k.to_string(), v.to_string());
        };
        put(key::KIND, kind_str(self.kind()));
        match self {
            Self::P2p { pay_to } => put(key::PAY_TO, pay_to),
            Self::Manual {
                pay_to,
                accepts_screenshot,
            } => {
                if *accepts_screenshot {
                    put(key::ACCEPTS_SCREENSHOT, "true");
                }
                put(key::PAY_TO, pay_to);
            }
            Self::Qr { order_id, qr_data } => {
                put(key::ORDER_ID, order_id);
                put(key::QR_DATA, qr_data);
            }
            Self::Redirect { redirect_url } => {
                if let Some(u) = redirect_url {
                    put(key::REDIRECT_URL, u);
                }
            }
            Self::Window { payment_url, .. } => put(key::PAYMENT_URL, payment_url),
        }
        d
    }

    /// Reads the flow back from a deposit's `details`; `None` when they do not describe one
    /// (an item no version of this code wrote).
    pub fn from_details(d: &BTreeMap<String, String>) -> Option<Self> {
        let get = |k: &str| d.get(k).cloned();
        let method = kind_of(d.get(key::KIND)?)?;
        if let Some(payment_url) = get(key::PAYMENT_URL) {
            return Some(Self::Window {
                method,
                payment_url,
            });
        }
        Some(match method {
            Kind::P2p => Self::P2p {
                pay_to: get(key::PAY_TO)?,
            },
            Kind::Manual => Self::Manual {
                pay_to: get(key::PAY_TO)?,
                accepts_screenshot: d.get(key::ACCEPTS_SCREENSHOT).map(String::as_str)
                    == Some("true"),
            },
            Kind::Qr => Self::Qr {
                order_id: get(key::ORDER_ID)?,
                qr_data: get(key::QR_DATA)?,
            },
            Kind::Redirect => Self::Redirect {
                redirect_url: get(key::REDIRECT_URL),
            },
        })
    }
}

/// What activation a flow takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Paid without activation.
    None,
    /// A transaction number (UTR and the like).
    Key,
    /// A transaction number, optionally with a receipt screenshot.
    KeyAndScreenshot,
}

/// The stored and shown spelling of a kind (serde's, so the API and the item agree).
fn kind_str(kind: Kind) -> &'static str {
    match kind {
        Kind::P2p => "p2p",
        Kind::Qr => "qr",
        Kind::Redirect => "redirect",
        Kind::Manual => "manual",
    }
}

fn kind_of(s: &str) -> Option<Kind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Serialize, Deserialize)]
    struct KindProbe {
        kind: Kind,
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// `details` exactly as the code before `Flow` wrote them (create.rs inserted each key by
    /// hand), one per flow: each reads back as its flow and writes back unchanged.
    #[test]
    fn items_written_before_flow_read_back_and_round_trip() {
        let cases = [
            (
                map(&[("kind", "p2p"), ("pay_to", "merchant@upi")]),
                Flow::P2p {
                    pay_to: "merchant@upi".into(),
                },
            ),
            (
                map(&[
                    ("kind", "manual"),
                    ("accepts_screenshot", "true"),
                    ("pay_to", "01711111111"),
                ]),
                Flow::Manual {
                    pay_to: "01711111111".into(),
                    accepts_screenshot: true,
                },
            ),
            (
                map(&[("kind", "manual"), ("pay_to", "01711111111")]),
                Flow::Manual {
                    pay_to: "01711111111".into(),
                    accepts_screenshot: false,
                },
            ),
            (
                map(&[
                    ("kind", "qr"),
                    ("order_id", "9001"),
                    ("qr_data", "upi://pay?pa=x@upi&am=100"),
                ]),
                Flow::Qr {
                    order_id: "9001".into(),
                    qr_data: "upi://pay?pa=x@upi&am=100".into(),
                },
            ),
            (
                map(&[("kind", "redirect"), ("redirect_url", "https://bank/pay")]),
                Flow::Redirect {
                    redirect_url: Some("https://bank/pay".into()),
                },
            ),
            (
                map(&[("kind", "redirect")]),
                Flow::Redirect { redirect_url: None },
            ),
            (
                map(&[
                    ("kind", "p2p"),
                    ("payment_url", "https://plugin/?label=u1&wallet_type=upi_l"),
                ]),
                Flow::Window {
                    method: Kind::P2p,
                    payment_url: "https://plugin/?label=u1&wallet_type=upi_l".into(),
                },
            ),
        ];
        for (details, flow) in cases {
            assert_eq!(Flow::from_details(&details).as_ref(), Some(&flow));
            assert_eq!(flow.to_details(), details);
        }
    }

    #[test]
    fn other_details_are_ignored_and_incomplete_ones_read_as_none() {
        let mut d = map(&[("kind", "p2p"), ("pay_to", "a@upi"), ("order_ref", "x_2")]);
        assert_eq!(
            Flow::from_details(&d),
            Some(Flow::P2p {
                pay_to: "a@upi".into()
            })
        );
        d.remove("pay_to");
        assert_eq!(Flow::from_details(&d), None);
        assert_eq!(
            Flow::from_details(&map(&[("kind", "carrier_pigeon")])),
            None
        );
        assert_eq!(Flow::from_details(&map(&[("pay_to", "a@upi")])), None);
    }

    /// The stored spelling is serde's, so `kind` in an item and in an API answer agree.
    #[test]
    fn kind_spelling_is_serdes() {
        for k in [Kind::P2p, Kind::Qr, Kind::Redirect, Kind::Manual] {
            let json = serde_json::to_string(&KindProbe { kind: k }).unwrap();
            assert_eq!(json, format!(r#"{{"kind":"{}"}}"#, kind_str(k)));
            assert_eq!(kind_of(kind_str(k)), Some(k));
        }
    }

    #[test]
    fn activation_by_flow() {
        let window = Flow::Window {
            method: Kind::Manual,
            payment_url: "u".into(),
        };
        assert_eq!(window.activation(), Activation::None);
        assert_eq!(window.kind(), Kind::Manual);
        assert_eq!(
            Flow::P2p { pay_to: "p".into() }.activation(),
            Activation::Key
        );
    }
}
