//! The sandbox on its own: fast retries, a postback receiver that records what it gets and
//! answers as scripted, and small HTTP helpers for its API and control routes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use paykassma::client::{Client, ClientConfig};
use paykassma::php::PhpValue;
use paykassma::signature::{Scheme, request_signature, verify_postback};
use paykassma_sandbox::{RetryPolicy, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;
use service::{Deps, DepsBuilder};
use url::Url;

/// The sandbox's default API secret (`?secret=`).
pub const SECRET: &str = "sandbox-secret";

/// Postbacks retried within milliseconds, a `timeout` fault held 300 ms.
pub fn fast_config() -> SandboxConfig {
    SandboxConfig {
        retry: RetryPolicy::fast(),
        fault_hold: Duration::from_millis(300),
        ..SandboxConfig::default()
    }
}

/// The merchant's gateway client for `sandbox`: its API base for both hosts, its secret and
/// (W) key, and a 5 s timeout.
pub fn gateway_for(sandbox: &SandboxHandle) -> Client {
    let cfg = sandbox.config();
    let base = Url::parse(&sandbox.api_base()).expect("the sandbox's URL");
    let mut client = ClientConfig::new(
        base.clone(),
        base,
        cfg.secret.clone(),
        cfg.withdrawal_private_key.clone(),
    );
    client.timeout = Duration::from_secs(5);
    Client::new(client).expect("a client for the sandbox")
}

/// [`Deps`] on `sandbox` ([`gateway_for`]) with its postback keys, for the test to adjust
/// before `build()`.
pub fn deps_for(sandbox: &SandboxHandle) -> DepsBuilder {
    Deps::builder(gateway_for(sandbox), sandbox.config().postback_keys.clone())
}

/// A receiver of postbacks: records raw bodies; answers from a script of (status, body),
/// then `200 {"status":"ok"}`.
#[derive(Clone, Default)]
pub struct Receiver {
    pub bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    script: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
}

impl Receiver {
    pub fn answer_first(&self, answers: &[(u16, &'static str)]) {
        self.script.lock().unwrap().extend(answers.iter().copied());
    }

    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.bodies.lock().unwrap().clone()
    }

    /// Waits until at least `n` bodies arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        for _ in 0..200 {
            let got = self.bodies();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} postbacks, got {}", self.bodies().len());
    }

    /// Starts the receiver; returns its URL.
    pub async fn start(&self) -> String {
        async fn handle(State(r): State<Receiver>, body: Bytes) -> (StatusCode, String) {
            r.bodies.lock().unwrap().push(body.to_vec());
            match r.script.lock().unwrap().pop_front() {
                Some((code, text)) => (StatusCode::from_u16(code).unwrap(), text.to_string()),
                None => (StatusCode::OK, r#"{"status":"ok"}"#.to_string()),
            }
        }
        let app = Router::new()
            .route("/postback", post(handle))
            .with_state(self.clone());
        format!("http://{}/postback", crate::serve::serve(app).await)
    }
}

/// A running sandbox whose postbacks go to a [`Receiver`].
pub struct Env {
    pub sandbox: SandboxHandle,
    pub receiver: Receiver,
    pub http: reqwest::Client,
}

impl Env {
    pub async fn start() -> Self {
        Self::with(fast_config()).await
    }

    pub async fn with(mut config: SandboxConfig) -> Self {
        let receiver = Receiver::default();
        config.postback_url = Some(receiver.start().await);
        let sandbox = Sandbox::start(config).await.unwrap();
        Self {
            sandbox,
            receiver,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    /// An API URL with `?secret=`.
    pub fn api(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}secret={SECRET}", self.sandbox.base_url())
    }

    pub async fn post(&self, url: &str, body: Value) -> (u16, Value) {
        let resp = self.http.post(url).json(&body).send().await.unwrap();
        decode(resp).await
    }

    pub async fn post_raw(&self, url: &str, body: String) -> (u16, String) {
        let resp = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn get(&self, url: &str) -> (u16, Value) {
        decode(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        self.post(&self.url(path), body).await
    }

    /// Signs a withdrawal body with the sandbox's (W) key and posts it.
    pub async fn withdraw(&self, body: Value) -> (u16, Value) {
        let text = sign_withdrawal(self.sandbox.config().withdrawal_private_key.expose(), &body);
        let (status, text) = self
            .post_raw(&self.url("/v2/withdrawal/create"), text)
            .await;
        (status, serde_json::from_str(&text).unwrap())
    }

    /// Postbacks received so far, verified with the sandbox's keys.
    pub fn verified(&self, scheme: Scheme) -> Vec<PhpValue<'static>> {
        self.receiver
            .bodies()
            .iter()
            .map(|b| {
                verify_postback(b, &self.sandbox.config().postback_keys, scheme)
                    .expect("postback verifies")
                    .into_owned()
            })
            .collect()
    }
}

/// `body` signed with the (W) key as a merchant would send it to `/v2/withdrawal/create`.
pub fn sign_withdrawal(key: &str, body: &Value) -> String {
    let text = serde_json::to_string(body).unwrap();
    let mut v = paykassma::php::parse(text.as_bytes()).unwrap();
    let sig = request_signature(&paykassma::Secret::new(key), &v).unwrap();
    v.insert("signature", PhpValue::string(sig));
    paykassma::php::encode(&v, paykassma::php::JsonFlags::UNESCAPED)
}

/// Status and JSON body (a JSON string of the text when the body is not JSON).
pub async fn decode(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// The first `additional_data` entry of a postback.
pub fn entry<'v, 'a>(pb: &'v PhpValue<'a>) -> &'v PhpValue<'a> {
    match pb.get("additional_data") {
        Some(PhpValue::List(items)) => &items[0],
        other => panic!("no additional_data: {other:?}"),
    }
}

/// A string or number field of a postback value as text.
pub fn text<'a>(v: &'a PhpValue, key: &str) -> &'a str {
    match v.get(key) {
        Some(PhpValue::String(s)) => s,
        Some(PhpValue::Number(n)) => n.as_str(),
        other => panic!("{key}: {other:?}"),
    }
}
