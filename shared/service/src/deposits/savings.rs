//! Savings ("stockpiling", the documents' 5d): a payment below a method's minimum deposit is
//! kept by the gateway per user and method, and no postback comes until the saved sum reaches
//! the minimum; then one postback carries every saved payment. What the user is told comes
//! from `deposit-info`; no money moves on it (only the savings postback credits).
//!
//! `GET /v1/savings` shows a method's savings; after an activation, [`after_activation`] asks
//! whether the payment was saved and, if so, moves the deposit to `saving`.

use payments::money::at_scale;
use payments::store::{Deposit, DepositUpdate};
use payments::{Currency, DepositStatus, Label};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Deps;
use crate::http::ApiError;

/// A user's savings for a method, as the API shows them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SavingsView {
    pub wallet_type: String,
    pub currency: String,
    /// Paid and kept by the gateway, not yet credited.
    pub saved: String,
    /// Still to pay before the saved payments are credited.
    pub missing: String,
    /// The method's minimum deposit: the sum at which savings are credited.
    pub minimum: String,
}

/// What `deposit-info` says, read exactly. `None` when the method has no savings (no positive
/// minimum deposit).
fn savings_of(
    info: &paykassma::client::DepositInfo,
    wallet_type: &str,
    currency: Currency,
) -> Option<Savings> {
    let minimum = info.minimum_deposit.filter(|m| *m > Decimal::ZERO)?;
    let saved = info
        .stockpiling_sum
        .unwrap_or(Decimal::ZERO)
        .max(Decimal::ZERO);
    let missing = info.lacks_sum.unwrap_or(minimum - saved).max(Decimal::ZERO);
    Some(Savings {
        wallet_type: wallet_type.to_string(),
        currency,
        saved,
        missing,
        minimum,
    })
}

/// Savings with exact amounts (the view rounds nothing: it shows them at the currency's scale).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Savings {
    wallet_type: String,
    currency: Currency,
    saved: Decimal,
    missing: Decimal,
    minimum: Decimal,
}

impl Savings {
    fn view(&self) -> SavingsView {
        let show = |d: Decimal| at_scale(d, self.currency).to_string();
        SavingsView {
            wallet_type: self.wallet_type.clone(),
            currency: self.currency.code().to_string(),
            saved: show(self.saved),
            missing: show(self.missing),
            minimum: show(self.minimum),
        }
    }

    /// Whether a payment of `paid`, just activated, is among these savings: it is below the
    /// minimum and the saved sum holds at least it. When the payment completed the savings
    /// the sum is back to zero (the postback is on its way), so that is not "saved".
    fn holds(&self, paid: Decimal) -> bool {
        paid < self.minimum && self.saved >= paid && self.missing > Decimal::ZERO
    }
}

/// `GET /v1/savings?wallet_type=..&currency=..`: 404 for a method without savings.
pub async fn get(
    deps: &Deps,
    label: &Label,
    wallet_type: Option<&str>,
    currency: Option<&str>,
) -> Result<SavingsView, ApiError> {
    let wallet_type = wallet_type
        .filter(|w| !w.is_empty() && w.len() <= 190 && w.trim() == *w)
        .ok_or_else(|| ApiError::validation("wallet_type", "required, e.g. paytm"))?;
    let currency = Currency::parse(currency.unwrap_or_default())
        .map_err(|e| ApiError::validation("currency", e.to_string()))?;
    let none = || ApiError::NotFound(format!("savings for {wallet_type} in {}", currency.code()));
    let info = match deps
        .gateway
        .deposit_info(label.as_str(), wallet_type, currency.code())
        .await
    {
        Ok(info) => info,
        // The gateway refuses a method it does not know (or takes no savings for).
        Err(paykassma::client::Error::Refused { .. }) => return Err(none()),
        Err(e) => return Err(e.into()),
    };
    savings_of(&info, wallet_type, currency)
        .map(|s| s.view())
        .ok_or_else(none)
}

/// The savings a `saving` deposit belongs to, now; `None` when the gateway does not say
/// (a read shows the deposit without them rather than fail).
pub(crate) async fn current(deps: &Deps, d: &Deposit) -> Option<SavingsView> {
    match deps
        .gateway
        .deposit_info(d.label.as_str(), &d.wallet_type, d.currency.code())
        .await
    {
        Ok(info) => savings_of(&info, &d.wallet_type, d.currency).map(|s| s.view()),
        Err(e) => {
            tracing::warn!(deposit_id = %d.id.as_str(), error = %e, "savings lookup failed");
            None
        }
    }
}

/// After an activation the gateway did not refuse: was the payment (`paid`: the deposit's
/// amount, else what the gateway reported) saved rather than deposited? The activation's
/// answer does not say (the documents do not show it; the sandbox plays `deposit: true`,
/// `deposit: false` and "possible transaction"), so `deposit-info` is asked. If saved, the
/// deposit moves to `saving` (from `from`) and the savings are returned. Display only: the
/// deposit is credited by the savings postback whatever this finds, and a failed lookup
/// leaves it as it was.
pub(crate) async fn after_activation(
    deps: &Deps,
    deposit: &Deposit,
    from: DepositStatus,
    paid: Option<Decimal>,
) -> Option<SavingsView> {
    let paid = deposit.amount.map(|m| m.amount()).or(paid)?;
    let info = deps
        .gateway
        .deposit_info(
            deposit.label.as_str(),
            &deposit.wallet_type,
            deposit.currency.code(),
        )
        .await
        .inspect_err(|e| {
            tracing::info!(deposit_id = %deposit.id.as_str(), error = %e, "savings lookup after activation failed")
        })
        .ok()?;
    let savings = savings_of(&info, &deposit.wallet_type, deposit.currency)?;
    if !savings.holds(paid) {
        return None;
    }
    let view = savings.view();
    let update = DepositUpdate {
        message: Some(format!(
            "Saved: the payment is below the {} {} minimum deposit of this method; it is credited with your other saved payments once they reach it ({} saved, {} to go)",
            view.minimum, view.currency, view.saved, view.missing
        )),
        ..DepositUpdate::default()
    };
    match deps
        .store
        .update_deposit_status(&deposit.id, from, DepositStatus::Saving, update)
        .await
    {
        Ok(_) => Some(view),
        Err(e) => {
            // Moved meanwhile (credited by a postback): its state is the truth.
            tracing::info!(deposit_id = %deposit.id.as_str(), error = %e, "saving status not recorded");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use paykassma::client::DepositInfo;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn info(sum: &str, lacks: &str, minimum: &str) -> DepositInfo {
        DepositInfo {
            stockpiling_sum: Some(d(sum)),
            lacks_sum: Some(d(lacks)),
            minimum_deposit: Some(d(minimum)),
        }
    }

    #[test]
    fn a_payment_below_the_minimum_that_the_savings_hold_is_saved() {
        let inr = Currency::parse("INR").unwrap();
        let s = savings_of(&info("100", "48", "148"), "paytm", inr).unwrap();
        assert!(s.holds(d("100")));
        assert_eq!(
            s.view(),
            SavingsView {
                wallet_type: "paytm".into(),
                currency: "INR".into(),
                saved: "100.00".into(),
                missing: "48.00".into(),
                minimum: "148.00".into()
            }
        );
        // Completed the savings: the sum is back to 0 and the postback is on its way.
        assert!(
            !savings_of(&info("0", "148", "148"), "paytm", inr)
                .unwrap()
                .holds(d("60"))
        );
        // At or above the minimum it is deposited, not saved.
        assert!(!s.holds(d("148")));
        // Savings smaller than the payment do not hold it.
        assert!(
            !savings_of(&info("50", "98", "148"), "paytm", inr)
                .unwrap()
                .holds(d("100"))
        );
        // No minimum, no savings.
        assert!(savings_of(&info("0", "0", "0"), "upi_l", inr).is_none());
        let empty = DepositInfo {
            stockpiling_sum: None,
            lacks_sum: None,
            minimum_deposit: None,
        };
        assert!(savings_of(&empty, "upi_l", inr).is_none());
        // A missing lacks_sum is the difference.
        let partial = DepositInfo {
            lacks_sum: None,
            ..info("100", "0", "148")
        };
        assert_eq!(
            savings_of(&partial, "paytm", inr).unwrap().view().missing,
            "48.00"
        );
    }
}
