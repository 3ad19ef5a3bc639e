//! The end-to-end harness: a [`local::Stack`] (every function router on one port, the Paykassma
//! sandbox with fast postback retries) on DynamoDB Local, a fresh table per test, driven over
//! HTTP as a merchant's frontend and the gateway would.
//!
//! `DYNAMODB_ENDPOINT` must point at DynamoDB Local ([`crate::services::dynamodb_endpoint`]), so the
//! tests never pass vacuously.
//!
//! ```ignore
//! use testkit::{Harness, json};
//! let h = Harness::start().await;
//! let alice = h.user("alice");
//! let (status, body) = alice.post("/v1/deposits", Some("key-1"), json!({...})).await;
//! h.ledger_matches_balances("alice").await;
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use local::{Stack, StackConfig, StoreChoice};
use payments::Label;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;

/// A running stack on DynamoDB Local with its own table.
pub struct Harness {
    pub stack: Stack,
    pub http: reqwest::Client,
    pub table: String,
}

/// A caller identified by `X-Dev-User` (or by nobody).
pub struct User {
    pub label: Option<String>,
    http: reqwest::Client,
    base: String,
}

/// An answer: status and JSON body (`Value::Null` when not JSON).
pub type Answer = (StatusCode, Value);

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

impl Harness {
    /// The stack on DynamoDB Local at `DYNAMODB_ENDPOINT`, table `e2e-<uuid>`.
    pub async fn start() -> Harness {
        Self::start_adjusted(|_| {}).await
    }

    /// The same stack, its configuration (settings, sandbox) adjusted by `adjust` first.
    pub async fn start_adjusted(adjust: impl FnOnce(&mut StackConfig)) -> Harness {
        let endpoint = crate::services::dynamodb_endpoint();
        let table = crate::stores::table_name("e2e");
        let mut config = StackConfig::ephemeral(StoreChoice::Dynamo {
            endpoint,
            table: table.clone(),
        });
        adjust(&mut config);
        Self::start_with(config, table).await
    }

    /// A stack from an explicit configuration (e.g. another sandbox setup).
    pub async fn start_with(config: StackConfig, table: String) -> Harness {
        let stack = Stack::start(config).await.expect("start the local stack");
        Harness {
            stack,
            http: reqwest::Client::new(),
            table,
        }
    }

    pub fn user(&self, label: &str) -> User {
        User {
            label: Some(label.to_string()),
            http: self.http.clone(),
            base: self.stack.base_url(),
        }
    }

    /// A caller without identity.
    pub fn anonymous(&self) -> User {
        User {
            label: None,
            http: self.http.clone(),
            base: self.stack.base_url(),
        }
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{}", self.stack.base_url(), path)
    }

    /// A sandbox control route (`/_sandbox/...`); panics unless it answers 2xx.
    pub async fn sandbox(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{}", self.stack.sandbox_url(), path))
            .json(&body)
            .send()
            .await
            .expect("sandbox reachable");
        let (status, body) = answer(resp).await;
        assert!(status.is_success(), "sandbox {path}: {status} {body}");
        body
    }

    /// The withdrawal request the sandbox received under our id, or `None` where it received none.
    pub async fn sandbox_withdrawal(&self, id: &str) -> Option<Value> {
        let resp = self
            .http
            .get(format!(
                "{}/_sandbox/withdrawals/{id}",
                self.stack.sandbox_url()
            ))
            .send()
            .await
            .expect("sandbox reachable");
        if resp.status() != 200 {
            return None;
        }
        Some(resp.json().await.expect("sandbox answers JSON"))
    }

    /// Credits `label` with `amount` INR (whole rupees) paid in the payment window, and waits
    /// until the balance shows it (the sandbox's postback is asynchronous).
    pub async fn fund(&self, label: &str, amount: &str) {
        self.sandbox(
            "/_sandbox/plugin-payments",
            serde_json::json!({"label": label, "amount": amount, "currency_code": "INR", "wallet_type": "upi_l"}),
        )
        .await;
        self.wait_balance(label, "INR", &format!("{amount}.00"))
            .await;
    }

    /// An admin route as an operator calls it (locally `X-Dev-Admin: 1`; on Lambda IAM).
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, self.api(path))
            .header("X-Dev-Admin", "1");
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.expect("API reachable")).await
    }

    /// Posts raw bytes to the postback webhook.
    pub async fn post_postback(&self, body: impl Into<reqwest::Body>) -> Answer {
        let resp = self
            .http
            .post(self.api("/v1/postbacks/paykassma"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("API reachable");
        answer(resp).await
    }

    /// Polls `GET /v1/deposits/{id}` until its status is `status` (postbacks are asynchronous).
    pub async fn wait_deposit_status(&self, label: &str, id: &str, status: &str) -> Value {
        let user = self.user(label);
        let mut last = Value::Null;
        for _ in 0..100 {
            let (code, body) = user.get(&format!("/v1/deposits/{id}")).await;
            assert_eq!(code, StatusCode::OK, "{body}");
            if body["status"] == status {
                return body;
            }
            last = body;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("deposit {id} never reached {status}: {last}");
    }

    /// Polls `GET /v1/balance` until `currency` is available at `amount` ("500.00").
    pub async fn wait_balance(&self, label: &str, currency: &str, amount: &str) {
        let user = self.user(label);
        let mut last = Value::Null;
        for _ in 0..100 {
            let (_, body) = user.get("/v1/balance").await;
            if body["balances"][currency]["available"] == amount {
                return;
            }
            last = body;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{label}'s {currency} balance never reached {amount}: {last}");
    }

    /// Checks the books of `label` to the cent: for every currency, the ledger entries (all
    /// pages, read from the store) sum to `available`, and `GET /v1/balance` shows the same.
    /// Returns `available` per currency code.
    pub async fn ledger_matches_balances(&self, label: &str) -> BTreeMap<String, Decimal> {
        let store = self.stack.store();
        let l = Label::parse(label).expect("label");
        let out = crate::books::assert_ledger_is_balance(&*store, &l).await;
        let (status, api) = self.user(label).get("/v1/balance").await;
        assert_eq!(status, StatusCode::OK);
        for (code, available) in &out {
            let shown: Decimal = api["balances"][code]["available"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("API balance of {code} missing: {api}"));
            assert_eq!(shown, *available, "API balance of {code}");
        }
        out
    }

    /// `ledger_matches_balances`, then the available balance in `currency` as text at scale
    /// ("0.00" when none).
    pub async fn balance(&self, label: &str, currency: &str) -> String {
        let books = self.ledger_matches_balances(label).await;
        let cur = payments::Currency::parse(currency).expect("currency");
        let v = books.get(currency).copied().unwrap_or_default();
        payments::money::at_scale(v, cur).to_string()
    }

    /// The number of ledger entries of `label`.
    pub async fn ledger_len(&self, label: &str) -> usize {
        let (status, body) = self.user(label).get("/v1/ledger?limit=100").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["entries"].as_array().map_or(0, Vec::len)
    }
}

impl User {
    fn with_identity(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.label {
            Some(l) => req.header("X-Dev-User", l),
            None => req,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let req = self.with_identity(self.http.get(format!("{}{}", self.base, path)));
        answer(req.send().await.expect("API reachable")).await
    }

    /// GET returning the raw bytes and content type.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let req = self.with_identity(self.http.get(format!("{}{}", self.base, path)));
        let resp = req.send().await.expect("API reachable");
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, ct, resp.bytes().await.unwrap_or_default().to_vec())
    }

    /// POST a JSON body, with an `Idempotency-Key` when given.
    pub async fn post(&self, path: &str, idempotency_key: Option<&str>, body: Value) -> Answer {
        self.post_raw(path, idempotency_key, "application/json", body.to_string())
            .await
    }

    /// PUT a JSON body.
    pub async fn put_json(&self, path: &str, body: Value) -> Answer {
        let req = self
            .with_identity(self.http.put(format!("{}{}", self.base, path)))
            .json(&body);
        answer(req.send().await.expect("API reachable")).await
    }

    /// POST any bytes with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        idempotency_key: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut req = self
            .with_identity(self.http.post(format!("{}{}", self.base, path)))
            .header("content-type", content_type)
            .body(body);
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        answer(req.send().await.expect("API reachable")).await
    }

    /// POST a multipart form.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Answer {
        let req = self
            .with_identity(self.http.post(format!("{}{}", self.base, path)))
            .multipart(form);
        answer(req.send().await.expect("API reachable")).await
    }

    /// Creates a deposit and asserts 201; returns its body.
    pub async fn deposit(&self, key: &str, body: Value) -> Value {
        let (status, created) = self.post("/v1/deposits", Some(key), body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created
    }
}
