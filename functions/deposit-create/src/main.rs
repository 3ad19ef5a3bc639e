//! The `deposit-create` Lambda: builds its dependencies once per cold start and serves the router
//! through `lambda_http`.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    service::telemetry::init();
    let deps = Arc::new(service::Deps::from_env().await?);
    lambda_http::run(service::http::with_lambda_deadline(deposit_create::router(
        deps,
    )))
    .await
}
