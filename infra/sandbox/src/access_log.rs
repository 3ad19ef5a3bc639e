//! One log line per request: method, path, status and whether a fault dropped the connection. Never the query string: it carries the
//! `secret`.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let dropped = resp
        .extensions()
        .get::<crate::faults::DropConnection>()
        .is_some();
    tracing::info!(
        %method,
        %path,
        status = resp.status().as_u16(),
        dropped,
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    resp
}
