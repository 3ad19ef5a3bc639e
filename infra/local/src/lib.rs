//! `local`: the whole API in one process for development, demos and end-to-end tests.
//!
//! [`Stack::start`] binds the API port, starts the Paykassma sandbox with its postbacks pointed
//! at this API, builds the dependencies (in-memory store, or DynamoDB with the table created
//! when missing) and serves every function's router on one port, plus `GET /healthz`. Only here
//! does `X-Dev-User: <label>` (and `X-Dev-Admin: 1`) name the caller: [`dev_identity`] turns
//! them into a [`DevIdentity`]; Lambda builds never install that layer.
//!
//! The stack and its sandbox share embedded development secrets ([`SandboxConfig::default`]),
//! so nothing needs configuring. It also serves the reference checkout page at `/` (`page`),
//! and answers CORS for the origins it was given (`cors`).

pub mod cors;
mod page;

use std::net::SocketAddr;
use std::sync::Arc;

use aws_adapters::dynamo::{DynamoStore, table};
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use paykassma::client::{Client, ClientConfig};
use paykassma::credentials::GatewaySecrets;
use paykassma_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use payments::Store;
use payments::clock::{Clock, SystemClock};
use service::http::DevIdentity;
use service::{ApiError, Deps, Settings};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Where the stack keeps its data.
#[derive(Clone, Debug)]
pub enum StoreChoice {
    /// Lost on exit; the default.
    Memory,
    /// DynamoDB (Local) at `endpoint`, table `table` (created when missing).
    Dynamo { endpoint: String, table: String },
}

/// How to start a [`Stack`].
#[derive(Clone)]
pub struct StackConfig {
    /// API port on 127.0.0.1 (0: a free one).
    pub port: u16,
    /// Host to bind (default 127.0.0.1).
    pub host: String,
    pub store: StoreChoice,
    /// The sandbox; its `port` is used, its `postback_url` is replaced by this API's webhook.
    pub sandbox: SandboxConfig,
    pub settings: Settings,
    /// The gateway: the embedded sandbox (default) or a real Paykassma server.
    pub gateway: GatewayChoice,
    pub clock: Arc<dyn Clock>,
    /// Run reconciliation this often (the Lambda's EventBridge schedule); `None`: never
    /// (tests call `service::reconcile::run` themselves).
    pub reconcile_every: Option<std::time::Duration>,
    /// Origins whose pages may call the API from a browser (the deployed API's
    /// `CorsAllowedOrigins`); by default the page's dev server ([`cors::DEFAULT_ORIGINS`]).
    pub cors_origins: Vec<String>,
    /// With [`StoreChoice::Dynamo`]: counts every DynamoDB request the stack sends (tests and
    /// the capacity figures read it).
    pub dynamo_requests: Option<aws_adapters::dynamo::requests::RequestCounter>,
}

impl StackConfig {
    /// Ports 3000 (API) and 3100 (sandbox), in-memory store, default settings.
    pub fn quickstart() -> Self {
        let sandbox = SandboxConfig {
            port: 3100,
            ..SandboxConfig::default()
        };
        Self {
            port: 3000,
            host: "127.0.0.1".into(),
            store: StoreChoice::Memory,
            sandbox,
            settings: default_settings(),
            gateway: GatewayChoice::Sandbox,
            clock: Arc::new(SystemClock),
            reconcile_every: Some(std::time::Duration::from_secs(60)),
            cors_origins: default_cors_origins(),
            dynamo_requests: None,
        }
    }

    /// Free ports, fast postback retries: for tests.
    pub fn ephemeral(store: StoreChoice) -> Self {
        let sandbox = SandboxConfig {
            port: 0,
            retry: paykassma_sandbox::RetryPolicy::fast(),
            ..SandboxConfig::default()
        };
        Self {
            port: 0,
            host: "127.0.0.1".into(),
            store,
            sandbox,
            settings: default_settings(),
            gateway: GatewayChoice::Sandbox,
            clock: Arc::new(SystemClock),
            reconcile_every: None,
            cors_origins: default_cors_origins(),
            dynamo_requests: None,
        }
    }
}

fn default_cors_origins() -> Vec<String> {
    cors::DEFAULT_ORIGINS
        .iter()
        .map(|o| o.to_string())
        .collect()
}

/// Which gateway the stack talks to.
#[derive(Clone, Debug)]
pub enum GatewayChoice {
    /// The embedded sandbox, its postbacks pointed at this API, sharing its development keys.
    Sandbox,
    /// A real Paykassma server (e.g. the merchant's staging account): no sandbox starts, the
    /// client calls `api_base`/`plugin_base` with `credentials` (the four keys the functions
    /// read), and postbacks come from that server to wherever its merchant settings point
    /// (a tunnel to this API's `/v1/postbacks/paykassma`).
    Remote {
        api_base: url::Url,
        plugin_base: url::Url,
        credentials: Box<GatewaySecrets>,
    },
}

/// The settings' defaults (no environment read).
pub fn default_settings() -> Settings {
    Settings::default()
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("sandbox: {0}")]
    Sandbox(#[from] paykassma_sandbox::StartError),
    #[error("gateway client: {0}")]
    Client(String),
    #[error("DynamoDB table: {0}")]
    Table(#[from] payments::StoreError),
    #[error("bad URL: {0}")]
    Url(#[from] url::ParseError),
}

/// A running stack. Dropping it stops the API server and the sandbox.
pub struct Stack {
    pub deps: Arc<Deps>,
    /// `None` on a real gateway ([`GatewayChoice::Remote`]).
    sandbox: Option<SandboxHandle>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    reconciler: Option<JoinHandle<()>>,
}

impl Stack {
    pub async fn start(config: StackConfig) -> Result<Stack, StackError> {
        let addr = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StackError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| StackError::Bind { addr, source })?;
        let mut settings = config.settings.clone();
        let (sandbox, client_config, postback_keys) = match &config.gateway {
            GatewayChoice::Sandbox => {
                let mut sandbox_config = config.sandbox.clone();
                sandbox_config.postback_url =
                    Some(format!("http://{local}/v1/postbacks/paykassma"));
                let sandbox = Sandbox::start(sandbox_config).await?;
                let api_base = url::Url::parse(&sandbox.api_base())?;
                let plugin_base = url::Url::parse(&format!("{}/plugin/", sandbox.base_url()))?;
                let client_config = ClientConfig::new(
                    api_base,
                    plugin_base,
                    sandbox.config().secret.clone(),
                    sandbox.config().withdrawal_private_key.clone(),
                );
                settings.postback_scheme = sandbox.config().postback_scheme;
                let keys = sandbox.config().postback_keys.clone();
                (Some(sandbox), client_config, keys)
            }
            GatewayChoice::Remote {
                api_base,
                plugin_base,
                credentials,
            } => {
                let secrets = credentials;
                let client_config = ClientConfig::new(
                    api_base.clone(),
                    plugin_base.clone(),
                    secrets.pluginapi_secret.clone(),
                    secrets.withdrawal_private_key.clone(),
                );
                (None, client_config, secrets.postback_keys())
            }
        };
        let gateway = Client::new(client_config).map_err(|e| StackError::Client(e.to_string()))?;
        let mut builder = Deps::builder(gateway, postback_keys)
            .clock(config.clock.clone())
            .settings(settings);
        if let StoreChoice::Dynamo {
            endpoint,
            table: name,
        } = &config.store
        {
            let client =
                DynamoStore::client_counted(Some(endpoint), config.dynamo_requests.clone()).await;
            if table::create_table_if_missing(&client, name).await? {
                tracing::info!(table = %name, "created the DynamoDB table");
            }
            let store: Arc<dyn Store> = Arc::new(DynamoStore::with_clock(
                client,
                name.clone(),
                builder.clock_handle(),
            ));
            builder = builder.store(store);
        }
        let deps = Arc::new(builder.build());
        let app = app(deps.clone())
            .merge(page::routes(sandbox.as_ref().map(SandboxHandle::base_url)))
            .layer(cors::layer(&config.cors_origins));
        let (shutdown, mut rx) = watch::channel(false);
        let server = tokio::spawn(async move {
            // The peer address stands in for API Gateway's sourceIp (POSTBACK_ALLOWED_IPS).
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "local API server failed");
            }
        });
        let reconciler = config
            .reconcile_every
            .map(|period| reconcile::every(deps.clone(), period));
        match &sandbox {
            Some(sandbox) => {
                tracing::info!(api = %local, sandbox = %sandbox.base_url(), "local stack listening")
            }
            None => {
                tracing::info!(api = %local, gateway = %deps.gateway.config().api_base, "local stack listening on a real gateway")
            }
        }
        Ok(Stack {
            deps,
            sandbox,
            addr: local,
            shutdown,
            server: Some(server),
            reconciler,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` of the API.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The embedded sandbox. Panics on a stack started on a real gateway: only sandbox
    /// stacks (every test's) have one.
    pub fn sandbox(&self) -> &SandboxHandle {
        self.sandbox
            .as_ref()
            .expect("this stack runs against a real gateway, without a sandbox")
    }

    /// `http://127.0.0.1:PORT` of the sandbox (control routes under `/_sandbox/`); see
    /// [`Self::sandbox`].
    pub fn sandbox_url(&self) -> String {
        self.sandbox().base_url()
    }

    /// Whether the stack runs on the embedded sandbox.
    pub fn has_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.deps.store.clone()
    }

    /// Stops the API (open requests finish) and the sandbox.
    pub async fn stop(mut self) {
        if let Some(r) = self.reconciler.take() {
            r.abort();
        }
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(r) = self.reconciler.take() {
            r.abort();
        }
        let _ = self.shutdown.send(true);
    }
}

/// Every function's router on one app, with `GET /healthz`, the dev identity layer and a JSON
/// 404 for unknown routes.
pub fn app(deps: Arc<Deps>) -> Router {
    Router::new()
        .merge(deposit_create::router(deps.clone()))
        .merge(deposit_activate::router(deps.clone()))
        .merge(postback::router(deps.clone()))
        .merge(account::router(deps.clone()))
        .merge(withdrawal_submit::router(deps.clone()))
        .merge(admin::router(deps.clone()))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(middleware::from_fn(dev_identity))
        // The fallback's 404 names its request too; the routers' own layer reuses this id.
        .layer(middleware::from_fn(service::http::request_id::tag))
}

/// Every (method, path) the stack serves from the function routers (not `/healthz`).
pub fn routes() -> Vec<(&'static str, &'static str)> {
    [
        deposit_create::ROUTES,
        deposit_activate::ROUTES,
        postback::ROUTES,
        account::ROUTES,
        withdrawal_submit::ROUTES,
        admin::ROUTES,
    ]
    .concat()
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("route".into())
}

/// `X-Dev-User: <label>` and `X-Dev-Admin: 1` -> [`DevIdentity`]. Local only.
pub async fn dev_identity(mut req: Request, next: Next) -> Response {
    let identity = dev_identity_of(req.headers());
    req.extensions_mut().insert(identity);
    next.run(req).await
}

fn dev_identity_of(headers: &axum::http::HeaderMap) -> DevIdentity {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    DevIdentity {
        user: header("x-dev-user"),
        admin: header("x-dev-admin").is_some_and(|v| v == "1" || v == "true"),
    }
}

/// The tour printed on start: a UPI deposit of 500.00 INR credited end to end with curl
/// (`api` and `sandbox` are base URLs). A test runs these very commands.
pub fn tour(api: &str, sandbox: &str) -> String {
    let id = payments::Label::parse(TOUR_USER)
        .ok()
        .and_then(|label| service::deposits::create::derived_id(&label, TOUR_KEY).ok())
        .map(|id| id.as_str().to_string())
        .unwrap_or_default();
    format!(
        r#"
Local stack ready: API {api}, Paykassma sandbox {sandbox}. Ctrl-C stops it.
Locally the header X-Dev-User names the user (on Lambda: the JWT claim).

Tour: a UPI deposit of 500.00 INR, credited end to end.

  # 1. the methods alice may use
  curl -s '{api}/v1/payment-methods?currency=INR' -H 'X-Dev-User: alice'

  # 2. create a deposit (answer: its id {id} and the UPI id to pay to)
  curl -s -X POST {api}/v1/deposits -H 'X-Dev-User: alice' -H 'Idempotency-Key: {TOUR_KEY}' \
       -H 'Content-Type: application/json' -d '{{"wallet_type":"upi_l","amount":"500.00","currency":"INR"}}'

  # 3. alice pays in her UPI app (played by the sandbox); her UTR is 123456789012
  curl -s -X POST {sandbox}/_sandbox/payments -H 'Content-Type: application/json' \
       -d '{{"wallet_type":"upi_l","key1":"123456789012","amount":"500.00","currency_code":"INR"}}'

  # 4. she activates the deposit with the UTR; the gateway's postback credits it
  curl -s -X POST {api}/v1/deposits/{id}/activate -H 'X-Dev-User: alice' \
       -H 'Content-Type: application/json' -d '{{"key1":"123456789012"}}'

  # 5. the deposit, the balance and the ledger
  curl -s {api}/v1/deposits/{id} -H 'X-Dev-User: alice'
  curl -s {api}/v1/balance -H 'X-Dev-User: alice'
  curl -s {api}/v1/ledger -H 'X-Dev-User: alice'
"#
    )
}

/// The tour's user and Idempotency-Key (its deposit id derives from them).
pub const TOUR_USER: &str = "alice";
pub const TOUR_KEY: &str = "tour-1";
