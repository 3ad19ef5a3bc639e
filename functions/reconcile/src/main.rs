//! The `reconcile` Lambda: builds its dependencies once per cold start and runs one
//! reconciliation per EventBridge scheduled event.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};

// Lambda gives an instance one event at a time: one thread runs it (a multi-thread runtime
// would only start worker threads and hand work between them).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    service::telemetry::init();
    let deps = Arc::new(service::Deps::from_env().await?);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let deps = deps.clone();
            // Gateway calls end before the function's deadline, so the run can record them.
            let budget = service::http::deadline::budget(event.context.deadline);
            // Its log lines carry the invocation's request id, as the HTTP functions' do.
            let request_id = event.context.request_id.clone();
            async move {
                let run = service::http::deadline::within(
                    budget,
                    reconcile::handle(&deps, event.payload),
                );
                service::http::request_id::scope(&request_id, run)
                    .await
                    .map_err(|e| lambda_runtime::Error::from(e.to_string()))
            }
        },
    ))
    .await
}
