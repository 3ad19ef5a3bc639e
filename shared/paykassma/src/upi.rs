//! UPI links from the gateway's `qr_data` (`upi://pay?pa=...&am=...`): app-specific deep links
//! for iOS, where the generic `upi://` scheme does not reliably open a payment app, and a typed
//! reading of the payment so a page can show whom the user is paying and how much.
//!
//! The app links only swap the scheme prefix, as the gateway's UPI_S document prescribes:
//! `paytmmp://` (Paytm), `phonepe://` (PhonePe), `tez://upi/` (Google Pay). The rest of the
//! link is kept byte for byte.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

const UPI_PREFIX: &str = "upi://";

/// Why a `qr_data` string is not a usable UPI link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpiError {
    #[error("not a UPI link: it must start with upi://")]
    NotUpi,
    #[error("not a UPI payment link: expected upi://pay?..., found upi://{0}")]
    NotPay(String),
    #[error("the UPI link has no payee address (pa)")]
    MissingPayee,
    #[error("the UPI link's payee address {0:?} is not a VPA (name@handle)")]
    InvalidPayee(String),
    #[error("the UPI link's {field} is not a non-negative amount: {value:?}")]
    InvalidAmount { field: &'static str, value: String },
    #[error("the UPI link repeats the parameter {0}")]
    DuplicateParameter(String),
}

/// The generic link and the app-specific ones for the same payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeepLinks {
    /// The `qr_data` itself, for Android (any UPI app picks it up) and the QR code.
    pub generic: String,
    /// `paytmmp://...`
    pub paytm: String,
    /// `phonepe://...`
    pub phonepe: String,
    /// `tez://upi/...`
    pub gpay: String,
}

impl DeepLinks {
    /// Builds the links from `qr_data`, which must start with `upi://` (scheme case-insensitive).
    pub fn from_qr_data(qr_data: &str) -> Result<Self, UpiError> {
        let rest = strip_upi(qr_data)?;
        Ok(Self {
            generic: qr_data.to_string(),
            paytm: format!("paytmmp://{rest}"),
            phonepe: format!("phonepe://{rest}"),
            gpay: format!("tez://upi/{rest}"),
        })
    }
}

/// What follows `upi://`, when `s` starts with it in any letter case.
fn strip_upi(s: &str) -> Result<&str, UpiError> {
    match s.get(..UPI_PREFIX.len()) {
        Some(head) if head.eq_ignore_ascii_case(UPI_PREFIX) => Ok(&s[UPI_PREFIX.len()..]),
        _ => Err(UpiError::NotUpi),
    }
}

/// A `upi://pay` link's parameters (NPCI's UPI linking specification), values percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpiPayment {
    /// Payee VPA (`name@handle`).
    pub pa: String,
    /// Payee name.
    pub pn: Option<String>,
    /// Amount, exact as written in the link.
    pub am: Option<Decimal>,
    /// Minimum amount (when the payer may change `am`).
    pub mam: Option<Decimal>,
    /// Currency (`INR`).
    pub cu: Option<String>,
    /// Transaction note shown to the payer.
    pub tn: Option<String>,
    /// Transaction reference (the gateway's order reference).
    pub tr: Option<String>,
    /// Transaction id.
    pub tid: Option<String>,
    /// Merchant category code.
    pub mc: Option<String>,
    /// Reference URL.
    pub url: Option<String>,
    /// Parameters not listed above, in link order.
    pub other: Vec<(String, String)>,
}

impl FromStr for UpiPayment {
    type Err = UpiError;

    /// Parses `upi://pay?...`. A repeated known parameter is refused rather than guessed:
    /// two payees or two amounts in one link cannot be shown honestly.
    fn from_str(qr_data: &str) -> Result<Self, UpiError> {
        let rest = strip_upi(qr_data)?;
        let (target, query) = rest.split_once('?').unwrap_or((rest, ""));
        if !target.trim_end_matches('/').eq_ignore_ascii_case("pay") {
            return Err(UpiError::NotPay(target.to_string()));
        }
        let mut p = UpiPayment {
            pa: String::new(),
            pn: None,
            am: None,
            mam: None,
            cu: None,
            tn: None,
            tr: None,
            tid: None,
            mc: None,
            url: None,
            other: Vec::new(),
        };
        let mut pa = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            let slot = match key.as_ref() {
                "pa" => &mut pa,
                "pn" => &mut p.pn,
                "cu" => &mut p.cu,
                "tn" => &mut p.tn,
                "tr" => &mut p.tr,
                "tid" => &mut p.tid,
                "mc" => &mut p.mc,
                "url" => &mut p.url,
                "am" | "mam" => {
                    let field = if key == "am" { "am" } else { "mam" };
                    let amount = parse_amount(field, &value)?;
                    let slot = if field == "am" { &mut p.am } else { &mut p.mam };
                    if slot.replace(amount).is_some() {
                        return Err(UpiError::DuplicateParameter(field.to_string()));
                    }
                    continue;
                }
                _ => {
                    p.other.push((key.into_owned(), value));
                    continue;
                }
            };
            if slot.replace(value).is_some() {
                return Err(UpiError::DuplicateParameter(key.into_owned()));
            }
        }
        let pa = pa.filter(|a| !a.is_empty()).ok_or(UpiError::MissingPayee)?;
        match pa.split_once('@') {
            Some((name, handle))
                if !name.is_empty() && !handle.is_empty() && !pa.contains(char::is_whitespace) => {}
            _ => return Err(UpiError::InvalidPayee(pa)),
        }
        p.pa = pa;
        Ok(p)
    }
}

fn parse_amount(field: &'static str, value: &str) -> Result<Decimal, UpiError> {
    // Plain decimal text only: a link with `1e3` or ` 100` is malformed, not a thousand.
    let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.');
    match Decimal::from_str(value) {
        Ok(d) if plain && !d.is_sign_negative() => Ok(d),
        _ => Err(UpiError::InvalidAmount {
            field,
            value: value.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "upi://pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987";
    const REST: &str =
        "pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987";

    #[test]
    fn deep_links_from_the_seed() {
        let links = DeepLinks::from_qr_data(SEED).unwrap();
        assert_eq!(links.generic, SEED);
        assert_eq!(links.paytm, format!("paytmmp://{REST}"));
        assert_eq!(links.phonepe, format!("phonepe://{REST}"));
        assert_eq!(links.gpay, format!("tez://upi/{REST}"));
        let json = serde_json::to_value(&links).unwrap();
        assert_eq!(json["gpay"], format!("tez://upi/{REST}"));
        assert_eq!(json.as_object().unwrap().len(), 4);
    }

    #[test]
    fn scheme_is_case_insensitive_and_required() {
        let links = DeepLinks::from_qr_data("UPI://pay?pa=a@b").unwrap();
        assert_eq!(links.generic, "UPI://pay?pa=a@b");
        assert_eq!(links.phonepe, "phonepe://pay?pa=a@b");
        for bad in [
            "",
            "upi:/pay?pa=a@b",
            "https://pay?pa=a@b",
            " upi://pay?pa=a@b",
            "upi",
            "ü",
        ] {
            assert_eq!(
                DeepLinks::from_qr_data(bad),
                Err(UpiError::NotUpi),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn payment_from_the_seed() {
        let p: UpiPayment = SEED.parse().unwrap();
        assert_eq!(p.pa, "test@bank");
        assert_eq!(p.pn.as_deref(), Some("Test test"));
        assert_eq!(p.am, Some(Decimal::from(100)));
        assert_eq!(p.tn.as_deref(), Some("IT32021661770570987"));
        assert_eq!(p.tr.as_deref(), Some("IT32021661770570987"));
        assert_eq!(p.cu, None);
        assert!(p.other.is_empty());
    }

    #[test]
    fn payment_keeps_exact_amounts_and_unknown_parameters() {
        let p: UpiPayment = "upi://pay?pa=shop.1@okaxis&am=187239.10&cu=INR&mode=02&pn=A%26B+Co"
            .parse()
            .unwrap();
        assert_eq!(p.am.unwrap().to_string(), "187239.10");
        assert_eq!(p.cu.as_deref(), Some("INR"));
        assert_eq!(p.pn.as_deref(), Some("A&B Co"));
        assert_eq!(p.other, vec![("mode".to_string(), "02".to_string())]);
    }

    #[test]
    fn bad_payments_are_refused() {
        let cases: [(&str, UpiError); 7] = [
            ("upi://mandate?pa=a@b", UpiError::NotPay("mandate".into())),
            ("upi://pay?pn=x", UpiError::MissingPayee),
            ("upi://pay?pa=", UpiError::MissingPayee),
            (
                "upi://pay?pa=nohandle",
                UpiError::InvalidPayee("nohandle".into()),
            ),
            (
                "upi://pay?pa=a@b&am=-5",
                UpiError::InvalidAmount {
                    field: "am",
                    value: "-5".into(),
                },
            ),
            (
                "upi://pay?pa=a@b&mam=1e3",
                UpiError::InvalidAmount {
                    field: "mam",
                    value: "1e3".into(),
                },
            ),
            (
                "upi://pay?pa=a@b&pa=c@d",
                UpiError::DuplicateParameter("pa".into()),
            ),
        ];
        for (link, want) in cases {
            assert_eq!(link.parse::<UpiPayment>(), Err(want), "{link}");
        }
        assert_eq!(
            "upi://pay?pa=a@b&am=1&am=2".parse::<UpiPayment>(),
            Err(UpiError::DuplicateParameter("am".into()))
        );
        assert_eq!(
            "http://pay?pa=a@b".parse::<UpiPayment>(),
            Err(UpiError::NotUpi)
        );
    }
}
