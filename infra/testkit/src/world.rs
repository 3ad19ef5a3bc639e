//! The use cases in process, for the withdrawal and reconciliation tests: a real in-process
//! `paykassma-sandbox`, a `MemoryStore`, a manual clock, and a webhook server that feeds the
//! sandbox's postbacks through `service::postbacks::receive` (the real apply path).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use paykassma_sandbox::{Sandbox, SandboxHandle};
use payments::clock::ManualClock;
use payments::store::EntryKind;
use payments::store::memory::MemoryStore;
use payments::store::prelude::*;
use payments::{Currency, Label};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use service::Deps;
use service::settings::Settings;

use crate::books;
use crate::values::d;

/// A sandbox, the use cases' [`Deps`] on a memory store and a manual clock, and the webhook
/// that feeds the sandbox's postbacks to them.
pub struct World {
    pub sandbox: SandboxHandle,
    pub deps: Arc<Deps>,
    pub clock: Arc<ManualClock>,
    pub store: Arc<MemoryStore>,
    pub http: reqwest::Client,
    pub webhook_url: String,
}

async fn webhook(State(deps): State<Arc<Deps>>, body: Bytes) -> Response {
    match service::postbacks::receive(&deps, &body, None).await {
        Ok(_) => (StatusCode::OK, axum::Json(json!({"status":"ok"}))).into_response(),
        Err(e) => e.into_response(),
    }
}

impl World {
    pub async fn start() -> World {
        Self::start_with(&[]).await
    }

    /// `settings` are environment-style pairs for `Settings::from_lookup`.
    pub async fn start_with(settings: &[(&str, &str)]) -> World {
        let sandbox = Sandbox::start(crate::sandbox::fast_config())
            .await
            .expect("start the sandbox");
        let pairs: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let settings =
            Settings::from_lookup(|k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
                .unwrap();
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
        let deps = Arc::new(
            crate::sandbox::deps_for(&sandbox)
                .store(store.clone())
                .clock(clock.clone())
                .settings(settings)
                .build(),
        );
        let app = Router::new()
            .route("/postback", post(webhook))
            .with_state(deps.clone());
        let webhook_url = format!("http://{}/postback", crate::serve::serve(app).await);
        sandbox.set_postback_url(Some(webhook_url.clone()));
        World {
            sandbox,
            deps,
            clock,
            store,
            http: reqwest::Client::new(),
            webhook_url,
        }
    }

    /// A control route of the sandbox; returns (status, JSON body).
    pub async fn control(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/_sandbox/{path}", self.sandbox.base_url());
        let req = match body {
            Some(b) => self.http.post(url).json(&b),
            None => self.http.post(url),
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn sandbox_withdrawal(&self, id: &str) -> Option<Value> {
        let url = format!("{}/_sandbox/withdrawals/{id}", self.sandbox.base_url());
        let res = self.http.get(url).send().await.unwrap();
        if res.status() != 200 {
            return None;
        }
        Some(res.json().await.unwrap())
    }

    pub async fn fault(&self, target: &str, mode: &str) {
        let (s, b) = self
            .control(
                "faults",
                Some(json!({"target": target, "mode": mode, "count": 1})),
            )
            .await;
        assert!(s < 300, "fault not set: {s} {b}");
    }

    /// (available, held) of `label` in `currency`.
    pub async fn balance(&self, label: &str, currency: &str) -> (Decimal, Decimal) {
        let label = Label::parse(label).unwrap();
        let cur = Currency::parse(currency).unwrap();
        self.store
            .get_balances(&label)
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.currency == cur)
            .map_or((Decimal::ZERO, Decimal::ZERO), |b| (b.available, b.held))
    }

    /// Credits `label` with a payment-window payment at the sandbox (the real postback path)
    /// and waits until our balance shows it.
    pub async fn fund(&self, label: &str, amount: &str, currency: &str, wallet_type: &str) {
        let before = self.balance(label, currency).await.0;
        let (s, b) = self
            .control(
                "plugin-payments",
                Some(json!({"label": label, "amount": amount, "currency_code": currency, "wallet_type": wallet_type})),
            )
            .await;
        assert!(s < 300, "plugin payment refused: {s} {b}");
        let want = before + d(amount);
        self.wait_for(|| async { self.balance(label, currency).await.0 == want })
            .await;
    }

    /// Polls `cond` for up to 5 s.
    pub async fn wait_for<F, Fut>(&self, cond: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..500 {
            if cond().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("condition not met in time");
    }

    /// The books of `label` ([`crate::books`]), and in `currency` each withdrawal debits once
    /// and refunds at most once.
    pub async fn assert_books(&self, label: &str, currency: &str) {
        let l = Label::parse(label).expect("label");
        let cur = Currency::parse(currency).expect("currency");
        let store: &dyn payments::Store = &*self.store;
        books::assert_ledger_is_balance(store, &l).await;
        books::assert_held_is_open(store, std::slice::from_ref(&l)).await;
        let ledger = books::ledger(store, &l).await;
        let count = |kind: EntryKind| {
            ledger
                .iter()
                .filter(|e| e.currency == cur && e.kind == kind)
                .count()
        };
        assert!(count(EntryKind::WithdrawalRefund) <= count(EntryKind::WithdrawalDebit));
    }

    /// Our clock's time.
    pub fn clock_now(&self) -> time::OffsetDateTime {
        use payments::clock::Clock;
        self.clock.now()
    }

    /// Moves our clock (reconciliation ages) forward.
    pub fn advance(&self, secs: i64) {
        self.clock.advance(time::Duration::seconds(secs));
    }
}

/// A valid IMPS withdrawal body for `amount` INR.
pub fn imps(amount: &str) -> service::withdrawals::WithdrawalBody {
    service::http::parse_json(
        json!({
            "payment_system": "imps",
            "amount": amount,
            "currency": "INR",
            "account_number": "123456789012",
            "account_name": "Ravi Kumar",
            "receiver_name": "Ravi Kumar",
            "bank_code": "SBIN0001234",
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}
