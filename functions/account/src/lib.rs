//! `account`: the caller's balances (`GET /v1/balance`) and ledger (`GET /v1/ledger`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use service::account::{self, Balances, Ledger};
use service::http::{AuthSettings, Principal, query_param};
use service::{ApiError, Deps};

/// Every route this function serves (method, path), for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[("GET", "/v1/balance"), ("GET", "/v1/ledger")];

pub fn router(deps: Arc<Deps>) -> Router {
    let auth = AuthSettings {
        claim: deps.settings.auth_claim.clone(),
    };
    Router::new()
        .route("/v1/balance", get(balance))
        .route("/v1/ledger", get(ledger))
        .layer(Extension(auth))
        .with_state(deps)
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
