//! Withdrawals (money out): the payout methods on offer and their switches (`methods`), submit
//! with an idempotent debit, read back (one, or the user's history), and apply the gateway's
//! `outgoing` postbacks exactly once.
//!
//! Statuses: `pending` (debited, provably not at the gateway) -> `unknown` (being sent, or the
//! send's outcome is not known) -> `submitted` (the gateway accepted it) -> `processed` (paid)
//! | `rejected` (refunded). Only the gateway's word settles an `unknown` one (a postback or a
//! lookup), or a person ([`attention`]); never a guess.

mod apply;
pub mod attention;
mod history;
pub mod methods;
pub mod order;
pub mod rules;
mod submit;
mod view;

pub use apply::{OutgoingEffect, OutgoingItem, OutgoingOutcome, apply_outgoing};
pub use history::{WithdrawalList, list};
pub use order::{WithdrawalBody, WithdrawalOrder, gateway_request, withdrawal_id_for};
pub use submit::{SCOPE, SubmitResponse, submit};
pub(crate) use submit::{SendKind, send};
pub use view::WithdrawalView;

use payments::{Label, WithdrawalId};

use crate::Deps;
use crate::http::ApiError;

/// `GET /v1/withdrawals/{id}`: the caller's own withdrawal; anyone else's (or a malformed
/// id) is "not found", so ids cannot be probed.
pub async fn get(deps: &Deps, owner: &Label, id: &str) -> Result<WithdrawalView, ApiError> {
    let not_found = || ApiError::NotFound("withdrawal".into());
    let id = WithdrawalId::parse(id).map_err(|_| not_found())?;
    match deps.store.get_withdrawal(&id).await? {
        Some(w) if &w.label == owner => Ok(WithdrawalView::from(&w)),
        _ => Err(not_found()),
    }
}
