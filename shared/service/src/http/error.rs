//! The API's one error type and its one mapping to HTTP. Every handler returns
//! `Result<_, ApiError>`; lower layers' errors convert here, so status codes are decided in
//! one place. Bodies are `{"error":{"code","message","fields"?}}` and never carry secrets,
//! internals or stack traces.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use payments::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: input that fails validation, field by field.
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// 400: the body is not JSON (or not the JSON shape expected).
    #[error("malformed request body: {0}")]
    Malformed(String),
    /// 400: a required header is missing or empty.
    #[error("header {0} is required")]
    MissingHeader(&'static str),
    /// 401: no authenticated user.
    #[error("authentication required")]
    Unauthenticated,
    /// 401: a postback whose signature or access key does not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource for this user (also for other users' resources).
    #[error("{0} not found")]
    NotFound(String),
    /// 409: the resource moved on concurrently.
    #[error("{0}")]
    Conflict(String),
    /// 413: body over the limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415: not JSON / multipart where required.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but refused by a business rule (`code` says which).
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// 502: the gateway answered with something we cannot use.
    #[error("{0}")]
    BadGateway(String),
    /// 503: try again later (storage contention, gateway unreachable).
    #[error("{0}")]
    Unavailable(String),
    /// 500: a fault of ours. The detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::Validation {
            message: format!("{field}: {problem}"),
            fields: BTreeMap::from([(field.to_string(), problem)]),
        }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } | Self::Malformed(_) | Self::MissingHeader(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthenticated | Self::BadSignature => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation",
            Self::Malformed(_) => "malformed_body",
            Self::MissingHeader(_) => "missing_header",
            Self::Unauthenticated => "unauthenticated",
            Self::BadSignature => "bad_signature",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Unprocessable { code, .. } => code,
            Self::BadGateway(_) => "gateway_error",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn fields(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            Self::Validation { fields, .. } | Self::Unprocessable { fields, .. }
                if !fields.is_empty() =>
            {
                Some(fields)
            }
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, String>>,
    /// Outside a request (a unit test calling `into_response`): "none".
    request_id: std::sync::Arc<str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(detail) => tracing::error!(detail = %detail, "internal error"),
            e if status.is_server_error() => {
                tracing::warn!(error = %e, code = e.code(), "request failed")
            }
            e => tracing::info!(error = %e, code = e.code(), "request refused"),
        }
        let body = Body {
            error: Inner {
                code: self.code(),
                message: self.to_string(),
                fields: self.fields(),
                request_id: super::request_id::current().unwrap_or_else(|| "none".into()),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, .. } => Self::NotFound(what.to_string()),
            StoreError::AlreadyExists { what, id } => {
                Self::Conflict(format!("{what} {id} already exists"))
            }
            StoreError::InsufficientFunds => Self::unprocessable(
                "insufficient_funds",
                "the balance does not cover this amount",
            ),
            e @ (StoreError::StateConflict { .. } | StoreError::Transition(_)) => {
                Self::Conflict(e.to_string())
            }
            StoreError::Invalid(m) => Self::Validation {
                message: m,
                fields: BTreeMap::new(),
            },
            e @ (StoreError::Contention(_) | StoreError::Backend(_)) => {
                tracing::warn!(error = %e, "storage unavailable");
                Self::Unavailable("storage is busy, retry shortly".into())
            }
            e @ StoreError::Corrupt { .. } => Self::Internal(e.to_string()),
        }
    }
}

impl From<paykassma::client::Error> for ApiError {
    fn from(e: paykassma::client::Error) -> Self {
        use paykassma::client::Error as G;
        match e {
            G::Refused {
                message, fields, ..
            } => Self::Unprocessable {
                code: "gateway_refused",
                message: if message.is_empty() {
                    "the gateway refused the request".into()
                } else {
                    message
                },
                fields: fields.into_iter().map(|(k, v)| (k, v.join("; "))).collect(),
            },
            G::NotFound => {
                tracing::error!("the gateway answered 404: wrong pluginapi_secret or path");
                Self::BadGateway("the payment gateway rejected our credentials".into())
            }
            G::Unreachable { reason } => {
                tracing::warn!(%reason, "gateway unreachable");
                Self::Unavailable("the payment gateway is unreachable, retry shortly".into())
            }
            G::Unknown { reason, .. } => {
                tracing::warn!(%reason, "gateway outcome unknown");
                Self::Unavailable(
                    "the payment gateway did not answer in time, retry shortly".into(),
                )
            }
            G::Unreadable { reason, .. } => {
                tracing::warn!(%reason, "gateway answer unreadable");
                Self::BadGateway("the payment gateway answered with something unreadable".into())
            }
            G::Request(detail) => Self::Internal(detail),
        }
    }
}

impl From<payments::MoneyError> for ApiError {
    fn from(e: payments::MoneyError) -> Self {
        Self::validation("amount", e.to_string())
    }
}
