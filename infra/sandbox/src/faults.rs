//! Fault injection on incoming API requests (`POST /_sandbox/faults` with a path-prefix target).
//!
//! - `http500`: answer HTTP 500 `{"message":"Server Error"}` without handling the request.
//! - `timeout`: hold the request for `fault_hold`, then close the connection unanswered; the
//!   request is not handled.
//! - `drop`: close the connection at once without answering; not handled.
//! - `drop_after`: handle the request (state changes, postbacks follow), then close the
//!   connection without answering: the caller cannot know it succeeded.
//! - `http404`, `http429`, `http502`: answer that status without handling the request.
//! - `hang`: never answer; the caller's own timeout ends it. Not handled.
//!
//! Control routes under `/_sandbox/` are never faulted.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::{FaultMode, SharedRef};

/// Marks a response whose connection must be closed instead of answered (see `server`).
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

fn dropped() -> Response {
    let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    resp.extensions_mut().insert(DropConnection);
    resp
}

pub async fn api_faults(State(shared): State<SharedRef>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_sandbox/") {
        return next.run(req).await;
    }
    let mode = shared.lock().take_fault(|f| {
        f.target != "postback"
            && f.mode != FaultMode::Duplicate
            && path.starts_with(f.target.as_str())
    });
    match mode {
        None | Some(FaultMode::Duplicate) => next.run(req).await,
        Some(FaultMode::Http500) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "application/json")],
            r#"{"message":"Server Error"}"#,
        )
            .into_response(),
        Some(FaultMode::Timeout) => {
            tokio::time::sleep(shared.config.fault_hold).await;
            dropped()
        }
        Some(FaultMode::Drop) => dropped(),
        Some(FaultMode::DropAfter) => {
            let _ = next.run(req).await;
            dropped()
        }
        Some(FaultMode::Http404) => StatusCode::NOT_FOUND.into_response(),
        Some(FaultMode::Http429) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("content-type", "application/json")],
            r#"{"message":"Too Many Attempts."}"#,
        )
            .into_response(),
        Some(FaultMode::Http502) => (
            StatusCode::BAD_GATEWAY,
            [("content-type", "text/html")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response(),
        Some(FaultMode::Hang) => {
            // Long past any caller's timeout; the connection is dropped when it gives up.
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
            dropped()
        }
    }
}
