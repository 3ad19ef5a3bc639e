//! The payout methods on offer: the rules table ([`super::rules::METHODS`]) narrowed by the
//! operators' switches (on/off and limits per currency, `CONFIG/PAYOUT#<payment_system>`,
//! effective at once) and by the currency asked. `GET /v1/payout-methods` shows them with the
//! account fields each needs; `POST /v1/withdrawals` refuses what they do not allow before
//! any money moves; the admin routes read and set the switches.

use std::collections::BTreeMap;

use payments::Currency;
use payments::money::at_scale;
use payments::store::{PayoutLimit, PayoutSwitch};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::order::WithdrawalOrder;
use super::rules::{self, MethodRules};
use crate::Deps;
use crate::http::{Admin, ApiError, rfc3339};

/// One payout method as a user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutMethodView {
    pub payment_system: String,
    pub currency: String,
    /// The operator's limits for this currency (`None`: any positive amount).
    pub min: Option<String>,
    pub max: Option<String>,
    pub whole_amounts: bool,
    pub fields: Vec<PayoutFieldView>,
}

/// An account field of a payout method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutFieldView {
    pub name: String,
    pub required: bool,
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutMethodList {
    pub methods: Vec<PayoutMethodView>,
}

/// A payout switch as an operator sees it: every method of the table, switched or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutSwitchView {
    pub payment_system: String,
    /// As effective now (the default when nobody switched it).
    pub enabled: bool,
    pub limits: BTreeMap<String, LimitView>,
    /// `current` or `legacy` (`WITHDRAWAL_LEGACY_SYSTEMS`).
    pub request: String,
    /// `None` when no operator ever set it.
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitView {
    pub min: String,
    pub max: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutSwitches {
    /// Whether a method nobody switched is offered (`PAYOUTS_ENABLED_BY_DEFAULT`).
    pub enabled_by_default: bool,
    pub methods: Vec<PayoutSwitchView>,
}

/// `PUT /v1/admin/payout-methods/{payment_system}` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPayoutSwitch {
    pub enabled: bool,
    /// By currency code; absent keeps the stored limits, `{}` removes them.
    pub limits: Option<BTreeMap<String, LimitBody>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitBody {
    #[serde(deserialize_with = "paykassma::money::de_decimal")]
    pub min: Decimal,
    #[serde(deserialize_with = "paykassma::money::de_decimal")]
    pub max: Decimal,
}

/// A method's switch as effective: the stored one, else enabled by default, without limits.
async fn effective(
    deps: &Deps,
    payment_system: &str,
) -> Result<(bool, Option<PayoutSwitch>), ApiError> {
    let stored = deps.store.get_payout_switch(payment_system).await?;
    let enabled = stored
        .as_ref()
        .map_or(deps.settings.payouts_enabled_by_default, |s| s.enabled);
    Ok((enabled, stored))
}

/// Every switch an operator set, by payment system (one read).
async fn stored_switches(deps: &Deps) -> Result<BTreeMap<String, PayoutSwitch>, ApiError> {
    Ok(deps
        .store
        .list_payout_switches()
        .await?
        .into_iter()
        .map(|s| (s.payment_system.clone(), s))
        .collect())
}

fn show(d: Decimal, currency: Currency) -> String {
    at_scale(d, currency).to_string()
}

fn field_views(rules: &MethodRules) -> Vec<PayoutFieldView> {
    rules
        .fields()
        .map(|(f, required, format)| PayoutFieldView {
            name: f.name().to_string(),
            required,
            format: format.map(str::to_string),
        })
        .collect()
}

/// `GET /v1/payout-methods?currency=`: the methods switched on that pay out in `currency`.
pub async fn list(deps: &Deps, currency: Option<&str>) -> Result<PayoutMethodList, ApiError> {
    let currency = Currency::parse(currency.unwrap_or_default())
        .map_err(|e| ApiError::validation("currency", e.to_string()))?;
    let stored = stored_switches(deps).await?;
    let methods = rules::METHODS
        .iter()
        .filter(|m| m.currencies.contains(&currency.code()))
        .filter(|m| {
            stored
                .get(m.payment_system)
                .map_or(deps.settings.payouts_enabled_by_default, |s| s.enabled)
        })
        .map(|m| {
            let limit = stored
                .get(m.payment_system)
                .and_then(|s| s.limits.get(currency.code()));
            PayoutMethodView {
                payment_system: m.payment_system.to_string(),
                currency: currency.code().to_string(),
                min: limit.map(|l| show(l.min, currency)),
                max: limit.map(|l| show(l.max, currency)),
                whole_amounts: m.whole_amounts,
                fields: field_views(m),
            }
        })
        .collect();
    Ok(PayoutMethodList { methods })
}

/// Refuses an order its method's switch does not allow: switched off (`method_unavailable`),
/// or an amount outside the currency's limits (`amount_out_of_limits`, naming them). Read on
/// every request, so a switch takes effect at once.
pub(crate) async fn check_allowed(deps: &Deps, order: &WithdrawalOrder) -> Result<(), ApiError> {
    let (enabled, stored) = effective(deps, &order.payment_system).await?;
    if !enabled {
        return Err(ApiError::unprocessable(
            "method_unavailable",
            format!("{} payouts are switched off", order.payment_system),
        ));
    }
    let currency = order.money.currency();
    let amount = order.money.amount();
    if let Some(l) = stored.as_ref().and_then(|s| s.limits.get(currency.code()))
        && (amount < l.min || amount > l.max)
    {
        let limits = format!(
            "{} to {} {}",
            show(l.min, currency),
            show(l.max, currency),
            currency.code()
        );
        return Err(ApiError::Unprocessable {
            code: "amount_out_of_limits",
            message: format!("{} pays out {limits}", order.payment_system),
            fields: BTreeMap::from([("amount".to_string(), format!("must be {limits}"))]),
        });
    }
    Ok(())
}

fn view(deps: &Deps, rules: &MethodRules, stored: Option<&PayoutSwitch>) -> PayoutSwitchView {
    let limits = stored
        .map(|s| {
            s.limits
                .iter()
                .map(|(code, l)| {
                    let shown = |d: Decimal| {
                        Currency::parse(code).map_or_else(|_| d.to_string(), |c| show(d, c))
                    };
                    (
                        code.clone(),
                        LimitView {
                            min: shown(l.min),
                            max: shown(l.max),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    PayoutSwitchView {
        payment_system: rules.payment_system.to_string(),
        enabled: stored.map_or(deps.settings.payouts_enabled_by_default, |s| s.enabled),
        limits,
        request: if deps
            .settings
            .withdrawal_legacy_systems
            .contains(rules.payment_system)
        {
            "legacy".into()
        } else {
            "current".into()
        },
        updated_at: stored.map(|s| rfc3339(s.updated_at)),
    }
}

/// `GET /v1/admin/payout-methods`: every method of the table with its switch.
pub async fn switches(deps: &Deps) -> Result<PayoutSwitches, ApiError> {
    let stored = stored_switches(deps).await?;
    Ok(PayoutSwitches {
        enabled_by_default: deps.settings.payouts_enabled_by_default,
        methods: rules::METHODS
            .iter()
            .map(|m| view(deps, m, stored.get(m.payment_system)))
            .collect(),
    })
}

/// `PUT /v1/admin/payout-methods/{payment_system}`: 404 for a method the table does not
/// have, 400 for limits in a currency it does not pay out in or that do not parse.
pub async fn set(
    deps: &Deps,
    admin: &Admin,
    payment_system: &str,
    body: SetPayoutSwitch,
) -> Result<PayoutSwitchView, ApiError> {
    let rules = rules::rules_for(payment_system)
        .ok_or_else(|| ApiError::NotFound(format!("payout method {payment_system}")))?;
    let limits = match body.limits {
        None => deps
            .store
            .get_payout_switch(payment_system)
            .await?
            .map(|s| s.limits)
            .unwrap_or_default(),
        Some(given) => {
            let mut limits = BTreeMap::new();
            for (code, l) in given {
                if !rules.currencies.contains(&code.as_str()) {
                    return Err(ApiError::validation(
                        &format!("limits.{code}"),
                        format!(
                            "{payment_system} pays out in {}",
                            rules.currencies.join(", ")
                        ),
                    ));
                }
                limits.insert(
                    code,
                    PayoutLimit {
                        min: l.min,
                        max: l.max,
                    },
                );
            }
            limits
        }
    };
    let stored = deps
        .store
        .put_payout_switch(PayoutSwitch {
            payment_system: payment_system.to_string(),
            enabled: body.enabled,
            limits,
            updated_at: deps.clock.now(),
        })
        .await
        .map_err(|e| match e {
            payments::StoreError::Invalid(problem) => ApiError::validation("limits", problem),
            e => e.into(),
        })?;
    tracing::info!(admin = %admin.0, %payment_system, enabled = stored.enabled, limits = ?stored.limits, "payout switch set");
    Ok(view(deps, rules, Some(&stored)))
}
