//! Postback load and its floor.
//!
//! Each payment is a pending `upi_l` deposit of its own user (so no two credits contend for
//! one balance item) and a postback for it signed like the sandbox signs them: the same
//! field order, one `additional_data` entry naming the deposit, a distinct `transaction_id`.
//! The load POSTs the bodies to the stack's webhook; the floor hands the very credit the
//! webhook would build to `Store::apply_deposit_postback` on the same table, which issues the
//! same reads and the same `TransactWriteItems` with no HTTP and no signature check.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use paykassma::php::PhpValue;
use paykassma::postback::Postback;
use paykassma::signature::{PostbackKeys, Scheme, SignError, sign_postback_body, verify_postback};
use payments::store::{CreditOutcome, DepositCredit, NewDeposit};
use payments::{Currency, DepositId, DepositStatus, Label, Money, Store};
use rust_decimal::Decimal;
use service::postback_key;
use time::OffsetDateTime;

use crate::load;
use crate::stats::Run;

/// The amount every benchmark deposit orders and pays.
pub const AMOUNT: &str = "500.00";
const WALLET: &str = "upi_l";

/// One prepared payment: the pending deposit and the signed postback that credits it.
#[derive(Clone)]
pub struct Payment {
    pub deposit: DepositId,
    pub body: String,
    /// The credit the webhook builds from `body` (for the floor).
    pub credit: DepositCredit,
}

fn s(v: &str) -> PhpValue<'static> {
    PhpValue::string(v)
}

fn obj(fields: Vec<(&str, PhpValue<'static>)>) -> PhpValue<'static> {
    PhpValue::Map(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string().into(), v))
            .collect(),
    )
}

/// A deposit postback as the sandbox builds one (its `postbacks::build` layout), signed.
pub fn signed_body(
    keys: &PostbackKeys,
    scheme: Scheme,
    label: &str,
    deposit: &str,
    transaction_id: &str,
    stockpiling_id: i64,
    amount: Decimal,
) -> Result<String, SignError> {
    let now = OffsetDateTime::now_utc();
    let when = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let entry = obj(vec![
        ("activated_datetime", s(&when)),
        ("exchanger_identifier", s("bench@upi")),
        ("comment", s("")),
        ("amount", s(&amount.normalize().to_string())),
        ("currency_code", s("INR")),
        ("wallet_type", s(WALLET)),
        ("stockpiling_id", PhpValue::int(stockpiling_id)),
        ("transaction_id", s(transaction_id)),
        ("transaction_type", PhpValue::int(0)),
        ("plugin_custom_order_id", s(deposit)),
        ("withdrawal_id", PhpValue::Null),
        ("withdrawal_status", PhpValue::Null),
        ("account_number", s("")),
        ("account_name", s("")),
        ("account_email", s("")),
        (
            "bank_details",
            obj(vec![("bank_code", s("")), ("branch_code", s(""))]),
        ),
    ]);
    let body = obj(vec![
        ("wallet_type", s(WALLET)),
        ("amount", PhpValue::decimal(amount)),
        ("currency_code", s("INR")),
        ("label", s(label)),
        (
            "converted_amount",
            obj(vec![("INR", PhpValue::decimal(amount))]),
        ),
        ("direction", s("ingoing")),
        ("created_datetime", s(&when)),
        ("access_key", s(keys.access_key.expose())),
        ("additional_data", PhpValue::List(vec![entry])),
    ]);
    sign_postback_body(keys, scheme, &body)
}

/// The credit `service::postbacks` builds from a verified body (same dedupe key, label, amount,
/// deposit and raw text).
fn credit_of(
    keys: &PostbackKeys,
    scheme: Scheme,
    body: &str,
    label: &Label,
    deposit: &DepositId,
    money: Money,
) -> anyhow::Result<DepositCredit> {
    let php = verify_postback(body.as_bytes(), keys, scheme).context("own postback")?;
    let postback = Postback::from_php(&php).map_err(|e| anyhow::anyhow!("own postback: {e}"))?;
    Ok(DepositCredit {
        dedupe_key: postback
            .additional_data
            .first()
            .and_then(|e| {
                postback_key::deposit_key(
                    e.transaction_id.as_deref(),
                    e.plugin_custom_order_id.as_deref(),
                )
            })
            .context("own postback names no payment")?,
        label: label.clone(),
        money,
        deposit_id: Some(deposit.clone()),
        wallet_type: Some(WALLET.into()),
        raw_body: body.to_string(),
        received_at: OffsetDateTime::now_utc(),
        read: payments::store::DepositRead::Unread,
    })
}

/// Creates `n` pending deposits (users `bench-<tag>-<i>`) and their signed postbacks.
/// `first_tx` makes transaction ids distinct across batches.
pub async fn prepare(
    store: Arc<dyn Store>,
    keys: &PostbackKeys,
    scheme: Scheme,
    tag: &str,
    n: usize,
    first_tx: u64,
) -> anyhow::Result<Vec<Payment>> {
    let inr = Currency::parse("INR")?;
    let money = Money::parse(AMOUNT, "INR")?;
    let mut payments = Vec::with_capacity(n);
    for i in 0..n {
        let label = Label::parse(&format!("bench-{tag}-{i}"))?;
        let deposit = DepositId::generate();
        let tx = format!("{:012}", first_tx + i as u64);
        let body = signed_body(
            keys,
            scheme,
            label.as_str(),
            deposit.as_str(),
            &tx,
            (first_tx + i as u64) as i64,
            money.amount(),
        )?;
        let credit = credit_of(keys, scheme, &body, &label, &deposit, money)?;
        payments.push(Payment {
            deposit,
            body,
            credit,
        });
    }
    let deposits: Arc<Vec<NewDeposit>> = Arc::new(
        payments
            .iter()
            .map(|p| NewDeposit {
                id: p.deposit.clone(),
                label: p.credit.label.clone(),
                currency: inr,
                amount: Some(money),
                wallet_type: WALLET.into(),
                details: BTreeMap::new(),
                created_at: OffsetDateTime::now_utc(),
            })
            .collect(),
    );
    let run = load::run(n, 32, move |i| {
        let store = store.clone();
        let deposits = deposits.clone();
        async move { store.create_deposit(deposits[i].clone()).await.is_ok() }
    })
    .await;
    anyhow::ensure!(
        run.errors == 0,
        "{} of {n} deposits could not be created",
        run.errors
    );
    Ok(payments)
}

/// POSTs every body to `url` with `concurrency` in flight; success is `200 {"status":"ok"}`.
pub async fn http_load(
    client: reqwest::Client,
    url: String,
    payments: Arc<Vec<Payment>>,
    concurrency: usize,
) -> Run {
    let url = Arc::new(url);
    load::run(payments.len(), concurrency, move |i| {
        let client = client.clone();
        let url = url.clone();
        let payments = payments.clone();
        async move {
            let sent = client
                .post(url.as_str())
                .header("content-type", "application/json")
                .body(payments[i].body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status() == reqwest::StatusCode::OK => {
                    r.text().await.is_ok_and(|t| t.contains(r#""status":"ok""#))
                }
                _ => false,
            }
        }
    })
    .await
}

/// The floor: the same credits straight to the store.
pub async fn floor_load(
    store: Arc<dyn Store>,
    payments: Arc<Vec<Payment>>,
    concurrency: usize,
) -> Run {
    load::run(payments.len(), concurrency, move |i| {
        let store = store.clone();
        let payments = payments.clone();
        async move {
            let mut credit = payments[i].credit.clone();
            credit.received_at = OffsetDateTime::now_utc();
            matches!(
                store.apply_deposit_postback(credit).await,
                Ok(CreditOutcome::Credited { .. })
            )
        }
    })
    .await
}

/// How many of the payments' deposits are `credited` now (read back after a run, so the
/// table reports real credits, not just 200s).
pub async fn count_credited(store: Arc<dyn Store>, payments: Arc<Vec<Payment>>) -> usize {
    let run = load::run(payments.len(), 32, move |i| {
        let store = store.clone();
        let payments = payments.clone();
        async move {
            matches!(
                store.get_deposit(&payments[i].deposit).await,
                Ok(Some(d)) if d.status == DepositStatus::Credited
            )
        }
    })
    .await;
    run.count()
}

/// DynamoDB requests per webhook postback, by operation: `n` fresh payments applied in
/// process through the webhook's own path (`service::postbacks::receive`) on a store whose
/// client counts every request it sends; the deposits' creation is not counted.
pub async fn requests_per_postback(
    endpoint: &str,
    table: &str,
    keys: &PostbackKeys,
    scheme: Scheme,
    n: usize,
) -> anyhow::Result<Vec<(String, f64)>> {
    use aws_adapters::dynamo::DynamoStore;
    use aws_adapters::dynamo::requests::RequestCounter;
    let counter = RequestCounter::default();
    let client = DynamoStore::client_counted(Some(endpoint), Some(counter.clone())).await;
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(client, table.to_string()));
    let payments = prepare(store.clone(), keys, scheme, "req", n, 900_000_000_000).await?;
    // Every payment names its order, so the gateway is never asked: an address nothing
    // listens on proves it.
    let gateway = paykassma::client::Client::new(paykassma::client::ClientConfig::new(
        url::Url::parse("http://127.0.0.1:9/")?,
        url::Url::parse("http://127.0.0.1:9/")?,
        paykassma::Secret::new("unused"),
        paykassma::Secret::new("unused"),
    ))?;
    let settings = service::Settings {
        postback_scheme: scheme,
        ..service::Settings::default()
    };
    let deps = service::Deps::builder(gateway, keys.clone())
        .settings(settings)
        .store(store)
        .build();
    let before = counter.snapshot();
    for p in &payments {
        service::postbacks::receive(&deps, p.body.as_bytes(), None)
            .await
            .map_err(|e| anyhow::anyhow!("postback {}: {e}", p.deposit))?;
    }
    Ok(counter
        .snapshot()
        .into_iter()
        .map(|(op, total)| {
            let used = total - before.get(&op).copied().unwrap_or(0);
            (op, used as f64 / n as f64)
        })
        .filter(|(_, per)| *per > 0.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_verify_and_name_their_deposit_and_transaction() {
        let keys = paykassma_sandbox::SandboxConfig::default().postback_keys;
        let dep = DepositId::generate();
        let body = signed_body(
            &keys,
            Scheme::Postback,
            "bench-x-1",
            dep.as_str(),
            "000000000042",
            42,
            Decimal::new(50000, 2),
        )
        .unwrap();
        assert!(body.starts_with(r#"{"signature":""#), "{body}");
        let label = Label::parse("bench-x-1").unwrap();
        let money = Money::parse(AMOUNT, "INR").unwrap();
        let credit = credit_of(&keys, Scheme::Postback, &body, &label, &dep, money).unwrap();
        assert_eq!(credit.dedupe_key, "in:tx:000000000042");
        assert_eq!(credit.money, money);
        let other = PostbackKeys {
            access_key: keys.access_key.clone(),
            private_key: "not-the-key".into(),
        };
        assert!(verify_postback(body.as_bytes(), &other, Scheme::Postback).is_err());
    }
}
