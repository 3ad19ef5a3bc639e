//! Reading a deposit (owner only: another user's deposit is "not found"), refreshing a pending
//! UPI_S order from the gateway's status endpoint, a saving deposit's savings, and its QR code
//! as SVG or PNG.

use payments::store::{Deposit, DepositUpdate};
use payments::{DepositId, DepositStatus, Label};

use super::{DepositView, Flow, flow_of, view};
use crate::Deps;
use crate::http::ApiError;
use crate::verdicts::UpiSVerdict;

/// The caller's deposit `id`, or 404 (malformed ids and other users' deposits alike).
pub async fn owned(deps: &Deps, label: &Label, id: &str) -> Result<Deposit, ApiError> {
    let not_found = || ApiError::NotFound("deposit".into());
    let id = DepositId::parse(id).map_err(|_| not_found())?;
    match deps.store.get_deposit(&id).await? {
        Some(d) if d.label == *label => Ok(d),
        _ => Err(not_found()),
    }
}

/// `GET /v1/deposits/{id}`. A pending UPI_S deposit asks the gateway first: a failed order
/// is marked rejected (a paid one is credited by its postback, never here). A saving deposit
/// shows its savings as they are now.
pub async fn get(deps: &Deps, label: &Label, id: &str) -> Result<DepositView, ApiError> {
    let mut deposit = owned(deps, label, id).await?;
    if deposit.status == DepositStatus::Pending
        && let Some(Flow::Qr { order_id, .. }) = flow_of(&deposit)
    {
        deposit = refresh_upi_s(deps, deposit, &order_id).await;
    }
    let mut shown = view(deps, &deposit);
    if deposit.status == DepositStatus::Saving {
        shown.savings = super::savings::current(deps, &deposit).await;
    }
    Ok(shown)
}

/// Best effort: a gateway problem leaves the deposit as stored (the read still answers).
async fn refresh_upi_s(deps: &Deps, deposit: Deposit, order_id: &str) -> Deposit {
    let status = match deps.gateway.upi_s_status(order_id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(deposit_id = %deposit.id.as_str(), error = %e, "upi_s status check failed");
            return deposit;
        }
    };
    let UpiSVerdict::Close { to, message } = UpiSVerdict::from(status) else {
        return deposit;
    };
    let update = DepositUpdate {
        activation_key: None,
        message: Some(message.into()),
        attempts: None,
    };
    match deps
        .store
        .update_deposit_status(&deposit.id, DepositStatus::Pending, to, update)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            // Moved concurrently (e.g. credited by its postback): show the latest state.
            tracing::info!(deposit_id = %deposit.id.as_str(), error = %e, "upi_s refresh not applied");
            deps.store
                .get_deposit(&deposit.id)
                .await
                .ok()
                .flatten()
                .unwrap_or(deposit)
        }
    }
}

fn qr_data(d: &Deposit) -> Result<String, ApiError> {
    match flow_of(d) {
        Some(Flow::Qr { qr_data, .. }) => Ok(qr_data),
        _ => Err(ApiError::NotFound("QR code".into())),
    }
}

/// `GET /v1/deposits/{id}/qr.svg`.
pub async fn qr_svg(deps: &Deps, label: &Label, id: &str) -> Result<String, ApiError> {
    let d = owned(deps, label, id).await?;
    paykassma::qr::to_svg(&qr_data(&d)?).map_err(|e| ApiError::Internal(format!("QR: {e}")))
}

/// `GET /v1/deposits/{id}/qr.png`.
pub async fn qr_png(deps: &Deps, label: &Label, id: &str) -> Result<Vec<u8>, ApiError> {
    let d = owned(deps, label, id).await?;
    paykassma::qr::to_png(&qr_data(&d)?).map_err(|e| ApiError::Internal(format!("QR: {e}")))
}
