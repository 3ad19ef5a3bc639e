//! The reference checkout page (`web/`) on the local stack: `GET /` and its two assets, read
//! from `web/dist/` at each request (so `web/build.sh` and a reload show a change, with no
//! Rust rebuild), and `GET /config.json`, which tells the page it runs locally: the user comes
//! from its "user" box as `X-Dev-User`, and where the sandbox is.

use std::path::PathBuf;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

/// The built page, committed (`web/build.sh` writes it; the test command checks it is current).
fn dist() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/dist"))
}

/// The files of the build, with their content types.
const FILES: &[(&str, &str, &str)] = &[
    ("/", "index.html", "text/html; charset=utf-8"),
    ("/app.js", "app.js", "text/javascript; charset=utf-8"),
    ("/app.css", "app.css", "text/css; charset=utf-8"),
];

/// The page's routes; `sandbox` is the sandbox's base URL (`None` on a real gateway).
pub fn routes(sandbox: Option<String>) -> Router {
    let mut router = Router::new();
    for (path, file, content_type) in FILES {
        router = router.route(path, get(move || serve(file, content_type)));
    }
    let config = json!({"mode": "local", "apiBase": "", "sandboxBase": sandbox});
    router.route(
        "/config.json",
        get(move || std::future::ready(axum::Json(config.clone()))),
    )
}

async fn serve(file: &'static str, content_type: &'static str) -> Response {
    match tokio::fs::read(dist().join(file)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                // A rebuilt page must show on the next reload.
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => (
            StatusCode::NOT_FOUND,
            format!("the checkout page is not built ({file}: {e}); run web/build.sh"),
        )
            .into_response(),
    }
}
