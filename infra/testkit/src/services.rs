//! The local services the tests run against, DynamoDB Local and moto's Secrets Manager:
//! their endpoints from the environment (`infra/scripts/test.sh` starts both and sets them),
//! or a failure that says how to get them, so a test that needs one never passes vacuously.

/// The value of the environment variable `name`, which points at `what`; panics when unset.
pub fn required(name: &str, what: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: this test runs against {what}. Run it with infra/scripts/test.sh \
             (it installs and starts DynamoDB Local and moto), or \
             `source infra/scripts/services.sh && ensure_all && start_services` first."
        ),
    }
}

/// `DYNAMODB_ENDPOINT`: DynamoDB Local.
pub fn dynamodb_endpoint() -> String {
    required("DYNAMODB_ENDPOINT", "DynamoDB Local")
}

/// `SECRETS_MANAGER_ENDPOINT`: moto's Secrets Manager.
pub fn secrets_manager_endpoint() -> String {
    required("SECRETS_MANAGER_ENDPOINT", "moto's Secrets Manager")
}
