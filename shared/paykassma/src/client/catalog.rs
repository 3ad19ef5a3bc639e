//! Section 3: the payment methods available to a user (`payment-systems/available`) and the
//! media hints per method (`wallet-type/images`). Both answers are loosely specified, so
//! they are read leniently: unknown fields ignored, missing optional ones tolerated,
//! entries without a method name skipped.

use std::collections::BTreeMap;

use reqwest::Method;
use rust_decimal::Decimal;

use super::read::{boolean, decimal, entries, integer, items, text};
use super::transport::{Body, Query};
use super::{Client, Error};
use crate::php::PhpValue;

/// A currency the methods work with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrencyData {
    /// `code` (older answers) or `currency_code` (newer).
    pub code: String,
    pub symbol: Option<String>,
}

/// A hint shown with a method (`requisites_hint`, `payment_hint`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletHint {
    pub hint_type: String,
    pub text: Option<String>,
}

/// A payment method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wallet {
    /// `type`: the `wallet_type` used in every other call.
    pub wallet_type: String,
    pub order: Option<i64>,
    pub logo: Option<String>,
    pub name: Option<String>,
    /// Activation goes through the multipart `possible-transaction/activate` when true.
    pub is_manual: bool,
    /// The manual activation accepts a receipt screenshot.
    pub uploading_payment_bill: bool,
    pub currency_code: Option<String>,
    pub hints: Vec<WalletHint>,
    pub show_limits: Option<bool>,
}

/// A method's deposit limits in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
}

/// The answer of `payment-systems/available`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentSystems {
    pub currency_data: Vec<CurrencyData>,
    pub wallets: Vec<Wallet>,
    /// `limits[wallet_type][currency]`.
    pub limits: BTreeMap<String, BTreeMap<String, Limit>>,
    /// `gif_guide[wallet_type]`: URL of a how-to animation or video.
    pub gif_guide: BTreeMap<String, String>,
}

/// The families the documented answer keys `limits` by (`"upi"`, not `"upi_l"`), each with
/// the wallet-type prefixes it covers. The documents' example shows these five keys; a method
/// outside them is looked up by its own type only.
pub const LIMIT_FAMILIES: &[(&str, &[&str])] = &[
    ("upi", &["upi_"]),
    ("paytm", &["paytm"]),
    ("phone_pe", &["phone_pe", "phonepe"]),
    ("imps", &["imps"]),
    ("bkash", &["bkash"]),
];

/// The `limits` family of `wallet_type` (`upi_l` -> `upi`), if it has one.
pub fn limit_family(wallet_type: &str) -> Option<&'static str> {
    LIMIT_FAMILIES
        .iter()
        .find(|(_, prefixes)| prefixes.iter().any(|p| wallet_type.starts_with(p)))
        .map(|(family, _)| *family)
}

/// Under which key of the answer a method's limits (or guide) were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitMatch {
    /// Its own `wallet_type`.
    WalletType,
    /// Its family ([`LIMIT_FAMILIES`]), e.g. `"upi"` for `upi_l`.
    Family(&'static str),
}

impl LimitMatch {
    /// The key itself: the wallet type or the family.
    pub fn key<'a>(&self, wallet_type: &'a str) -> &'a str {
        match self {
            Self::WalletType => wallet_type,
            Self::Family(family) => family,
        }
    }
}

/// A media hint of a method (`wallet-type/images`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletTypeImage {
    pub id: Option<i64>,
    pub url: String,
}

fn wallet(v: &PhpValue) -> Option<Wallet> {
    Some(Wallet {
        wallet_type: text(v.get("type")).or_else(|| text(v.get("wallet_type")))?,
        order: integer(v.get("order")),
        logo: text(v.get("logo")),
        name: text(v.get("name")),
        is_manual: boolean(v.get("is_manual")).unwrap_or(false),
        uploading_payment_bill: boolean(v.get("uploading_payment_bill")).unwrap_or(false),
        currency_code: text(v.get("currency_code")),
        hints: items(v.get("hints"))
            .into_iter()
            .filter_map(|h| {
                Some(WalletHint {
                    hint_type: text(h.get("type"))?,
                    text: text(h.get("text")),
                })
            })
            .collect(),
        show_limits: boolean(v.get("show_limits")),
    })
}

impl PaymentSystems {
    /// The limits of `wallet_type` in `currency`: under its own type first, then under its
    /// family, saying which applied.
    pub fn limit_for(&self, wallet_type: &str, currency: &str) -> Option<(&Limit, LimitMatch)> {
        let exact = self
            .limits
            .get(wallet_type)
            .and_then(|per| per.get(currency))
            .map(|l| (l, LimitMatch::WalletType));
        exact.or_else(|| {
            let family = limit_family(wallet_type)?;
            let l = self.limits.get(family)?.get(currency)?;
            Some((l, LimitMatch::Family(family)))
        })
    }

    /// The how-to-pay animation or video of `wallet_type` (`gif_guide`), by type then family.
    pub fn guide_for(&self, wallet_type: &str) -> Option<&str> {
        self.gif_guide
            .get(wallet_type)
            .or_else(|| self.gif_guide.get(limit_family(wallet_type)?))
            .map(String::as_str)
    }

    /// Reads the answer's `params` (or `data`, or the top level, whichever holds the
    /// fields).
    pub(crate) fn from_php(v: &PhpValue) -> Self {
        let holder = ["params", "data"]
            .into_iter()
            .filter_map(|k| v.get(k))
            .find(|p| matches!(p, PhpValue::Map(_)))
            .unwrap_or(v);
        let currency_data = items(holder.get("currency_data"))
            .into_iter()
            .filter_map(|c| {
                Some(CurrencyData {
                    code: text(c.get("code")).or_else(|| text(c.get("currency_code")))?,
                    symbol: text(c.get("symbol")),
                })
            })
            .collect();
        let limits = entries(holder.get("limits"))
            .iter()
            .map(|(wallet_type, per_currency)| {
                let per_currency = entries(Some(per_currency))
                    .iter()
                    .map(|(cur, l)| {
                        (
                            cur.to_string(),
                            Limit {
                                min: decimal(l.get("min")),
                                max: decimal(l.get("max")),
                            },
                        )
                    })
                    .collect();
                (wallet_type.to_string(), per_currency)
            })
            .collect();
        let gif_guide = entries(holder.get("gif_guide"))
            .iter()
            .filter_map(|(k, u)| Some((k.to_string(), text(Some(u))?)))
            .collect();
        Self {
            currency_data,
            wallets: items(holder.get("wallets"))
                .into_iter()
                .filter_map(wallet)
                .collect(),
            limits,
            gif_guide,
        }
    }
}

impl Client {
    /// `GET payment-systems/available`: the methods open to `label` in the given
    /// currencies (`currency_code[]=INR&currency_code[]=USD&label=...`).
    pub async fn available_payment_systems(
        &self,
        currency_codes: &[impl AsRef<str>],
        label: &str,
    ) -> Result<PaymentSystems, Error> {
        self.guarded(async {
            let mut query = Query::new();
            for code in currency_codes {
                query.push("currency_code[]", code.as_ref());
            }
            query.push("label", label);
            let answer = self
                .exchange(
                    Method::GET,
                    &self.config.paths.payment_systems_available,
                    &query,
                    Body::None,
                    true,
                )
                .await?;
            Ok(PaymentSystems::from_php(&answer.success()?))
        })
        .await
    }

    /// `GET wallet-type/images/`: media hints by `wallet_type`.
    pub async fn wallet_type_images(&self) -> Result<BTreeMap<String, WalletTypeImage>, Error> {
        self.guarded(async {
            let answer = self
                .exchange(
                    Method::GET,
                    &self.config.paths.wallet_type_images,
                    &Query::new(),
                    Body::None,
                    true,
                )
                .await?;
            let v = answer.success()?;
            Ok(entries(v.get("data"))
                .iter()
                .filter_map(|(k, img)| {
                    Some((
                        k.to_string(),
                        WalletTypeImage {
                            id: integer(img.get("id")),
                            url: text(img.get("url"))?,
                        },
                    ))
                })
                .collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(min: i64, max: i64) -> Limit {
        Limit {
            min: Some(Decimal::from(min)),
            max: Some(Decimal::from(max)),
        }
    }

    fn systems(keys: &[(&str, Limit)]) -> PaymentSystems {
        PaymentSystems {
            limits: keys
                .iter()
                .map(|(k, l)| {
                    (
                        k.to_string(),
                        BTreeMap::from([("INR".to_string(), l.clone())]),
                    )
                })
                .collect(),
            gif_guide: BTreeMap::from([("upi".to_string(), "u.mp4".to_string())]),
            ..PaymentSystems::default()
        }
    }

    #[test]
    fn the_families_cover_the_documented_keys() {
        assert_eq!(limit_family("upi_l"), Some("upi"));
        assert_eq!(limit_family("upi_s"), Some("upi"));
        assert_eq!(limit_family("paytm_api"), Some("paytm"));
        assert_eq!(limit_family("phonepe"), Some("phone_pe"));
        assert_eq!(limit_family("imps_ib"), Some("imps"));
        assert_eq!(limit_family("bkash"), Some("bkash"));
        assert_eq!(limit_family("nagad"), None);
        assert_eq!(limit_family("help2pay"), None);
    }

    #[test]
    fn a_method_s_own_limits_win_over_its_family_s() {
        let s = systems(&[("upi", limit(100, 500)), ("upi_l", limit(200, 300))]);
        assert_eq!(
            s.limit_for("upi_l", "INR"),
            Some((&limit(200, 300), LimitMatch::WalletType))
        );
        assert_eq!(
            s.limit_for("upi_m", "INR"),
            Some((&limit(100, 500), LimitMatch::Family("upi")))
        );
        assert_eq!(s.limit_for("upi_m", "BDT"), None);
        assert_eq!(s.limit_for("nagad", "INR"), None);
        assert_eq!(LimitMatch::Family("upi").key("upi_m"), "upi");
        assert_eq!(s.guide_for("upi_l"), Some("u.mp4"));
        assert_eq!(s.guide_for("paytm"), None);
    }
}
