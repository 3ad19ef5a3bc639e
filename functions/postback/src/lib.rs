//! `postback`: the gateway's webhook. Verifies the signature on the raw bytes, applies the
//! postback exactly once and answers 200 `{"status":"ok"}` (repeats too), so the gateway stops
//! retrying only once the effect is durable.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use service::http::{SourceIp, api, read_body};
use service::{ApiError, Deps, postbacks};

/// Every route this function serves (method, path), for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[("POST", "/v1/postbacks/paykassma")];

pub fn router(deps: Arc<Deps>) -> Router {
    let routes = Router::new().route("/v1/postbacks/paykassma", post(receive));
    api(routes, deps)
}

async fn receive(
    State(deps): State<Arc<Deps>>,
    SourceIp(ip): SourceIp,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let raw = read_body(req, &()).await?;
    postbacks::receive(&deps, &raw, ip.as_deref()).await?;
    Ok(Json(json!({ "status": "ok" })))
}
