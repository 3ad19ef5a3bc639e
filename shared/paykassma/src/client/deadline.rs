//! A time budget for gateway calls. The caller (a Lambda, whose deadline is fixed) runs its
//! work inside [`within`]; every gateway call made in that task then times out by the
//! deadline at the latest, so the function can still record what happened before it is
//! killed. A call with less than [`MIN_CALL`] left is not sent at all
//! ([`Error::Unreachable`](super::Error::Unreachable): nothing reached the gateway).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// Below this, a call is not started: it could not get an answer in time.
pub const MIN_CALL: Duration = Duration::from_millis(500);

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with gateway calls bounded by `deadline`.
pub async fn within<F: Future>(deadline: Instant, work: F) -> F::Output {
    DEADLINE.scope(deadline, work).await
}

/// The time left before the current task's deadline, if it has one.
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|d| d.saturating_duration_since(Instant::now()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_is_seen_inside_and_only_inside() {
        assert_eq!(remaining(), None);
        let left = within(Instant::now() + Duration::from_secs(5), async {
            remaining()
        })
        .await
        .unwrap();
        assert!(left <= Duration::from_secs(5) && left > Duration::from_secs(4));
    }
}
