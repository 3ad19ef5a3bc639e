//! The API's CORS rules as data, read by both places that apply them: the template's
//! `CorsConfiguration` on the HttpApi (API Gateway answers preflights itself; a test keeps the
//! template equal to these lists) and the local stack's `CorsLayer`. The allowed origins are a
//! deployment's choice (`CorsAllowedOrigins`; none by default, never a wildcard).

/// Request headers a page may send: the bearer token, JSON bodies, idempotency keys.
pub const ALLOWED_HEADERS: &[&str] = &["authorization", "content-type", "idempotency-key"];

/// Only the local stack also takes these (its identity headers mean nothing on Lambda).
pub const LOCAL_ONLY_HEADERS: &[&str] = &["x-dev-user", "x-dev-admin"];

/// Response headers a page may read: whether an answer is a replay, and the request id.
pub const EXPOSED_HEADERS: &[&str] = &["idempotent-replayed", super::request_id::HEADER];

/// Methods the API's routes use.
pub const ALLOWED_METHODS: &[&str] = &["GET", "POST", "PUT"];

/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE_SECONDS: u64 = 600;
