//! Request and response plumbing: a JSON body extractor whose every failure is an [`ApiError`]
//! naming the field, the `Idempotency-Key` header, and the body-size limit.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The largest body any route accepts (postbacks included).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Reads the body as bytes, mapping an over-limit body to 413.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::Malformed(rejection.body_text())
        }
    })
}

/// A JSON body parsed into `T`; errors say which field is wrong and why.
pub struct ApiJson<T>(pub T);

/// Parses JSON text into `T`, naming the failing field (`amount`, `account.ifsc`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut *de) {
        Ok(v) => {
            de.end().map_err(|e| ApiError::Malformed(e.to_string()))?;
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if !inner.is_data() {
                return Err(ApiError::Malformed(inner.to_string()));
            }
            // serde says "missing field `x`" at the parent's path: name the field itself.
            let message = inner.to_string();
            let missing = message
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next());
            let field = match (missing, path.as_str()) {
                (Some(m), "." | "") => m.to_string(),
                (Some(m), p) => format!("{p}.{m}"),
                (None, p) => p.trim_start_matches('.').to_string(),
            };
            let problem = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            if field.is_empty() {
                Err(ApiError::Validation {
                    message: problem,
                    fields: Default::default(),
                })
            } else {
                Err(ApiError::validation(&field, problem))
            }
        }
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The `Idempotency-Key` header: required on money-moving POSTs, 1-255 visible ASCII characters.
#[derive(Clone, Debug)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(ApiError::MissingHeader("Idempotency-Key"))?;
        if value.len() > 255 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::validation(
                "Idempotency-Key",
                "1-255 visible ASCII characters",
            ));
        }
        Ok(IdempotencyKey(value.to_string()))
    }
}
