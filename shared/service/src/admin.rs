//! Operator functions (IAM-authorized on Lambda; `X-Dev-Admin: 1` on the local server):
//! payment-method switches (read on every deposit request, so a change is effective at once),
//! the merchant's balance at the gateway, and the reconciliation report (last run, open
//! items by age).

use std::collections::BTreeMap;

use payments::DepositStatus;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Deps;
use crate::http::{Admin, ApiError, rfc3339};
use crate::reconcile::{self, ReconcileSummary};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSwitchView {
    pub wallet_type: String,
    pub enabled: bool,
    pub updated_at: String,
}

/// `GET /v1/admin/payment-methods`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSwitches {
    /// Whether a method nobody switched is offered (`METHODS_ENABLED_BY_DEFAULT`).
    pub enabled_by_default: bool,
    /// Every switch an operator set, by wallet type.
    pub methods: Vec<MethodSwitchView>,
}

/// `PUT /v1/admin/payment-methods/{wallet_type}` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMethod {
    pub enabled: bool,
}

pub async fn payment_methods(deps: &Deps) -> Result<MethodSwitches, ApiError> {
    let methods = deps
        .store
        .list_method_switches()
        .await?
        .into_iter()
        .map(|m| MethodSwitchView {
            wallet_type: m.wallet_type,
            enabled: m.enabled,
            updated_at: rfc3339(m.updated_at),
        })
        .collect();
    Ok(MethodSwitches {
        enabled_by_default: deps.settings.methods_enabled_by_default,
        methods,
    })
}

/// A wallet type as the gateway names them (`upi_l`, `bkash_api`): 1-190 of `[a-z0-9_-]`.
fn check_wallet_type(wallet_type: &str) -> Result<(), ApiError> {
    let ok = !wallet_type.is_empty()
        && wallet_type.len() <= 190
        && wallet_type
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            "wallet_type",
            "1-190 lowercase letters, digits, '_' or '-'",
        ))
    }
}

/// Switches a method on or off; the caller is logged for audit.
pub async fn set_payment_method(
    deps: &Deps,
    admin: &Admin,
    wallet_type: &str,
    body: SetMethod,
) -> Result<MethodSwitchView, ApiError> {
    check_wallet_type(wallet_type)?;
    deps.store
        .set_method_enabled(wallet_type, body.enabled)
        .await?;
    tracing::info!(admin = %admin.0, wallet_type, enabled = body.enabled, "payment method switched");
    let switch = deps
        .store
        .list_method_switches()
        .await?
        .into_iter()
        .find(|m| m.wallet_type == wallet_type)
        .ok_or_else(|| ApiError::Internal(format!("switch {wallet_type} not stored")))?;
    Ok(MethodSwitchView {
        wallet_type: switch.wallet_type,
        enabled: switch.enabled,
        updated_at: rfc3339(switch.updated_at),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayBalanceView {
    pub wallet_type: String,
    pub currency_code: String,
    /// As the gateway reports it, scale kept (`"-324324.00"`); may be negative.
    pub amount: String,
}

/// `GET /v1/admin/gateway-balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayBalances {
    pub balances: Vec<GatewayBalanceView>,
}

pub async fn gateway_balance(deps: &Deps) -> Result<GatewayBalances, ApiError> {
    let balances = deps
        .gateway
        .accounts_balance()
        .await?
        .into_iter()
        .map(|b| GatewayBalanceView {
            wallet_type: b.wallet_type,
            currency_code: b.currency_code,
            amount: b.amount.to_string(),
        })
        .collect();
    Ok(GatewayBalances { balances })
}

/// Age buckets of open items, youngest first.
const AGE_BUCKETS: &[(&str, i64)] = &[
    ("under_10m", 600),
    ("10m_to_1h", 3_600),
    ("1h_to_24h", 86_400),
    ("over_24h", i64::MAX),
];

fn bucket(now: OffsetDateTime, created: OffsetDateTime) -> &'static str {
    let age = (now - created).whole_seconds();
    AGE_BUCKETS
        .iter()
        .find(|(_, max)| age < *max)
        .map_or("over_24h", |(name, _)| name)
}

/// Open items of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItems {
    pub total: u64,
    /// `under_10m`, `10m_to_1h`, `1h_to_24h`, `over_24h`.
    pub by_age: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
    /// The oldest open item's creation time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest: Option<String>,
}

impl OpenItems {
    fn add(&mut self, now: OffsetDateTime, created: OffsetDateTime, status: &str) {
        self.total += 1;
        *self
            .by_age
            .entry(bucket(now, created).to_string())
            .or_default() += 1;
        *self.by_status.entry(status.to_string()).or_default() += 1;
        if self.oldest.is_none() {
            self.oldest = Some(rfc3339(created));
        }
    }
}

/// `GET /v1/admin/reconciliation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationReport {
    pub last_run: Option<ReconcileSummary>,
    pub open_deposits: OpenItems,
    pub open_withdrawals: OpenItems,
}

pub async fn reconciliation(deps: &Deps) -> Result<ReconciliationReport, ApiError> {
    let now = deps.clock.now();
    // Everything open, whatever its age (the lists are oldest first).
    let horizon = now + time::Duration::days(1);
    let mut open_deposits = OpenItems::default();
    for d in reconcile::open_deposits(deps, horizon).await? {
        let status: DepositStatus = d.status;
        open_deposits.add(now, d.created_at, status.as_str());
    }
    let mut open_withdrawals = OpenItems::default();
    for w in reconcile::open_withdrawals(deps, horizon).await? {
        open_withdrawals.add(now, w.created_at, w.status.as_str());
    }
    Ok(ReconciliationReport {
        last_run: reconcile::last_run(deps).await?,
        open_deposits,
        open_withdrawals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_fall_into_buckets() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(10);
        let ago = |s: i64| now - time::Duration::seconds(s);
        assert_eq!(bucket(now, ago(0)), "under_10m");
        assert_eq!(bucket(now, ago(599)), "under_10m");
        assert_eq!(bucket(now, ago(600)), "10m_to_1h");
        assert_eq!(bucket(now, ago(7_200)), "1h_to_24h");
        assert_eq!(bucket(now, ago(90_000)), "over_24h");
    }

    #[test]
    fn wallet_types_are_checked() {
        assert!(check_wallet_type("upi_l").is_ok());
        assert!(check_wallet_type("bkash_api").is_ok());
        assert!(check_wallet_type("").is_err());
        assert!(check_wallet_type("UPI L").is_err());
        assert!(check_wallet_type(&"a".repeat(191)).is_err());
    }
}
