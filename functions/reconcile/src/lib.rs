//! `reconcile`: the scheduled safety net (see `service::reconcile` for what a run does).
//! On Lambda an EventBridge schedule invokes [`handle`]; the local server runs [`every`] on a
//! timer instead.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use service::Deps;
use service::reconcile::{self, ReconcileSummary};

/// One scheduled run. Returns the summary (visible in the invocation result and logged);
/// fails only when the summary could not be stored, so the schedule's retry runs it again
/// (harmless: a run is idempotent).
pub async fn handle(
    deps: &Deps,
    event: EventBridgeEvent<serde_json::Value>,
) -> Result<ReconcileSummary, service::ApiError> {
    tracing::info!(
        event_id = event.id.as_deref().unwrap_or(""),
        scheduled_at = ?event.time,
        "reconciliation triggered"
    );
    reconcile::run(deps).await
}

/// Runs reconciliation every `period` until the task is aborted (the local server's timer).
/// A failed run is logged; the next one tries again.
pub fn every(deps: Arc<Deps>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick fires at once: skip it so a fresh stack starts quiet.
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = reconcile::run(&deps).await {
                tracing::warn!(error = %e, "reconciliation run failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {

    use paykassma_sandbox::{Sandbox, SandboxConfig};

    use super::*;

    #[tokio::test]
    async fn a_scheduled_event_runs_and_stores_the_summary() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let deps = testkit::sandbox::deps_for(&sandbox).build();
        let event: EventBridgeEvent<serde_json::Value> = serde_json::from_value(serde_json::json!({
            "version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/reconcile"], "detail": {}
        }))
        .unwrap();
        let summary = handle(&deps, event).await.unwrap();
        assert!(summary.errors.is_empty(), "{:?}", summary.errors);
        assert_eq!(summary.count("hash_urls_skipped"), 1);
        assert_eq!(
            reconcile::last_run(&deps).await.unwrap().as_ref(),
            Some(&summary)
        );
    }
}
