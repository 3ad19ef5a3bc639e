//! Helpers of the reliability suite (`tests/tests/reliability_*.rs`): a stack tuned for storms
//! (postbacks retried without limit, reconciliation ages of zero, short gateway holds),
//! bounded concurrency, sandbox faults, delivery accounting from the sandbox's attempt log,
//! and a books check over many users at once: every label's ledger sums to its balance and
//! to what the test paid in, entry for entry.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use local::{StackConfig, StoreChoice};
use paykassma_sandbox::{AttemptStatus, RetryPolicy};
use payments::store::EntryKind;
use payments::{Label, Store};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Harness;
use crate::books::ledger;

/// An ephemeral stack on DynamoDB at `endpoint`: postbacks retried until acknowledged (fast
/// backoff, no attempt limit, so an outage only delays them), every open item due for
/// reconciliation at once, and the gateway's `timeout` fault held for half a second.
pub fn storm_config(endpoint: &str, table: &str) -> StackConfig {
    let mut config = StackConfig::ephemeral(StoreChoice::Dynamo {
        endpoint: endpoint.to_string(),
        table: table.to_string(),
    });
    config.sandbox.retry = RetryPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(250),
        max_attempts: 0,
        attempt_timeout: Duration::from_secs(30),
    };
    config.sandbox.fault_hold = Duration::from_millis(500);
    let r = &mut config.settings.reconcile;
    r.deposit_min_age = Duration::ZERO;
    r.withdrawal_min_age = Duration::ZERO;
    r.withdrawal_resend_grace = Duration::ZERO;
    config
}

/// Runs `f` on every item with at most `limit` running at once; the outputs in input order.
pub async fn concurrently<T, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<Fut::Output>
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit));
    let mut set = JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore open");
        let fut = f(item);
        set.spawn(async move {
            let out = fut.await;
            drop(permit);
            (i, out)
        });
    }
    let mut out: Vec<(usize, Fut::Output)> = Vec::new();
    while let Some(done) = set.join_next().await {
        out.push(done.expect("task finished"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, o)| o).collect()
}

/// One payment the storm makes at the gateway.
#[derive(Clone, Debug)]
pub struct Payment {
    pub label: String,
    pub amount: Decimal,
    /// The order it pays (`custom_transaction_id`), if any.
    pub order: Option<String>,
}

/// `n` window payments spread over `labels` users (`{prefix}{k}`), with distinct amounts in
/// 100.01..=999.99 INR, so a credit applied twice or to the wrong user shows in the sums.
pub fn window_payments(prefix: &str, n: usize, labels: usize) -> Vec<Payment> {
    (0..n)
        .map(|i| Payment {
            label: format!("{prefix}{}", i % labels),
            amount: Decimal::new(10_001 + ((i as i64 * 7919) % 89_999), 2),
            order: None,
        })
        .collect()
}

/// What each label should hold after `payments` (and how many credits).
pub fn expected_books(payments: &[Payment]) -> BTreeMap<String, (Decimal, usize)> {
    let mut out: BTreeMap<String, (Decimal, usize)> = BTreeMap::new();
    for p in payments {
        let e = out.entry(p.label.clone()).or_default();
        e.0 += p.amount;
        e.1 += 1;
    }
    out
}

/// The user pays at the gateway (`/_sandbox/plugin-payments`); the sandbox then delivers the
/// postback on its own.
pub async fn pay(http: &reqwest::Client, sandbox: &str, p: &Payment) {
    let mut body = json!({
        "label": p.label, "amount": p.amount.to_string(), "currency_code": "INR", "wallet_type": "upi_l",
    });
    if let Some(order) = &p.order {
        body["custom_transaction_id"] = json!(order);
    }
    let resp = http
        .post(format!("{sandbox}/_sandbox/plugin-payments"))
        .json(&body)
        .send()
        .await
        .expect("sandbox reachable");
    let status = resp.status();
    assert!(
        status.is_success(),
        "plugin payment {p:?}: {status} {}",
        resp.text().await.unwrap_or_default()
    );
}

/// Every payment at concurrency `limit`.
pub async fn pay_all(h: &Harness, payments: Vec<Payment>, limit: usize) {
    let http = h.http.clone();
    let sandbox = h.stack.sandbox_url();
    concurrently(payments, limit, move |p| {
        let (http, sandbox) = (http.clone(), sandbox.clone());
        async move { pay(&http, &sandbox, &p).await }
    })
    .await;
}

/// Every payment, paced so that at most `in_flight` postbacks wait for their first
/// acknowledgement (the gateway's deliveries are the storm; the pacing keeps it at that
/// concurrency instead of an unbounded backlog). `dropped`: postbacks that will never be
/// acknowledged (sandbox `drop` faults).
pub async fn pay_paced(h: &Harness, payments: Vec<Payment>, in_flight: usize, dropped: usize) {
    let batch = (in_flight / 2).max(1);
    let mut rest = payments;
    while !rest.is_empty() {
        loop {
            let d = deliveries(h);
            if d.postbacks < d.delivered + dropped + in_flight - batch {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let now: Vec<Payment> = rest.drain(..batch.min(rest.len())).collect();
        pay_all(h, now, batch).await;
    }
}

/// Arms `count` uses of a sandbox fault.
pub async fn fault(h: &Harness, target: &str, mode: &str, count: usize) {
    h.sandbox(
        "/_sandbox/faults",
        json!({"target": target, "mode": mode, "count": count}),
    )
    .await;
}

/// Faults not used up yet (`GET /_sandbox/faults`).
pub async fn armed_faults(h: &Harness) -> Value {
    h.http
        .get(format!("{}/_sandbox/faults", h.stack.sandbox_url()))
        .send()
        .await
        .expect("sandbox reachable")
        .json()
        .await
        .expect("faults JSON")
}

/// Re-POSTs postback texts to the webhook (replays, as a gateway retry would) at concurrency
/// `limit`; the answers' statuses with the body text when not `{"status":"ok"}`.
pub async fn replay(h: &Harness, texts: Vec<String>, limit: usize) -> Vec<(StatusCode, String)> {
    let http = h.http.clone();
    let url = h.api("/v1/postbacks/paykassma");
    concurrently(texts, limit, move |text| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            match http
                .post(&url)
                .header("content-type", "application/json")
                .body(text)
                .send()
                .await
            {
                Ok(resp) => (resp.status(), resp.text().await.unwrap_or_default()),
                Err(e) => (StatusCode::BAD_GATEWAY, format!("transport: {e}")),
            }
        }
    })
    .await
}

/// What the sandbox's attempt log says about deliveries.
#[derive(Debug, Default, Clone)]
pub struct Deliveries {
    /// Postbacks produced.
    pub postbacks: usize,
    /// Attempts made, and of those acknowledged (`{"status":"ok"}`).
    pub attempts: usize,
    pub acknowledged: usize,
    /// Postbacks with at least one acknowledged attempt.
    pub delivered: usize,
    /// Attempts by outcome (`200`, `503`, `error: ...`, `fault:http500`, `dropped`).
    pub by_status: BTreeMap<String, usize>,
}

/// Reads the attempt log.
pub fn deliveries(h: &Harness) -> Deliveries {
    let attempts = h.stack.sandbox().attempts();
    let postbacks = h.stack.sandbox().postback_texts().len();
    let mut d = Deliveries {
        postbacks,
        attempts: attempts.len(),
        ..Deliveries::default()
    };
    let mut delivered = BTreeSet::new();
    for a in &attempts {
        let key = match &a.status {
            AttemptStatus::Http(code) => code.to_string(),
            AttemptStatus::Other(s) if s.starts_with("error:") => s.chars().take(90).collect(),
            AttemptStatus::Other(s) => s.clone(),
        };
        *d.by_status.entry(key).or_default() += 1;
        if a.ok {
            d.acknowledged += 1;
            delivered.insert(a.postback_id);
        }
    }
    d.delivered = delivered.len();
    d
}

/// Waits until `expected_acks` attempts were acknowledged and every postback but `dropped`
/// ones was delivered; fails after `limit`.
pub async fn wait_delivered(
    h: &Harness,
    expected_postbacks: usize,
    expected_acks: usize,
    dropped: usize,
    limit: Duration,
) -> Deliveries {
    let start = Instant::now();
    loop {
        let d = deliveries(h);
        if d.postbacks == expected_postbacks
            && d.delivered + dropped == d.postbacks
            && d.acknowledged >= expected_acks
        {
            assert_eq!(
                d.acknowledged, expected_acks,
                "more acknowledged deliveries than sent: {d:?}"
            );
            return d;
        }
        assert!(
            start.elapsed() < limit,
            "deliveries did not finish in {limit:?}: {d:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// One label's books as the store holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelBooks {
    pub available: Decimal,
    pub held: Decimal,
    pub ledger_sum: Decimal,
    pub entries: BTreeMap<&'static str, usize>,
    /// References credited (or refunded) more than once: must stay empty.
    pub repeated_references: Vec<String>,
}

/// Reads `label`'s INR balance and whole ledger from the store.
pub async fn books(store: &Arc<dyn Store>, label: &str) -> LabelBooks {
    let l = Label::parse(label).expect("label");
    let mut b = LabelBooks::default();
    let mut seen: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for e in &ledger(&**store, &l).await {
        assert_eq!(e.currency.code(), "INR", "{e:?}");
        b.ledger_sum += e.amount;
        *b.entries.entry(e.kind.as_str()).or_default() += 1;
        *seen
            .entry((e.reference.clone(), e.kind.as_str()))
            .or_default() += 1;
        if e.kind == EntryKind::WithdrawalDebit {
            assert!(e.amount < Decimal::ZERO, "{e:?}");
        } else {
            assert!(e.amount > Decimal::ZERO, "{e:?}");
        }
    }
    b.repeated_references = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((r, k), n)| format!("{k} {r} x{n}"))
        .collect();
    for bal in store.get_balances(&l).await.expect("balances") {
        assert_eq!(bal.currency.code(), "INR");
        b.available = bal.available;
        b.held = bal.held;
    }
    b
}

/// Every label's books, read at concurrency 16.
pub async fn all_books(h: &Harness, labels: Vec<String>) -> BTreeMap<String, LabelBooks> {
    let store = h.stack.store();
    let read = concurrently(labels.clone(), 16, move |label| {
        let store = store.clone();
        async move { books(&store, &label).await }
    })
    .await;
    labels.into_iter().zip(read).collect()
}

/// Asserts that each label holds exactly what it was paid, credited once per payment, with a
/// ledger that sums to the balance to the cent; and the API shows the same balance for a few.
pub async fn assert_credited_once(h: &Harness, expected: &BTreeMap<String, (Decimal, usize)>) {
    let books = all_books(h, expected.keys().cloned().collect()).await;
    let mut total = Decimal::ZERO;
    let mut credits = 0;
    for (label, (amount, count)) in expected {
        let b = &books[label];
        assert!(b.repeated_references.is_empty(), "{label}: {b:?}");
        assert_eq!(
            b.ledger_sum, b.available,
            "{label}: ledger != balance: {b:?}"
        );
        assert_eq!(b.available, *amount, "{label}: balance != paid: {b:?}");
        assert_eq!(b.held, Decimal::ZERO, "{label}: {b:?}");
        assert_eq!(
            b.entries.get("deposit_credit").copied().unwrap_or(0),
            *count,
            "{label}: one credit per payment: {b:?}"
        );
        total += b.available;
        credits += count;
    }
    let paid: Decimal = expected.values().map(|(a, _)| *a).sum();
    assert_eq!(total, paid);
    assert!(credits > 0);
    for label in expected.keys().take(3) {
        h.ledger_matches_balances(label).await;
    }
}
