//! A small emulator of the AWS Lambda Runtime API (`/2018-06-01/runtime/...`), enough to run a
//! real `bootstrap` binary exactly as Lambda does: the process polls `invocation/next`, gets an
//! event with its request id and deadline, and posts a `response` or an `error`.
//!
//! [`Emulator::start`] serves the API on an ephemeral loopback port; [`Function::spawn`] starts a
//! binary against it with Lambda's environment; [`Function::invoke`] queues one event and waits
//! for the answer. The emulator also measures what the deployment guide cares about: time from
//! exec to the first answer (cold start) and the process's peak resident memory.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot bind the runtime API: {0}")]
    Bind(std::io::Error),
    #[error("cannot start {binary}: {source}")]
    Spawn {
        binary: String,
        source: std::io::Error,
    },
    #[error("the function reported an init error: {0}")]
    InitError(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the function process exited ({0})")]
    Exited(String),
    #[error("the function answered with something that is not JSON: {0}")]
    NotJson(String),
}

/// What an invocation returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /runtime/invocation/{id}/response`, parsed as JSON.
    Response(serde_json::Value),
    /// `POST /runtime/invocation/{id}/error`, as posted.
    Error(serde_json::Value),
}

struct Pending {
    event: serde_json::Value,
    request_id: String,
    deadline_ms: u64,
}

#[derive(Default)]
struct Shared {
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    init_error: Option<String>,
}

#[derive(Clone)]
struct ApiState {
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>>,
    shared: Arc<Mutex<Shared>>,
    function_arn: String,
}

/// A running Runtime API for one function instance.
pub struct Emulator {
    addr: std::net::SocketAddr,
    sender: mpsc::UnboundedSender<Pending>,
    shared: Arc<Mutex<Shared>>,
    server: tokio::task::JoinHandle<()>,
}

impl Emulator {
    pub async fn start(function_name: &str) -> Result<Self, EmulatorError> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let state = ApiState {
            queue: Arc::new(tokio::sync::Mutex::new(receiver)),
            shared: shared.clone(),
            function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{function_name}"),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(EmulatorError::Bind)?;
        let addr = listener.local_addr().map_err(EmulatorError::Bind)?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            sender,
            shared,
            server,
        })
    }

    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    fn init_error(&self) -> Option<String> {
        self.shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .init_error
            .clone()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(state): State<ApiState>) -> Response {
    let mut queue = state.queue.lock().await;
    let Some(p) = queue.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("lambda-runtime-aws-request-id", p.request_id);
    put("lambda-runtime-deadline-ms", p.deadline_ms.to_string());
    put(
        "lambda-runtime-invoked-function-arn",
        state.function_arn.clone(),
    );
    put(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    (StatusCode::OK, headers, p.event.to_string()).into_response()
}

fn complete(state: &ApiState, id: &str, outcome: Outcome) -> StatusCode {
    let waiter = state
        .shared
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .waiting
        .remove(id);
    match waiter {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

fn as_json(body: &Bytes) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn respond(
    State(state): State<ApiState>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    complete(&state, &id, Outcome::Response(as_json(&body)))
}

async fn fail(
    State(state): State<ApiState>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    complete(&state, &id, Outcome::Error(as_json(&body)))
}

async fn init_error(State(state): State<ApiState>, body: Bytes) -> StatusCode {
    state
        .shared
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .init_error = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

/// A function process running against its own emulator.
pub struct Function {
    emulator: Emulator,
    child: tokio::process::Child,
    started: Instant,
    /// Exec to the first completed invocation.
    pub cold_start: Option<Duration>,
    /// What the process wrote, stdout and stderr, line by line (its logs).
    log: Arc<Mutex<String>>,
    /// The request id of the last invocation (Lambda's `Lambda-Runtime-Aws-Request-Id`).
    last_request_id: Option<String>,
}

impl Function {
    /// Starts `binary` as Lambda would: `AWS_LAMBDA_RUNTIME_API` and the function variables set,
    /// plus `env` (the function's own configuration).
    pub async fn spawn(
        binary: &Path,
        name: &str,
        env: &[(String, String)],
    ) -> Result<Self, EmulatorError> {
        let emulator = Emulator::start(name).await?;
        let mut cmd = tokio::process::Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "emulator")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|source| EmulatorError::Spawn {
            binary: binary.display().to_string(),
            source,
        })?;
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(collect(stdout, log.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(collect(stderr, log.clone()));
        }
        Ok(Self {
            emulator,
            child,
            started,
            cold_start: None,
            log,
            last_request_id: None,
        })
    }

    /// Queues `event` and waits up to `timeout` for the function's answer.
    pub async fn invoke(
        &mut self,
        event: serde_json::Value,
        timeout: Duration,
    ) -> Result<Outcome, EmulatorError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        self.last_request_id = Some(request_id.clone());
        let (tx, rx) = oneshot::channel();
        self.emulator
            .shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .insert(request_id.clone(), tx);
        let deadline_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
            + timeout.as_millis() as u64;
        let _ = self.emulator.sender.send(Pending {
            event,
            request_id,
            deadline_ms,
        });
        let waited = tokio::select! {
            outcome = tokio::time::timeout(timeout, rx) => outcome,
            status = self.child.wait() => {
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                return Err(self.emulator.init_error().map_or_else(
                    || EmulatorError::Exited(format!("{status}; output: {}", self.logs())),
                    EmulatorError::InitError,
                ));
            }
        };
        match waited {
            Ok(Ok(outcome)) => {
                self.cold_start
                    .get_or_insert_with(|| self.started.elapsed());
                Ok(outcome)
            }
            _ => Err(self
                .emulator
                .init_error()
                .map_or(EmulatorError::Timeout(timeout), EmulatorError::InitError)),
        }
    }

    /// Everything the process wrote so far, stdout and stderr (its logs).
    pub fn logs(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The request id the last [`Self::invoke`] gave its event.
    pub fn last_request_id(&self) -> Option<&str> {
        self.last_request_id.as_deref()
    }

    /// Peak resident set size in KiB (`VmHWM`), read from `/proc` while the process lives.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

/// Appends each line `stream` yields to `log`, until it closes.
async fn collect(stream: impl tokio::io::AsyncRead + Unpin, log: Arc<Mutex<String>>) {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
        l.push_str(&line);
        l.push('\n');
    }
}
