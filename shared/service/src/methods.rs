//! The payment methods a user may deposit with: the gateway's `payment-systems/available`
//! list for a user and a currency (cached in the store per (currency, label) for
//! `METHODS_CACHE_SECONDS`: the request takes the label, so the list may differ per user),
//! intersected with the operator's on/off switches, each classified by how the user pays
//! (`kind`), with its limits resolved as the gateway keys them (own type, then family) and the
//! media a frontend shows to explain how to pay (`wallet-type/images`, `gif_guide`).

use std::collections::BTreeMap;
use std::time::Duration;

use paykassma::client::{LimitMatch, PaymentSystems};
use payments::{Currency, Label};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Deps;
use crate::http::ApiError;
use crate::settings::LimitsUnit;

/// How a method takes a deposit, which decides what `POST /v1/deposits` answers and whether
/// the deposit needs an activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The user pays to an identifier (VPA, wallet number) in their own app, then activates
    /// with the transaction number.
    P2p,
    /// UPI_S: the user scans a QR code; no activation.
    Qr,
    /// The user is sent to the gateway's or the bank's page; no activation.
    Redirect,
    /// Like P2P, but activated with the multipart route (optionally with a receipt screenshot).
    Manual,
}

/// Methods paid to an identifier and activated by the user's transaction number. The gateway's
/// list does not say how a method pays, so this is data: `upi_s` is the QR method, `is_manual`
/// methods are manual, these families are P2P, anything else is a redirect method.
const P2P_FAMILIES: &[&str] = &["upi_", "paytm", "phone_pe", "phonepe", "bkash", "nagad"];

/// The QR (P2C) method.
pub const QR_METHOD: &str = "upi_s";

pub fn classify(wallet_type: &str, is_manual: bool) -> Kind {
    if wallet_type == QR_METHOD {
        Kind::Qr
    } else if is_manual {
        Kind::Manual
    } else if P2P_FAMILIES.iter().any(|f| wallet_type.starts_with(f)) {
        Kind::P2p
    } else {
        Kind::Redirect
    }
}

/// One method as offered to the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    pub wallet_type: String,
    pub name: String,
    pub kind: Kind,
    /// Deposit limits in the requested currency, in major units, when the gateway gave them.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub min: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    /// Which key of the gateway's `limits` gave `min`/`max`: the method's own type or its
    /// family (`upi` for `upi_l`); `None` without limits.
    #[serde(default)]
    pub limits_from: Option<LimitsFrom>,
    pub logo: Option<String>,
    /// A manual method accepts a receipt screenshot at activation.
    #[serde(default)]
    pub accepts_screenshot: bool,
    /// The gateway's `is_manual` and `uploading_payment_bill`, as given.
    #[serde(default)]
    pub is_manual: bool,
    #[serde(default)]
    pub uploading_payment_bill: bool,
    /// The gateway's display order (lower first); the list is sorted by it.
    #[serde(default)]
    pub order: Option<i64>,
    /// How-to-pay media: the method's guide animation (`gif_guide`) and image or video
    /// (`wallet-type/images`), when the gateway has them.
    #[serde(default)]
    pub guide_url: Option<String>,
    #[serde(default)]
    pub media_url: Option<String>,
    /// The gateway's hints (`requisites_hint`, `payment_hint`) that carry a text.
    #[serde(default)]
    pub hints: Vec<Hint>,
}

/// Where a method's limits came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsFrom {
    /// `wallet_type` or `family`.
    #[serde(rename = "match")]
    pub matched: LimitsMatch,
    /// The key itself (`upi_l`, `upi`).
    pub key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitsMatch {
    WalletType,
    Family,
}

/// A hint the gateway shows with a method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hint {
    #[serde(rename = "type")]
    pub hint_type: String,
    pub text: String,
}

fn cache_key(currency: Currency, label: &Label) -> String {
    format!("methods:{}:{}", currency.code(), label.as_str())
}

const MEDIA_CACHE_KEY: &str = "methods:media";

/// `limit` from the gateway in major units, whatever `LIMITS_UNIT` says it was sent in.
fn major(limit: Option<Decimal>, unit: LimitsUnit, currency: Currency) -> Option<Decimal> {
    let v = limit?;
    Some(match unit {
        LimitsUnit::Major => v,
        LimitsUnit::Minor => {
            let mut major = v;
            // Exact: moves the point by the currency's scale, no rounding.
            major.set_scale(major.scale() + currency.scale()).ok()?;
            major.normalize()
        }
    })
}

/// The method list built from one `payment-systems/available` answer.
fn methods_of(
    systems: &PaymentSystems,
    media: &BTreeMap<String, String>,
    currency: Currency,
    unit: LimitsUnit,
) -> Vec<Method> {
    let mut list: Vec<Method> = systems
        .wallets
        .iter()
        .filter(|w| {
            w.currency_code
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(currency.code()))
        })
        .map(|w| {
            let limit = systems.limit_for(&w.wallet_type, currency.code());
            Method {
                wallet_type: w.wallet_type.clone(),
                name: w.name.clone().unwrap_or_else(|| w.wallet_type.clone()),
                kind: classify(&w.wallet_type, w.is_manual),
                min: limit.and_then(|(l, _)| major(l.min, unit, currency)),
                max: limit.and_then(|(l, _)| major(l.max, unit, currency)),
                limits_from: limit.map(|(_, m)| LimitsFrom {
                    key: m.key(&w.wallet_type).to_string(),
                    matched: match m {
                        LimitMatch::WalletType => LimitsMatch::WalletType,
                        LimitMatch::Family(_) => LimitsMatch::Family,
                    },
                }),
                logo: w.logo.clone(),
                accepts_screenshot: w.is_manual && w.uploading_payment_bill,
                is_manual: w.is_manual,
                uploading_payment_bill: w.uploading_payment_bill,
                order: w.order,
                guide_url: systems.guide_for(&w.wallet_type).map(str::to_string),
                media_url: media.get(&w.wallet_type).cloned(),
                hints: w
                    .hints
                    .iter()
                    .filter_map(|h| {
                        Some(Hint {
                            hint_type: h.hint_type.clone(),
                            text: h.text.clone().filter(|t| !t.trim().is_empty())?,
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    // Gateway order first, unordered methods last, each group in the gateway's sequence.
    list.sort_by_key(|m| m.order.unwrap_or(i64::MAX));
    list
}

fn cache_ttl(deps: &Deps) -> time::Duration {
    time::Duration::try_from(deps.settings.methods_cache_ttl.max(Duration::from_secs(1)))
        .unwrap_or(time::Duration::minutes(1))
}

/// The gateway's media per wallet type (`wallet-type/images`), cached like the lists. Best
/// effort: the images only explain how to pay, so a failed call shows none (and is retried
/// on the next list) rather than failing the list.
async fn media(deps: &Deps) -> Result<BTreeMap<String, String>, ApiError> {
    if let Some(text) = deps.store.get_cache(MEDIA_CACHE_KEY).await?
        && let Ok(map) = serde_json::from_str(&text)
    {
        return Ok(map);
    }
    let images = match deps.gateway.wallet_type_images().await {
        Ok(images) => images,
        Err(e) => {
            tracing::warn!(error = %e, "wallet-type/images failed; methods listed without media");
            return Ok(BTreeMap::new());
        }
    };
    let map: BTreeMap<String, String> = images.into_iter().map(|(k, i)| (k, i.url)).collect();
    let text = serde_json::to_string(&map)
        .map_err(|e| ApiError::Internal(format!("media cache encoding: {e}")))?;
    deps.store
        .put_cache(MEDIA_CACHE_KEY, &text, deps.clock.now() + cache_ttl(deps))
        .await?;
    Ok(map)
}

/// The gateway's methods for `label` in `currency`, from the cache or the gateway (then
/// cached).
async fn gateway_methods(
    deps: &Deps,
    currency: Currency,
    label: &Label,
) -> Result<Vec<Method>, ApiError> {
    let key = cache_key(currency, label);
    if let Some(text) = deps.store.get_cache(&key).await? {
        match serde_json::from_str::<Vec<Method>>(&text) {
            Ok(list) => return Ok(list),
            // A cache written by another version: refetch and overwrite.
            Err(e) => tracing::warn!(error = %e, "unreadable methods cache, refetching"),
        }
    }
    let systems = deps
        .gateway
        .available_payment_systems(&[currency.code()], label.as_str())
        .await?;
    let list = methods_of(
        &systems,
        &media(deps).await?,
        currency,
        deps.settings.limits_unit,
    );
    let text = serde_json::to_string(&list)
        .map_err(|e| ApiError::Internal(format!("methods cache encoding: {e}")))?;
    deps.store
        .put_cache(&key, &text, deps.clock.now() + cache_ttl(deps))
        .await?;
    Ok(list)
}

/// The methods `label` may use in `currency` now: the gateway's list minus the switched-off
/// ones (a method nobody switched follows `METHODS_ENABLED_BY_DEFAULT`). The switches are one
/// read, not one per method.
pub async fn available(
    deps: &Deps,
    currency: Currency,
    label: &Label,
) -> Result<Vec<Method>, ApiError> {
    let switched: std::collections::HashMap<String, bool> = deps
        .store
        .list_method_switches()
        .await?
        .into_iter()
        .map(|s| (s.wallet_type, s.enabled))
        .collect();
    let default = deps.settings.methods_enabled_by_default;
    Ok(gateway_methods(deps, currency, label)
        .await?
        .into_iter()
        .filter(|m| switched.get(&m.wallet_type).copied().unwrap_or(default))
        .collect())
}

/// The method `wallet_type` if it is offered in `currency` and switched on (its own switch,
/// one read); otherwise 422 `method_unavailable`.
pub async fn find(
    deps: &Deps,
    currency: Currency,
    label: &Label,
    wallet_type: &str,
) -> Result<Method, ApiError> {
    let unavailable = || {
        ApiError::unprocessable(
            "method_unavailable",
            format!("payment method {wallet_type} is not available for {currency}"),
        )
    };
    let method = gateway_methods(deps, currency, label)
        .await?
        .into_iter()
        .find(|m| m.wallet_type == wallet_type)
        .ok_or_else(unavailable)?;
    let enabled = deps
        .store
        .get_method_enabled(wallet_type)
        .await?
        .unwrap_or(deps.settings.methods_enabled_by_default);
    if enabled {
        Ok(method)
    } else {
        Err(unavailable())
    }
}

/// Checks `amount` against the method's limits before anything reaches the gateway: 422
/// `amount_out_of_limits` naming the limits and where they came from.
pub fn check_limits(method: &Method, amount: Decimal) -> Result<(), ApiError> {
    let below = method.min.is_some_and(|min| amount < min);
    let above = method.max.is_some_and(|max| amount > max);
    if below || above {
        let show = |d: Option<Decimal>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
        let source = match &method.limits_from {
            Some(LimitsFrom {
                matched: LimitsMatch::Family,
                key,
            }) => format!(" (the gateway's limits for the {key} family)"),
            _ => String::new(),
        };
        return Err(ApiError::Unprocessable {
            code: "amount_out_of_limits",
            message: format!(
                "{} takes deposits from {} to {}{source}",
                method.wallet_type,
                show(method.min),
                show(method.max)
            ),
            fields: [(
                "amount".to_string(),
                format!(
                    "must be between {} and {}",
                    show(method.min),
                    show(method.max)
                ),
            )]
            .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_table() {
        assert_eq!(classify("upi_s", false), Kind::Qr);
        assert_eq!(classify("upi_l", false), Kind::P2p);
        assert_eq!(classify("upi_ml", true), Kind::Manual);
        assert_eq!(classify("bkash", false), Kind::P2p);
        assert_eq!(classify("help2pay", false), Kind::Redirect);
    }

    #[test]
    fn limits_are_inclusive() {
        let m = Method {
            wallet_type: "upi_l".into(),
            name: "UPI".into(),
            kind: Kind::P2p,
            min: Some(Decimal::from(100)),
            max: Some(Decimal::from(500)),
            limits_from: Some(LimitsFrom {
                matched: LimitsMatch::Family,
                key: "upi".into(),
            }),
            logo: None,
            accepts_screenshot: false,
            is_manual: false,
            uploading_payment_bill: false,
            order: None,
            guide_url: None,
            media_url: None,
            hints: Vec::new(),
        };
        assert!(check_limits(&m, Decimal::from(100)).is_ok());
        assert!(check_limits(&m, Decimal::from(500)).is_ok());
        let err = check_limits(&m, Decimal::new(9999, 2)).unwrap_err();
        assert_eq!(err.code(), "amount_out_of_limits");
        assert!(
            err.to_string()
                .contains("from 100 to 500 (the gateway's limits for the upi family)"),
            "{err}"
        );
        assert!(check_limits(&m, Decimal::new(50001, 2)).is_err());
    }

    #[test]
    fn minor_unit_limits_are_read_exactly_in_major_units() {
        let inr = Currency::parse("INR").unwrap();
        let paise = Some(Decimal::from(100_000));
        assert_eq!(
            major(paise, LimitsUnit::Minor, inr),
            Some(Decimal::from(1000))
        );
        assert_eq!(major(paise, LimitsUnit::Major, inr), paise);
        assert_eq!(
            major(Some(Decimal::from(14_850)), LimitsUnit::Minor, inr),
            Some(Decimal::new(14_850, 2))
        );
        assert_eq!(major(None, LimitsUnit::Minor, inr), None);
    }
}
