//! `account`: the caller's balances (`GET /v1/balance`), ledger (`GET /v1/ledger`) and history
//! of deposits (`GET /v1/deposits`) and withdrawals (`GET /v1/withdrawals`). Reads only, so
//! its role may only read the table; creating deposits and withdrawals is other functions'.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use service::account::{self, Balances, HistoryQuery, Ledger};
use service::deposits::history::{self as deposit_history, DepositList};
use service::http::{Principal, api, query_param};
use service::withdrawals::{self, WithdrawalList};
use service::{ApiError, Deps};

/// Every route this function serves (method, path), for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/balance"),
    ("GET", "/v1/ledger"),
    ("GET", "/v1/deposits"),
    ("GET", "/v1/withdrawals"),
];

pub fn router(deps: Arc<Deps>) -> Router {
    let routes = Router::new()
        .route("/v1/balance", get(balance))
        .route("/v1/ledger", get(ledger))
        .route("/v1/deposits", get(list_deposits))
        .route("/v1/withdrawals", get(list_withdrawals));
    api(routes, deps)
}

async fn balance(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
) -> Result<Json<Balances>, ApiError> {
    account::balances(&deps, &label).await.map(Json)
}

async fn ledger(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<Ledger>, ApiError> {
    let limit = account::parse_limit(query_param(query.as_deref(), "limit").as_deref())?;
    let cursor = query_param(query.as_deref(), "cursor");
    account::ledger(&deps, &label, limit, cursor)
        .await
        .map(Json)
}

async fn list_deposits(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<DepositList>, ApiError> {
    let query = HistoryQuery::parse(query.as_deref())?;
    deposit_history::list(&deps, &label, query).await.map(Json)
}

async fn list_withdrawals(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<WithdrawalList>, ApiError> {
    let query = HistoryQuery::parse(query.as_deref())?;
    withdrawals::list(&deps, &label, query).await.map(Json)
}
