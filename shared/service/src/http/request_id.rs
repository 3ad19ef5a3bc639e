//! Every request's id, in its error body (`error.request_id`), its `X-Request-Id` header and
//! the `requestId` of every log line written while it runs: on Lambda the invocation's own
//! request id (what Lambda's START/END lines and CloudWatch show), elsewhere a fresh UUID.
//! Kept in a task-local so the error mapping and the log formatter read it without threading
//! it through every use case.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The response header that carries the id (CORS exposes it to pages).
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: Arc<str>;
}

/// A request's id, kept in its extensions so a second layer (the local stack wraps every
/// function's router in one more) reuses it instead of minting another.
#[derive(Clone, Debug)]
struct RequestId(Arc<str>);

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<Arc<str>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Runs `fut` as the request `id` (reconcile's invocations use it too).
pub async fn scope<F: Future>(id: &str, fut: F) -> F::Output {
    CURRENT.scope(Arc::from(id), fut).await
}

/// The middleware: names the request, runs it in that name and answers the header.
pub async fn tag(mut req: Request, next: Next) -> Response {
    let id = match req.extensions().get::<RequestId>() {
        Some(RequestId(id)) => Arc::clone(id),
        None => {
            let id: Arc<str> = match req.extensions().get::<lambda_http::Context>() {
                Some(ctx) => Arc::from(ctx.request_id.as_str()),
                // The local stack: ids of our own, never a caller's header (a caller could
                // otherwise write someone else's id into our logs).
                None => Arc::from(uuid::Uuid::new_v4().to_string()),
            };
            req.extensions_mut().insert(RequestId(Arc::clone(&id)));
            id
        }
    };
    let mut resp = CURRENT.scope(Arc::clone(&id), next.run(req)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(HEADER, v);
    }
    resp
}
