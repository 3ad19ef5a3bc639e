//! The layers every function's router shares, applied in one place: the body limit, the
//! identity settings the `Principal` and `Admin` extractors read, and the request id. A
//! function's `router` lists its routes and hands them here.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension};

use super::{AuthSettings, MAX_BODY_BYTES, request_id};
use crate::Deps;

/// `routes` with the shared layers and `deps` as their state.
pub fn api(routes: Router<Arc<Deps>>, deps: Arc<Deps>) -> Router {
    let auth = AuthSettings {
        claim: deps.settings.auth_claim.clone(),
    };
    routes
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(Extension(auth))
        // The `Admin` extractor refuses IAM callers when this list is missing.
        .layer(Extension(deps.settings.admin_principals.clone()))
        // Outermost, so refusals by the layers above carry the id too.
        .layer(axum::middleware::from_fn(request_id::tag))
        .with_state(deps)
}
