//! The payment methods a user may deposit with: the gateway's `payment-systems/available`
//! list for a currency (cached in the store for `METHODS_CACHE_SECONDS`), intersected with the
//! operator's on/off switches, each classified by how the user pays (`kind`).

use std::time::Duration;

use payments::{Currency, Label};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Deps;
use crate::http::ApiError;

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
    /// Deposit limits in the requested currency, when the gateway gave them.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub min: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    pub logo: Option<String>,
    /// A manual method accepts a receipt screenshot at activation.
    #[serde(default)]
    pub accepts_screenshot: bool,
}

fn cache_key(currency: Currency) -> String {
    format!("methods:{}", currency.code())
}

/// The gateway's methods for `currency`, from the cache or the gateway (then cached).
async fn gateway_methods(
    deps: &Deps,
    currency: Currency,
    label: &Label,
) -> Result<Vec<Method>, ApiError> {
    let key = cache_key(currency);
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
    let list: Vec<Method> = systems
        .wallets
        .iter()
        .filter(|w| {
            w.currency_code
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(currency.code()))
        })
        .map(|w| {
            let limit = systems
                .limits
                .get(&w.wallet_type)
                .and_then(|per| per.get(currency.code()));
            Method {
                wallet_type: w.wallet_type.clone(),
                name: w.name.clone().unwrap_or_else(|| w.wallet_type.clone()),
                kind: classify(&w.wallet_type, w.is_manual),
                min: limit.and_then(|l| l.min),
                max: limit.and_then(|l| l.max),
                logo: w.logo.clone(),
                accepts_screenshot: w.is_manual && w.uploading_payment_bill,
            }
        })
        .collect();
    let text = serde_json::to_string(&list)
        .map_err(|e| ApiError::Internal(format!("methods cache encoding: {e}")))?;
    let ttl = time::Duration::try_from(deps.settings.methods_cache_ttl.max(Duration::from_secs(1)))
        .unwrap_or(time::Duration::minutes(5));
    deps.store
        .put_cache(&key, &text, deps.clock.now() + ttl)
        .await?;
    Ok(list)
}

/// The methods `label` may use in `currency` now: the gateway's list minus the switched-off
/// ones (a method nobody switched follows `METHODS_ENABLED_BY_DEFAULT`).
pub async fn available(
    deps: &Deps,
    currency: Currency,
    label: &Label,
) -> Result<Vec<Method>, ApiError> {
    let mut out = Vec::new();
    for m in gateway_methods(deps, currency, label).await? {
        let enabled = deps
            .store
            .get_method_enabled(&m.wallet_type)
            .await?
            .unwrap_or(deps.settings.methods_enabled_by_default);
        if enabled {
            out.push(m);
        }
    }
    Ok(out)
}

/// The method `wallet_type` if it is offered in `currency` and switched on; otherwise 422
/// `method_unavailable`.
pub async fn find(
    deps: &Deps,
    currency: Currency,
    label: &Label,
    wallet_type: &str,
) -> Result<Method, ApiError> {
    available(deps, currency, label)
        .await?
        .into_iter()
        .find(|m| m.wallet_type == wallet_type)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "method_unavailable",
                format!("payment method {wallet_type} is not available for {currency}"),
            )
        })
}

/// Checks `amount` against the method's limits (422 `amount_out_of_limits`).
pub fn check_limits(method: &Method, amount: Decimal) -> Result<(), ApiError> {
    let below = method.min.is_some_and(|min| amount < min);
    let above = method.max.is_some_and(|max| amount > max);
    if below || above {
        let show = |d: Option<Decimal>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
        return Err(ApiError::Unprocessable {
            code: "amount_out_of_limits",
            message: format!(
                "{} takes deposits from {} to {}",
                method.wallet_type,
                show(method.min),
                show(method.max)
            ),
            fields: [(
                "amount".to_string(),
                "outside the method's limits".to_string(),
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
            logo: None,
            accepts_screenshot: false,
        };
        assert!(check_limits(&m, Decimal::from(100)).is_ok());
        assert!(check_limits(&m, Decimal::from(500)).is_ok());
        let err = check_limits(&m, Decimal::new(9999, 2)).unwrap_err();
        assert_eq!(err.code(), "amount_out_of_limits");
        assert!(check_limits(&m, Decimal::new(50001, 2)).is_err());
    }
}
