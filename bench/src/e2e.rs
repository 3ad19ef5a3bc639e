//! A deposit end to end through the API and the sandbox, as the tour does it: create
//! (`POST /v1/deposits`, `upi_l`), the user pays (`POST /_sandbox/payments`), activate with
//! the UTR, then poll `GET /v1/deposits/{id}` until the gateway's postback has credited it.
//! Each run is a new user; runs are sequential.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::postbacks::AMOUNT;
use crate::stats::Run;

/// Time of each step of the runs, and of the whole.
pub struct E2eReport {
    pub create: Run,
    pub pay: Run,
    pub activate: Run,
    pub until_credited: Run,
    pub total: Run,
}

/// How often the status is polled after activation.
const POLL: Duration = Duration::from_millis(2);
/// Give up on one deposit after this long.
const DEADLINE: Duration = Duration::from_secs(30);

async fn json_of(r: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = r.status();
    let text = r.text().await.with_context(|| format!("{what}: body"))?;
    if !status.is_success() {
        bail!("{what}: HTTP {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("{what}: not JSON: {text}"))
}

/// One deposit; returns the durations of create, pay, activate and activate -> credited.
async fn one(
    client: &reqwest::Client,
    api: &str,
    sandbox: &str,
    user: &str,
    utr: &str,
) -> anyhow::Result<[Duration; 4]> {
    let t = Instant::now();
    let created = client
        .post(format!("{api}/v1/deposits"))
        .header("x-dev-user", user)
        .header("idempotency-key", format!("bench-{user}"))
        .json(&json!({"wallet_type": "upi_l", "amount": AMOUNT, "currency": "INR"}))
        .send()
        .await
        .context("create")?;
    let created = json_of(created, "create").await?;
    let id = created["id"].as_str().context("create: no id")?.to_string();
    let create = t.elapsed();

    let t = Instant::now();
    let paid = client
        .post(format!("{sandbox}/_sandbox/payments"))
        .json(
            &json!({"wallet_type": "upi_l", "key1": utr, "amount": AMOUNT, "currency_code": "INR"}),
        )
        .send()
        .await
        .context("pay")?;
    json_of(paid, "pay").await?;
    let pay = t.elapsed();

    let t = Instant::now();
    let activated = client
        .post(format!("{api}/v1/deposits/{id}/activate"))
        .header("x-dev-user", user)
        .json(&json!({"key1": utr}))
        .send()
        .await
        .context("activate")?;
    json_of(activated, "activate").await?;
    let activate = t.elapsed();

    let t = Instant::now();
    loop {
        let got = client
            .get(format!("{api}/v1/deposits/{id}"))
            .header("x-dev-user", user)
            .send()
            .await
            .context("status")?;
        let got = json_of(got, "status").await?;
        match got["status"].as_str() {
            Some("credited") => break,
            Some("pending" | "processing") if t.elapsed() < DEADLINE => {
                tokio::time::sleep(POLL).await
            }
            other => bail!("deposit {id} ended {other:?}, not credited: {got}"),
        }
    }
    Ok([create, pay, activate, t.elapsed()])
}

/// `runs` deposits one after another; `tag` keeps users and UTRs distinct between calls.
pub async fn run(
    client: &reqwest::Client,
    api: &str,
    sandbox: &str,
    runs: usize,
    tag: u32,
) -> anyhow::Result<E2eReport> {
    let mut steps: [Vec<Duration>; 4] = Default::default();
    let mut totals = Vec::with_capacity(runs);
    let started = Instant::now();
    for i in 0..runs {
        let user = format!("e2e-{tag}-{i}");
        // 12-digit UTRs; the sandbox treats a leading 9999 as suspect, these start with 1.
        let utr = format!("1{:05}{:06}", tag % 100_000, i);
        let t = Instant::now();
        let d = one(client, api, sandbox, &user, &utr)
            .await
            .with_context(|| format!("end-to-end deposit {i}"))?;
        totals.push(t.elapsed());
        for (k, v) in d.into_iter().enumerate() {
            steps[k].push(v);
        }
    }
    let wall = started.elapsed();
    let [create, pay, activate, credited] = steps;
    Ok(E2eReport {
        create: Run::new(create, 0, wall),
        pay: Run::new(pay, 0, wall),
        activate: Run::new(activate, 0, wall),
        until_credited: Run::new(credited, 0, wall),
        total: Run::new(totals, 0, wall),
    })
}
