//! `POST /v1/deposits/{id}/activate`: the user's transaction number (`key1`, the 12-digit UTR
//! for UPI) goes to the gateway's activation (JSON), or for manual methods to the multipart
//! `possible-transaction/activate` with an optional receipt screenshot. The gateway's verdict
//! moves the deposit (`processing`, `possible`); money moves only by postback. The deposit
//! is `processing` from before the call: an activation whose answer is lost stays there
//! until the postback or reconciliation settles it, and is never shown as rejected.

use paykassma::client::{ActivateOutcome, ActivateRequest, Screenshot};
use payments::store::{Deposit, DepositUpdate};
use payments::{DepositStatus, Label};
use serde::Serialize;

use super::flow::Activation as Takes;
use super::savings::{self, SavingsView};
use super::{flow_of, read::owned};
use crate::Deps;
use crate::http::ApiError;

/// Largest receipt image accepted (the whole body is limited to 256 KiB anyway).
pub const MAX_SCREENSHOT_BYTES: usize = 200 * 1024;

/// The activation's input.
#[derive(Debug, Clone)]
pub struct Activation {
    pub key1: String,
    pub screenshot: Option<Screenshot>,
}

/// What the user is told.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Activated {
    /// `credited` | `processing` | `possible` | `saving` | `rejected`.
    pub status: &'static str,
    pub message: String,
    /// `saving`: the method's savings, this payment included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savings: Option<SavingsView>,
}

impl Activated {
    fn said(status: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            savings: None,
        }
    }
}

/// UPI transaction numbers (UTR) are exactly 12 digits; other methods' numbers are free text.
pub fn check_key1(wallet_type: &str, key1: &str) -> Result<(), ApiError> {
    if wallet_type.starts_with("upi_") {
        if key1.len() != 12 || !key1.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::validation("key1", "must be 12 digits"));
        }
    } else if key1.is_empty() || key1.len() > 190 || key1.trim() != key1 {
        return Err(ApiError::validation(
            "key1",
            "1-190 characters, no surrounding spaces",
        ));
    }
    Ok(())
}

pub async fn activate(
    deps: &Deps,
    label: &Label,
    id: &str,
    input: Activation,
) -> Result<Activated, ApiError> {
    let deposit = owned(deps, label, id).await?;
    // Manual methods go to the multipart activation, which is also the only one that takes a
    // screenshot.
    let manual = match flow_of(&deposit).map_or(Takes::None, |f| f.activation()) {
        Takes::None => {
            return Err(ApiError::unprocessable(
                "not_activatable",
                "this deposit is paid without activation",
            ));
        }
        Takes::Key => false,
        Takes::KeyAndScreenshot => true,
    };
    check_key1(&deposit.wallet_type, &input.key1)?;
    if let Some(s) = &input.screenshot {
        if !manual {
            return Err(ApiError::validation(
                "screenshot",
                "only manual methods take a screenshot",
            ));
        }
        if s.bytes.is_empty() || s.bytes.len() > MAX_SCREENSHOT_BYTES {
            return Err(ApiError::validation(
                "screenshot",
                "an image of 1 byte to 200 KiB",
            ));
        }
        if !s.content_type.starts_with("image/") {
            return Err(ApiError::validation("screenshot", "must be an image"));
        }
    }
    if deposit.status != DepositStatus::Pending {
        return Err(ApiError::Conflict(format!(
            "deposit is already {}",
            deposit.status.as_str()
        )));
    }
    // Each attempt sends a `custom_transaction_id` the gateway has never seen (it refuses a
    // repeat), recorded before the call, so whatever the call's fate its postback maps back
    // here and reconciliation looks it up. The move to `processing` also makes this attempt
    // the only one in flight.
    let attempt = deposit.attempts.max(1) + u32::from(deposit.activation_key.is_some());
    let order_ref = deposit.id.order_ref(attempt);
    let started = DepositUpdate {
        activation_key: Some(input.key1.clone()),
        message: Some("The payment is being checked".into()),
        attempts: Some(attempt),
    };
    let deposit = match deps
        .store
        .update_deposit_status(
            &deposit.id,
            DepositStatus::Pending,
            DepositStatus::Processing,
            started,
        )
        .await
    {
        Ok(d) => d,
        Err(payments::StoreError::StateConflict { actual, .. }) => {
            return Err(ApiError::Conflict(format!("deposit is already {actual}")));
        }
        Err(e) => return Err(e.into()),
    };
    let request = ActivateRequest {
        currency_code: deposit.currency.code().to_string(),
        wallet_type: deposit.wallet_type.clone(),
        label: label.as_str().to_string(),
        key1: input.key1.clone(),
        amount: deposit.amount.map(|m| m.amount()),
        custom_transaction_id: order_ref.clone(),
    };
    let outcome = if manual {
        let Some(request) = request.into_manual(input.screenshot) else {
            return Err(ApiError::Internal("manual deposit without amount".into()));
        };
        deps.gateway
            .activate_manual(&request)
            .await
            .map(|()| ActivateOutcome::Pending {
                message: "The payment is being checked".into(),
            })
    } else {
        deps.gateway.activate(&request).await
    };
    // The gateway found the payment (or may yet): a payment below the method's minimum is
    // saved, not deposited, and no answer says which, so the savings are asked. The user is
    // never told "credited" for a saved payment.
    let (answer, from, paid) = match outcome {
        Ok(ActivateOutcome::Credited { amount, .. }) => (
            Activated::said(
                "credited",
                "The payment was found; the balance is credited when the gateway confirms it",
            ),
            DepositStatus::Processing,
            amount,
        ),
        Ok(ActivateOutcome::Pending { message }) => (
            Activated::said("processing", message),
            DepositStatus::Processing,
            None,
        ),
        Ok(ActivateOutcome::PossibleTransactionCreated { message }) => {
            back(deps, &deposit, DepositStatus::Possible, &message).await;
            (
                Activated::said("possible", message),
                DepositStatus::Possible,
                None,
            )
        }
        Err(paykassma::client::Error::Refused {
            message, fields, ..
        }) => {
            // The deposit is pending again: the user may correct the number and try again
            // (the next attempt under a new `custom_transaction_id`).
            let detail = fields
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.join("; ")))
                .collect::<Vec<_>>()
                .join(", ");
            let message = match (message.is_empty(), detail.is_empty()) {
                (false, true) => message,
                (true, false) => detail,
                (false, false) => format!("{message} ({detail})"),
                (true, true) => "the gateway refused the activation".into(),
            };
            tracing::info!(deposit_id = %deposit.id.as_str(), %order_ref, %message, "activation refused");
            back(deps, &deposit, DepositStatus::Pending, &message).await;
            return Ok(Activated::said("rejected", message));
        }
        Err(e @ paykassma::client::Error::Unreachable { .. }) => {
            // Nothing reached the gateway: the user may simply try again.
            back(
                deps,
                &deposit,
                DepositStatus::Pending,
                "the gateway could not be reached; try again",
            )
            .await;
            return Err(e.into());
        }
        Err(e) => {
            // The gateway may have taken it: the deposit stays `processing` and the postback
            // or reconciliation (which looks this attempt up) decides. Never "rejected".
            tracing::warn!(deposit_id = %deposit.id.as_str(), %order_ref, error = %e, "activation outcome unknown");
            return Ok(Activated::said(
                "processing",
                "The gateway did not confirm the activation in time; the payment is being checked",
            ));
        }
    };
    let answer = match savings::after_activation(deps, &deposit, from, paid).await {
        Some(saved) => Activated {
            status: "saving",
            message: format!(
                "The payment is below the {} {} minimum deposit of this method and was saved; it is credited with your other saved payments once they reach it ({} saved, {} to go)",
                saved.minimum, saved.currency, saved.saved, saved.missing
            ),
            savings: Some(saved),
        },
        None => answer,
    };
    tracing::info!(deposit_id = %deposit.id.as_str(), %order_ref, status = answer.status, "deposit activated");
    Ok(answer)
}

/// Moves the deposit on from `processing` after the gateway's verdict. A postback may have
/// credited it already (the gateway sends it as it answers): that is not an error.
async fn back(deps: &Deps, deposit: &Deposit, to: DepositStatus, message: &str) {
    let update = DepositUpdate {
        message: Some(message.to_string()),
        ..DepositUpdate::default()
    };
    if let Err(e) = deps
        .store
        .update_deposit_status(&deposit.id, DepositStatus::Processing, to, update)
        .await
    {
        tracing::info!(deposit_id = %deposit.id.as_str(), error = %e, "activation status not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upi_numbers_are_twelve_digits() {
        assert!(check_key1("upi_l", "123456789012").is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            let e = check_key1("upi_l", bad).unwrap_err();
            assert_eq!(e.code(), "validation", "{bad}");
        }
        assert!(check_key1("bkash", "TX99").is_ok());
        assert!(check_key1("bkash", " TX99").is_err());
    }
}
