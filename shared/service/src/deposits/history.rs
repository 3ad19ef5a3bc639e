//! `GET /v1/deposits`: the caller's deposits, newest first, in every status (pending, rejected
//! and expired ones too, which the ledger never shows), paged and optionally of one status.
//! A listing only reads: it does not ask the gateway (`GET /v1/deposits/{id}` refreshes a
//! pending `upi_s` deposit).

use payments::{DepositStatus, Label};
use serde::Serialize;

use super::{DepositView, view};
use crate::Deps;
use crate::account::{HistoryQuery, history_cursor_error};
use crate::http::ApiError;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct DepositList {
    pub deposits: Vec<DepositView>,
    /// Pass as `cursor` (with the same `status`) for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub async fn list(
    deps: &Deps,
    label: &Label,
    query: HistoryQuery<DepositStatus>,
) -> Result<DepositList, ApiError> {
    let page = deps
        .store
        .list_user_deposits(label, query.status, query.page()?)
        .await
        .map_err(history_cursor_error)?;
    Ok(DepositList {
        deposits: page.items.iter().map(|d| view(deps, d)).collect(),
        next_cursor: page.next,
    })
}
