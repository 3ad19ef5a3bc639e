//! Reliability: withdrawals while the gateway fails. Many concurrent withdrawals (some sent
//! twice at once with the same `Idempotency-Key`, all retried by the client on 5xx) meet
//! gateway 500s, timeouts, dropped connections and answers lost after the work was done;
//! reconciliation then resolves every unknown one and the gateway's back office settles them.
//! Afterwards no withdrawal was paid twice (the gateway's balance moved by exactly the paid
//! amounts), every debit is paid or refunded exactly once, and the books balance to the cent.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use testkit::reliability::{
    Payment, all_books, armed_faults, concurrently, fault, pay_all, storm_config, wait_delivered,
};
use testkit::{Harness, json};

const LABELS: usize = 8;
const PER_LABEL: usize = 10;
const FUNDS: i64 = 20_000;
const TARGET: &str = "/v2/withdrawal/create";

fn imps(amount: i64) -> Value {
    json!({
        "payment_system": "imps", "amount": amount.to_string(), "currency": "INR",
        "account_number": "123456789012", "account_name": "Ravi Kumar",
        "receiver_name": "Ravi Kumar", "bank_code": "SBIN0001234"
    })
}

/// A client that retries 5xx answers with the same key, as the API asks it to.
async fn withdraw(user: testkit::User, key: String, amount: i64) -> (StatusCode, Value, usize) {
    let mut tries = 0;
    loop {
        tries += 1;
        let (code, body) = user.post("/v1/withdrawals", Some(&key), imps(amount)).await;
        if !code.is_server_error() || tries >= 10 {
            return (code, body, tries);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn gateway_inr(h: &Harness) -> Decimal {
    h.stack
        .sandbox()
        .balances()
        .into_iter()
        .filter(|(_, c, _)| c == "INR")
        .map(|(_, _, a)| a)
        .sum()
}

async fn reconcile(h: &Harness) -> service::reconcile::ReconcileSummary {
    let s = service::reconcile::run(&h.stack.deps)
        .await
        .expect("reconcile");
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gateway_failures_never_pay_a_withdrawal_twice_and_every_debit_settles() {
    let started = Instant::now();
    let endpoint = testkit::services::dynamodb_endpoint();
    let table = testkit::stores::table_name("rel");
    // Re-sending allowed: the sandbox refuses a repeated `withdrawal_id`, as support would
    // have to confirm before a merchant turns this on.
    let mut config = storm_config(&endpoint, &table);
    config.settings.reconcile.withdrawal_resend = service::settings::ResendPolicy::AfterNotFound;
    let h = Harness::start_with(config, table).await;
    let labels: Vec<String> = (0..LABELS).map(|i| format!("wd{i}")).collect();
    let funding: Vec<Payment> = labels
        .iter()
        .map(|l| Payment {
            label: l.clone(),
            amount: Decimal::from(FUNDS),
            order: None,
        })
        .collect();
    pay_all(&h, funding, 8).await;
    wait_delivered(&h, LABELS, LABELS, 0, Duration::from_secs(30)).await;
    let gateway_before = gateway_inr(&h);

    // Faults for a third of the first sends; they are used up in arrival order.
    fault(&h, TARGET, "http500", 8).await;
    fault(&h, TARGET, "timeout", 6).await;
    fault(&h, TARGET, "drop_after", 6).await;
    fault(&h, TARGET, "drop", 6).await;

    // (label, key, amount): distinct whole amounts; every fourth one sent twice at once.
    let mut orders = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        for k in 0..PER_LABEL {
            let amount = 100 + (i * PER_LABEL + k) as i64 * 11;
            orders.push((l.clone(), format!("w-{k}"), amount));
            if k % 4 == 0 {
                orders.push((l.clone(), format!("w-{k}"), amount));
            }
        }
    }
    let sent = orders.len();
    let answers = tokio::time::timeout(
        Duration::from_secs(90),
        concurrently(orders.clone(), 64, |(label, key, amount)| {
            let user = h.user(&label);
            async move { withdraw(user, key, amount).await }
        }),
    )
    .await
    .expect("withdrawals answered in time");
    assert_eq!(armed_faults(&h).await, json!([]), "every fault was met");

    // One withdrawal per (label, key), whatever the retries and doubles.
    let mut ids: BTreeMap<(String, String), (String, i64)> = BTreeMap::new();
    let mut first_statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut retries = 0;
    for ((label, key, amount), (code, body, tries)) in orders.iter().zip(&answers) {
        assert_eq!(*code, StatusCode::CREATED, "{label} {key}: {body}");
        retries += tries - 1;
        let id = body["id"].as_str().expect("id").to_string();
        *first_statuses
            .entry(body["status"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        let known = ids
            .entry((label.clone(), key.clone()))
            .or_insert((id.clone(), *amount));
        assert_eq!(known.0, id, "one key, one withdrawal");
    }
    assert_eq!(ids.len(), LABELS * PER_LABEL);

    // Reconciliation finds every unknown one, or re-sends it (same id) once the gateway said
    // twice that it does not know it; the rest wait for their postback.
    let mut runs = Vec::new();
    for _ in 0..3 {
        let s = reconcile(&h).await;
        runs.push(s.counts.clone());
    }

    // The back office settles what reached it: even keys paid, odd keys rejected.
    let mut expected_paid: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
    let mut paid_total = Decimal::ZERO;
    for ((label, key), (id, amount)) in &ids {
        let at_gateway = h
            .stack
            .sandbox()
            .withdrawal(id)
            .unwrap_or_else(|| panic!("{id} ({label} {key}) never reached the gateway"));
        assert_eq!(at_gateway.amount, Decimal::from(*amount), "{id}");
        assert_eq!(&at_gateway.label, label);
        let k: usize = key.trim_start_matches("w-").parse().expect("key");
        let action = if k.is_multiple_of(2) {
            "process"
        } else {
            "reject"
        };
        h.sandbox(&format!("/_sandbox/withdrawals/{id}/{action}"), json!({}))
            .await;
        if k.is_multiple_of(2) {
            *expected_paid.entry(label.clone()).or_default() += Decimal::from(*amount);
            paid_total += Decimal::from(*amount);
        } else {
            *rejected.entry(label.clone()).or_default() += 1;
        }
    }

    // Every result postback arrives (they are retried until acknowledged).
    let total = ids.len();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let statuses = concurrently(
            ids.iter()
                .map(|((l, _), (id, _))| (l.clone(), id.clone()))
                .collect(),
            16,
            |(label, id)| {
                let user = h.user(&label);
                async move {
                    let (code, body) = user.get(&format!("/v1/withdrawals/{id}")).await;
                    assert_eq!(code, StatusCode::OK, "{body}");
                    body["status"].as_str().unwrap_or_default().to_string()
                }
            },
        )
        .await;
        let done = statuses
            .iter()
            .filter(|s| *s == "processed" || *s == "rejected")
            .count();
        if done == total {
            break;
        }
        assert!(Instant::now() < deadline, "not settled: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let last = reconcile(&h).await;
    assert_eq!(last.findings(), 0, "{:?}", last.counts);

    // The gateway paid each processed withdrawal once and nothing else.
    assert_eq!(gateway_inr(&h), gateway_before - paid_total);
    // Each user: one debit per withdrawal, one refund per rejected one, books to the cent.
    let books = all_books(&h, labels.clone()).await;
    for label in &labels {
        let b = &books[label];
        let paid = expected_paid.get(label).copied().unwrap_or_default();
        assert!(b.repeated_references.is_empty(), "{label}: {b:?}");
        assert_eq!(b.ledger_sum, b.available, "{label}: {b:?}");
        assert_eq!(b.available, Decimal::from(FUNDS) - paid, "{label}: {b:?}");
        assert_eq!(b.held, Decimal::ZERO, "{label}: {b:?}");
        assert_eq!(
            b.entries.get("withdrawal_debit"),
            Some(&PER_LABEL),
            "{label}: {b:?}"
        );
        assert_eq!(
            b.entries.get("withdrawal_refund"),
            rejected.get(label),
            "{label}: {b:?}"
        );
        assert_eq!(b.entries.get("deposit_credit"), Some(&1), "{label}: {b:?}");
        h.ledger_matches_balances(label).await;
    }
    eprintln!(
        "withdrawals: {sent} requests for {total} withdrawals, {retries} client retries, first answers {first_statuses:?}, \
         reconcile runs {runs:?}, paid {paid_total} INR; {:?}",
        started.elapsed()
    );
}
