//! CORS on the local stack: the rules the template gives API Gateway
//! (`service::http::cors`), plus the local identity headers, for the origins the stack was
//! started with (by default the Vite dev server's, so `npm run dev` in `web/` can call it).

use axum::http::{HeaderName, HeaderValue, Method};
use service::http::cors;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The origins a plain `cargo run -p local` lets in: the page's dev server (`web/`, Vite).
pub const DEFAULT_ORIGINS: &[&str] = &["http://127.0.0.1:5173", "http://localhost:5173"];

/// The layer for `origins` (exact matches; an origin that is not a valid header value is
/// skipped, the caller validated them).
pub fn layer(origins: &[String]) -> CorsLayer {
    let header = |h: &&'static str| HeaderName::from_static(h);
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()),
        ))
        .allow_headers(
            cors::ALLOWED_HEADERS
                .iter()
                .chain(cors::LOCAL_ONLY_HEADERS)
                .map(header)
                .collect::<Vec<_>>(),
        )
        .expose_headers(cors::EXPOSED_HEADERS.iter().map(header).collect::<Vec<_>>())
        .allow_methods(
            cors::ALLOWED_METHODS
                .iter()
                .filter_map(|m| Method::from_bytes(m.as_bytes()).ok())
                .collect::<Vec<_>>(),
        )
        .max_age(std::time::Duration::from_secs(cors::MAX_AGE_SECONDS))
}
