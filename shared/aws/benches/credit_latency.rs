//! Latency of a single credit (`apply_deposit_postback`) on DynamoDB Local: one at a time,
//! at least 1000 credits, median and p99, beside the floor of the same run (one consistent
//! GetItem, the cheapest round trip to the same server).
//!
//! Run: `source infra/scripts/services.sh && ensure_all && start_services &&
//!       cargo bench -p payments --bench credit_latency` (CREDITS=n to change the count).
//! It is a benchmark, not a test: it asserts only that the books balance afterwards.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_adapters::dynamo::{DynamoStore, table};
use payments::store::prelude::*;
use payments::store::{CreditOutcome, DepositCredit, NewDeposit, PageRequest};
use payments::{Currency, DepositId, Label, Money};
use time::OffsetDateTime;

struct Stats {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Stats {
    fn pct(&self, p: f64) -> Duration {
        let mut s = self.samples.clone();
        s.sort_unstable();
        // Nearest-rank percentile.
        let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
        s[rank.clamp(1, s.len()) - 1]
    }

    fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        let mean = self.samples.iter().sum::<Duration>() / self.samples.len() as u32;
        format!(
            "{:<34} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            self.name,
            self.samples.len(),
            ms(self.pct(0.0)),
            ms(self.pct(50.0)),
            ms(self.pct(90.0)),
            ms(self.pct(99.0)),
            ms(self.pct(100.0)),
            ms(mean)
        )
    }
}

fn main() {
    let endpoint = match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(v) if !v.is_empty() => v,
        _ => {
            eprintln!(
                "DYNAMODB_ENDPOINT is not set: start DynamoDB Local first \
                 (source infra/scripts/services.sh && ensure_all && start_services)"
            );
            std::process::exit(2);
        }
    };
    let n: usize = std::env::var("CREDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .max(1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(run(&endpoint, n)) {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

async fn run(endpoint: &str, n: usize) -> Result<(), String> {
    let client = DynamoStore::client(Some(endpoint)).await;
    let name = format!("payments-bench-{}", uuid::Uuid::new_v4().simple());
    table::create_table_if_missing(&client, &name)
        .await
        .map_err(|e| e.to_string())?;
    let store = DynamoStore::new(client.clone(), name.clone());
    let label = Label::parse("bench-user").map_err(|e| e.to_string())?;
    let inr = Currency::parse("INR").map_err(|e| e.to_string())?;
    let amount = Money::parse("100.50", "INR").map_err(|e| e.to_string())?;
    let credit = |key: String, deposit_id: Option<DepositId>| DepositCredit {
        dedupe_key: key,
        label: label.clone(),
        money: amount,
        deposit_id,
        wallet_type: Some("upi_l".into()),
        raw_body: r#"{"direction":"ingoing","amount":"100.50","currency_code":"INR"}"#.into(),
        received_at: OffsetDateTime::now_utc(),
        read: payments::store::DepositRead::Unread,
    };

    // Warm-up: connections, JIT of the Java server.
    for i in 0..100 {
        store
            .apply_deposit_postback(credit(format!("in:tx:warm{i}"), None))
            .await
            .map_err(|e| e.to_string())?;
    }

    let balance_key = std::collections::HashMap::from([
        (
            "PK".to_string(),
            aws_sdk_dynamodb::types::AttributeValue::S(format!("USER#{label}")),
        ),
        (
            "SK".to_string(),
            aws_sdk_dynamodb::types::AttributeValue::S("BALANCE#INR".into()),
        ),
    ]);
    let mut floor = Stats {
        name: "floor: GetItem (consistent)",
        samples: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let t = Instant::now();
        client
            .get_item()
            .table_name(&name)
            .set_key(Some(balance_key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        floor.samples.push(t.elapsed());
    }

    let by_label = time_credits(
        &store,
        "credit by label (3 items)",
        (0..n).map(|i| credit(format!("in:tx:label{i}"), None)),
        |out| matches!(out, CreditOutcome::Credited { .. }),
    )
    .await?;

    let mut deposits = Vec::with_capacity(n);
    for _ in 0..n {
        let d = NewDeposit {
            id: DepositId::generate(),
            label: label.clone(),
            currency: inr,
            amount: Some(amount),
            wallet_type: "upi_l".into(),
            details: BTreeMap::new(),
            created_at: OffsetDateTime::now_utc(),
        };
        deposits.push(store.create_deposit(d).await.map_err(|e| e.to_string())?.id);
    }
    let with_deposit = time_credits(
        &store,
        "credit + deposit (read, 4 items)",
        deposits
            .into_iter()
            .enumerate()
            .map(|(i, id)| credit(format!("in:tx:dep{i}"), Some(id))),
        |out| matches!(out, CreditOutcome::Credited { .. }),
    )
    .await?;
    let duplicate = time_credits(
        &store,
        "duplicate (already applied)",
        (0..n).map(|i| credit(format!("in:tx:label{i}"), None)),
        |out| *out == CreditOutcome::AlreadyApplied,
    )
    .await?;

    // The books must balance after the run.
    let balance = store
        .get_balances(&label)
        .await
        .map_err(|e| e.to_string())?;
    let mut sum = rust_decimal::Decimal::ZERO;
    let mut cursor = None;
    loop {
        let page = store
            .list_ledger(
                &label,
                PageRequest {
                    limit: 1000,
                    cursor,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        sum += page
            .items
            .iter()
            .map(|e| e.amount)
            .sum::<rust_decimal::Decimal>();
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    let expected = amount.amount() * rust_decimal::Decimal::from(100 + 2 * n);
    if balance[0].available != sum || sum != expected {
        return Err(format!(
            "books do not balance: available {} ledger {sum} expected {expected}",
            balance[0].available
        ));
    }

    println!("DynamoDB Local at {endpoint}, table {name}, sequential, latencies in ms");
    println!(
        "{:<34} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "operation", "n", "min", "median", "p90", "p99", "max", "mean"
    );
    for s in [&floor, &by_label, &with_deposit, &duplicate] {
        println!("{}", s.row());
    }
    println!(
        "books: available {} = ledger sum {sum}",
        balance[0].available
    );
    Ok(())
}

/// Times one `apply_deposit_postback` per credit, in order; every outcome must satisfy
/// `expected` (a credit that did not apply as the case assumes invalidates its figures).
async fn time_credits(
    store: &DynamoStore,
    name: &'static str,
    credits: impl Iterator<Item = DepositCredit>,
    expected: impl Fn(&CreditOutcome) -> bool,
) -> Result<Stats, String> {
    let mut stats = Stats {
        name,
        samples: Vec::new(),
    };
    for (i, c) in credits.enumerate() {
        let t = Instant::now();
        let out = store
            .apply_deposit_postback(c)
            .await
            .map_err(|e| e.to_string())?;
        stats.samples.push(t.elapsed());
        if !expected(&out) {
            return Err(format!("{name}: credit {i} gave {out:?}"));
        }
    }
    Ok(stats)
}
