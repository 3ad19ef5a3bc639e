//! HTTP plumbing shared by every function's router: the shared layers (`app`), errors mapped to
//! statuses in one place, identity from the authorizer, JSON bodies with field-level errors,
//! idempotency keys, request ids and the CORS rules.

mod app;
pub mod cors;
pub mod deadline;
mod error;
mod json;
mod principal;
pub mod request_id;

pub use app::api;
pub use deadline::with_lambda_deadline;
pub use error::ApiError;
pub use json::{ApiJson, IdempotencyKey, MAX_BODY_BYTES, parse_json, read_body};
pub use principal::{
    Admin, AdminPrincipal, AdminPrincipals, AuthSettings, DevIdentity, Principal,
    PrincipalArnError, SourceIp,
};

/// A time as the API shows it: RFC 3339, UTC (the Unix seconds if it cannot be formatted).
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// One query-string parameter, percent-decoded (`None` when absent).
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
