//! `GET /v1/withdrawals`: the caller's withdrawals, newest first, in every status (pending,
//! unknown and rejected ones too), paged and optionally of one status.

use payments::{Label, WithdrawalStatus};
use serde::Serialize;

use super::WithdrawalView;
use crate::Deps;
use crate::account::{HistoryQuery, history_cursor_error};
use crate::http::ApiError;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct WithdrawalList {
    pub withdrawals: Vec<WithdrawalView>,
    /// Pass as `cursor` (with the same `status`) for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub async fn list(
    deps: &Deps,
    label: &Label,
    query: HistoryQuery<WithdrawalStatus>,
) -> Result<WithdrawalList, ApiError> {
    let page = deps
        .store
        .list_user_withdrawals(label, query.status, query.page()?)
        .await
        .map_err(history_cursor_error)?;
    Ok(WithdrawalList {
        withdrawals: page.items.iter().map(WithdrawalView::from).collect(),
        next_cursor: page.next,
    })
}
