//! `deposit-create`: the payment methods on offer, the user's savings per method, deposit
//! creation (every documented flow), deposit reads and their QR codes. Handlers parse,
//! authorize, call one use case.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use payments::Currency;
use serde_json::json;
use service::deposits::{create, read, savings};
use service::http::{ApiJson, IdempotencyKey, Principal, api, query_param};
use service::{ApiError, Deps, methods};

/// Every route this function serves (method, path), for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/payment-methods"),
    ("GET", "/v1/savings"),
    ("POST", "/v1/deposits"),
    ("GET", "/v1/deposits/{id}"),
    ("GET", "/v1/deposits/{id}/qr.svg"),
    ("GET", "/v1/deposits/{id}/qr.png"),
];

pub fn router(deps: Arc<Deps>) -> Router {
    let routes = Router::new()
        .route("/v1/payment-methods", get(payment_methods))
        .route("/v1/savings", get(savings))
        .route("/v1/deposits", post(create_deposit))
        .route("/v1/deposits/{id}", get(get_deposit))
        .route("/v1/deposits/{id}/qr.svg", get(qr_svg))
        .route("/v1/deposits/{id}/qr.png", get(qr_png));
    api(routes, deps)
}

async fn payment_methods(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let code = query_param(query.as_deref(), "currency")
        .ok_or_else(|| ApiError::validation("currency", "required (e.g. INR)"))?;
    let currency =
        Currency::parse(&code).map_err(|e| ApiError::validation("currency", e.to_string()))?;
    let list = methods::available(&deps, currency, &label).await?;
    Ok(Json(json!({ "methods": list })))
}

async fn savings(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<savings::SavingsView>, ApiError> {
    let param = |name| query_param(query.as_deref(), name);
    savings::get(
        &deps,
        &label,
        param("wallet_type").as_deref(),
        param("currency").as_deref(),
    )
    .await
    .map(Json)
}

async fn create_deposit(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<create::CreateRequest>,
) -> Result<Response, ApiError> {
    let created = create::create(&deps, &label, &key, body).await?;
    let status = StatusCode::from_u16(created.status).unwrap_or(StatusCode::CREATED);
    let mut response = (status, Json(created.deposit)).into_response();
    if created.replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

async fn get_deposit(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    Path(id): Path<String>,
) -> Result<Json<service::deposits::DepositView>, ApiError> {
    read::get(&deps, &label, &id).await.map(Json)
}

async fn qr_svg(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let svg = read::qr_svg(&deps, &label, &id).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn qr_png(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let png = read::qr_png(&deps, &label, &id).await?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
