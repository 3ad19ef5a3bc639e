//! `deposit-activate`: `POST /v1/deposits/{id}/activate` with the user's transaction number,
//! as JSON `{"key1":"..."}` or, for manual methods, multipart (`key1`, `screenshot`).

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use axum::{Json, Router};
use paykassma::client::Screenshot;
use serde::Deserialize;
use service::deposits::activate::{self, Activated, Activation};
use service::http::{ApiJson, Principal, api};
use service::{ApiError, Deps};

/// Every route this function serves (method, path), for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[("POST", "/v1/deposits/{id}/activate")];

pub fn router(deps: Arc<Deps>) -> Router {
    let routes = Router::new().route("/v1/deposits/{id}/activate", post(activate_deposit));
    api(routes, deps)
}

#[derive(Deserialize)]
struct Body {
    key1: String,
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Reads `key1` and an optional `screenshot` file part.
async fn from_multipart(req: Request) -> Result<Activation, ApiError> {
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::Malformed(e.body_text()))?;
    let mut key1 = None;
    let mut screenshot = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge);
            }
            Err(e) => return Err(ApiError::Malformed(e.body_text())),
        };
        match field.name() {
            Some("key1") => {
                key1 = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| ApiError::Malformed(e.body_text()))?,
                )
            }
            Some("screenshot") => {
                let file_name = field.file_name().unwrap_or("screenshot").to_string();
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::PayloadTooLarge
                    } else {
                        ApiError::Malformed(e.body_text())
                    }
                })?;
                screenshot = Some(Screenshot {
                    bytes: bytes.to_vec(),
                    file_name,
                    content_type,
                });
            }
            // Unknown parts are ignored, like unknown JSON fields.
            _ => {}
        }
    }
    let key1 = key1.ok_or_else(|| ApiError::validation("key1", "required"))?;
    Ok(Activation { key1, screenshot })
}

async fn activate_deposit(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    Path(id): Path<String>,
    req: Request,
) -> Result<Json<Activated>, ApiError> {
    let input = if is_multipart(&req) {
        from_multipart(req).await?
    } else {
        let ApiJson(body) = ApiJson::<Body>::from_request(req, &()).await?;
        Activation {
            key1: body.key1,
            screenshot: None,
        }
    };
    activate::activate(&deps, &label, &id, input)
        .await
        .map(Json)
}
