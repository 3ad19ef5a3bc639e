//! The Lambda's deadline as the time budget of a request's gateway calls: they end
//! [`RESERVE`] before the function would be killed, so what the gateway answered is always
//! recorded (a call killed mid-way leaves nothing but doubt).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

pub use paykassma::client::deadline::within;

/// Kept back from the deadline for the store writes after the last gateway call.
pub const RESERVE: Duration = Duration::from_millis(2_000);

/// The instant gateway calls must end by, for a Lambda deadline in epoch milliseconds.
pub fn budget(deadline_epoch_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let left = Duration::from_millis(deadline_epoch_ms.saturating_sub(now_ms));
    Instant::now() + left.saturating_sub(RESERVE)
}

async fn lambda_deadline(req: Request, next: Next) -> Response {
    match req
        .extensions()
        .get::<lambda_http::Context>()
        .map(|c| c.deadline)
    {
        Some(deadline) => within(budget(deadline), next.run(req)).await,
        // Not under Lambda (the local stack): the client's own timeouts apply.
        None => next.run(req).await,
    }
}

/// `router` with every request's gateway calls bounded by its Lambda deadline.
pub fn with_lambda_deadline(router: Router) -> Router {
    router.layer(axum::middleware::from_fn(lambda_deadline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_ends_before_the_deadline() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let at = budget(now_ms + 10_000);
        let left = at.saturating_duration_since(Instant::now());
        assert!(
            left <= Duration::from_secs(8) && left > Duration::from_secs(7),
            "{left:?}"
        );
        // A deadline already passed leaves nothing.
        assert_eq!(
            budget(now_ms.saturating_sub(1_000)).saturating_duration_since(Instant::now()),
            Duration::ZERO
        );
    }
}
