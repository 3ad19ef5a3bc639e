//! The `account` Lambda: builds its dependencies once per cold start and serves the router
//! through `lambda_http`.

use std::sync::Arc;

// Lambda gives an instance one event at a time: one thread runs it (a multi-thread runtime
// would only start worker threads and hand work between them).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    service::telemetry::init();
    let deps = Arc::new(service::Deps::from_env().await?);
    lambda_http::run(service::http::with_lambda_deadline(account::router(deps))).await
}
