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

/// `DYNAMODB_LOCAL_JAR_DIR`: the folder with `DynamoDBLocal.jar` and `DynamoDBLocal_lib`, for
/// tests that run a DynamoDB Local of their own.
pub fn dynamodb_jar_dir() -> std::path::PathBuf {
    required(
        "DYNAMODB_LOCAL_JAR_DIR",
        "a DynamoDB Local of its own (DynamoDBLocal.jar)",
    )
    .into()
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts a DynamoDB Local of the test's own on `port`: its data in `data` (`-sharedDb
/// -dbPath`, so it survives a restart on the same files), or in memory; waits until it
/// answers. Killed when the handle is dropped. For tests the shared instance does not suit:
/// one that kills the database, or one that must not share it with hundreds of other tables
/// (DynamoDB Local builds a new index slowly, or not at all, when busy).
pub async fn start_dynamodb(data: Option<&std::path::Path>, port: u16) -> tokio::process::Child {
    use std::time::{Duration, Instant};
    let jar = dynamodb_jar_dir();
    let log_dir = data.map_or_else(std::env::temp_dir, std::path::Path::to_path_buf);
    let log = std::fs::File::create(
        log_dir.join(format!("dynamodb-{}.log", uuid::Uuid::new_v4().simple())),
    )
    .expect("log file");
    let mut cmd = tokio::process::Command::new("java");
    cmd.arg(format!(
        "-Djava.library.path={}",
        jar.join("DynamoDBLocal_lib").display()
    ))
    .arg("-jar")
    .arg(jar.join("DynamoDBLocal.jar"));
    match data {
        Some(dir) => cmd.arg("-sharedDb").arg("-dbPath").arg(dir),
        None => cmd.arg("-inMemory"),
    };
    let child = cmd
        .arg("-port")
        .arg(port.to_string())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start java (DynamoDB Local)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "DynamoDB Local did not start on {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}
