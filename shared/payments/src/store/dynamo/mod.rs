//! DynamoDB [`Store`]: one table (see [`table`]), every money effect one `TransactWriteItems`
//! guarded by conditions. A cancelled transaction's reasons (one per item, by index) are mapped
//! to domain outcomes: already applied, insufficient funds, state conflict. `TransactionConflict`
//! (another transaction on the same items in flight) is retried here with jittered backoff.
//!
//! SDK retries are safe: every transaction carries a `ClientRequestToken` derived from the
//! operation and this attempt's generated ids, so a retry of the same request after a lost
//! response is answered as the success it was, and a new attempt never collides with an old one.

pub mod table;

mod items;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use rand::Rng;
use time::OffsetDateTime;

use self::items::*;
use self::table::{GSI1, GSI1PK, GSI1SK, SK, TTL};
use super::keys::{self, META, trunc_micros};
use super::*;

/// How many times a transaction cancelled only by concurrent transactions is tried.
const MAX_ATTEMPTS: u32 = 40;

/// Index of the first failing condition, by reason code, from a cancelled transaction.
struct Cancelled {
    codes: Vec<Option<String>>,
}

impl Cancelled {
    fn failed(&self, index: usize) -> bool {
        self.codes.get(index).and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed")
    }

    fn any_failed(&self) -> bool {
        self.codes
            .iter()
            .any(|c| c.as_deref() == Some("ConditionalCheckFailed"))
    }

    /// Cancelled by concurrency only (or throttling): worth another attempt.
    fn transient(&self) -> bool {
        !self.any_failed()
            && self.codes.iter().any(|c| {
                matches!(
                    c.as_deref(),
                    Some(
                        "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
                    )
                )
            })
    }
}

enum TxError {
    Cancelled(Cancelled),
    Store(StoreError),
}

fn backend<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Backend(format!("{what}: {}", DisplayErrorContext(e)))
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("building request: {e}"))
}

/// A `ClientRequestToken` (<= 36 characters) that names one attempt of one operation.
fn request_token(parts: &[&str]) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5f0c_6a31_93b2_4d0e_9a43_6f1c_2b8e_7d55);
    uuid::Uuid::new_v5(&NAMESPACE, parts.join("\u{1f}").as_bytes()).to_string()
}

async fn backoff(attempt: u32) {
    let cap = 5u64.saturating_mul(1 << attempt.min(6));
    let ms = rand::rng().random_range(1..=cap.max(2));
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn av_s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn values<const N: usize>(pairs: [(&str, AttributeValue); N]) -> HashMap<String, AttributeValue> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn names<const N: usize>(pairs: [(&str, &str); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The DynamoDB adapter. Cheap to clone (the SDK client is shared).
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// A client from the standard AWS environment (Lambda's role, region), or, with `endpoint`,
    /// one for DynamoDB Local: region and credentials then default to dummies when unset,
    /// since the local server checks neither.
    pub async fn client(endpoint: Option<&str>) -> Client {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
            if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none()
            {
                loader = loader.region(aws_config::Region::new("us-east-1"));
            }
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "local", "local", None, None, "local",
                ));
            }
        }
        Client::new(&loader.load().await)
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn sdk_client(&self) -> &Client {
        &self.client
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn update(
        &self,
        key: Item,
        expression: &str,
        condition: Option<&str>,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Sends one transaction. While DynamoDB reports a request with this token still in
    /// progress (a timed-out first send being processed), the SAME request is sent again, so
    /// its answer is the first one's and never a second, different transaction.
    async fn transact(&self, items: Vec<TransactWriteItem>, token: String) -> Result<(), TxError> {
        for attempt in 0..MAX_ATTEMPTS {
            // `Ok(false)`: still in progress.
            match self.send_once(items.clone(), token.clone()).await {
                Ok(false) => backoff(attempt).await,
                Ok(true) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Err(TxError::Store(StoreError::Contention(format!(
            "transaction {token} stayed in progress"
        ))))
    }

    async fn send_once(
        &self,
        items: Vec<TransactWriteItem>,
        token: String,
    ) -> Result<bool, TxError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(token)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(se)) => match se.err() {
                TransactWriteItemsError::TransactionCanceledException(c) => {
                    Err(TxError::Cancelled(Cancelled {
                        codes: c
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().map(str::to_string))
                            .collect(),
                    }))
                }
                TransactWriteItemsError::TransactionInProgressException(_) => Ok(false),
                other => Err(TxError::Store(StoreError::Backend(format!(
                    "transact write: {}: {}",
                    other.code().unwrap_or("error"),
                    other.message().unwrap_or("")
                )))),
            },
            Err(e) => Err(TxError::Store(backend("transact write", e))),
        }
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("get item", e))?;
        Ok(out.item)
    }

    /// One page of a key query; `start` is the last sort key of the previous page.
    #[allow(clippy::too_many_arguments)]
    async fn query_page(
        &self,
        index: Option<&str>,
        condition: &str,
        values: HashMap<String, AttributeValue>,
        forward: bool,
        limit: usize,
        start: Option<Item>,
        sort_attr: &str,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let limit = keys::check_limit(limit)? as usize;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(forward)
            .consistent_read(index.is_none())
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| backend("query", e))?;
        let more_on_server = out.last_evaluated_key.is_some();
        let mut items = out.items.unwrap_or_default();
        let more = items.len() > limit || (more_on_server && !items.is_empty());
        items.truncate(limit);
        let next = if more {
            items
                .last()
                .and_then(|i| i.get(sort_attr))
                .and_then(|v| v.as_s().ok())
                .map(|s| keys::encode_cursor(s))
        } else {
            None
        };
        Ok((items, next))
    }

    async fn list_open(
        &self,
        gsi_pk: &str,
        pk_of: impl Fn(&str) -> String,
        older_than: OffsetDateTime,
        page: &PageRequest,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let start = match &page.cursor {
            None => None,
            Some(c) => {
                let sk = keys::decode_cursor(c, "")?;
                let id = keys::id_of_open_sk(&sk)
                    .ok_or_else(|| StoreError::Invalid("bad page cursor".into()))?;
                let mut k = key(pk_of(id), META);
                k.insert(GSI1PK.into(), av_s(gsi_pk));
                k.insert(GSI1SK.into(), av_s(sk));
                Some(k)
            }
        };
        self.query_page(
            Some(GSI1),
            "GSI1PK = :pk AND GSI1SK < :t",
            values([
                (":pk", av_s(gsi_pk)),
                (":t", av_s(keys::sort_time(older_than))),
            ]),
            true,
            page.limit,
            start,
            GSI1SK,
        )
        .await
    }

    /// Reads the deposit and tells a missing one from one in another state.
    async fn deposit_conflict(&self, id: &DepositId, expected: DepositStatus) -> StoreError {
        match self.get_deposit(id).await {
            Ok(None) => StoreError::NotFound {
                what: "deposit",
                id: id.to_string(),
            },
            Ok(Some(d)) => StoreError::StateConflict {
                what: "deposit",
                id: id.to_string(),
                expected: expected.to_string(),
                actual: d.status.to_string(),
            },
            Err(e) => e,
        }
    }

    async fn withdrawal_conflict(
        &self,
        id: &WithdrawalId,
        expected: WithdrawalStatus,
    ) -> StoreError {
        match self.get_withdrawal(id).await {
            Ok(None) => StoreError::NotFound {
                what: "withdrawal",
                id: id.to_string(),
            },
            Ok(Some(w)) => StoreError::StateConflict {
                what: "withdrawal",
                id: id.to_string(),
                expected: expected.to_string(),
                actual: w.status.to_string(),
            },
            Err(e) => e,
        }
    }

    /// Finish (`Processed`) or refund (`Rejected`): status guard + balance (+ refund entry).
    async fn settle(
        &self,
        id: &WithdrawalId,
        to: WithdrawalStatus,
        reason: Option<&str>,
    ) -> Result<SettleOutcome, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let w = self
                .get_withdrawal(id)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "withdrawal",
                    id: id.to_string(),
                })?;
            if w.status == to {
                return Ok(SettleOutcome::AlreadyApplied(w));
            }
            if !w.status.can_transition(to) {
                return Err(StoreError::StateConflict {
                    what: "withdrawal",
                    id: id.to_string(),
                    expected: "open".into(),
                    actual: w.status.to_string(),
                });
            }
            let at = trunc_micros(OffsetDateTime::now_utc());
            let amount = w.money.amount();
            let mut settled = w.clone();
            settled.status = to;
            settled.updated_at = at;
            let mut set = "SET #status = :to, updated_at = :at".to_string();
            let mut vals = values([
                (":to", av_s(to.as_str())),
                (":from", av_s(w.status.as_str())),
                (":at", t(at)),
            ]);
            if let Some(r) = reason {
                settled.message = Some(r.to_string());
                set.push_str(", message = :msg");
                vals.insert(":msg".into(), av_s(r));
            }
            let mut tx = vec![self.update(
                key(keys::withdrawal_pk(id), META),
                &format!("{set} REMOVE GSI1PK, GSI1SK"),
                Some("#status = :from"),
                names([("#status", "status")]),
                vals,
            )?];
            let entry = (to == WithdrawalStatus::Rejected).then(|| LedgerEntry {
                id: new_entry_id(),
                label: w.label.clone(),
                currency: w.money.currency(),
                amount,
                kind: EntryKind::WithdrawalRefund,
                reference: w.id.to_string(),
                created_at: at,
            });
            let balance_key = key(
                keys::user_pk(&w.label),
                &keys::balance_sk(w.money.currency()),
            );
            match &entry {
                Some(e) => {
                    tx.push(self.update(
                        balance_key,
                        "ADD available :amt, held :neg",
                        Some("attribute_exists(PK)"),
                        HashMap::new(),
                        values([(":amt", n(amount)), (":neg", n(-amount))]),
                    )?);
                    tx.push(self.put(ledger_item(e), Some("attribute_not_exists(PK)"))?);
                }
                None => tx.push(self.update(
                    balance_key,
                    "ADD held :neg",
                    Some("attribute_exists(PK)"),
                    HashMap::new(),
                    values([(":neg", n(-amount))]),
                )?),
            }
            let nonce = new_entry_id();
            match self
                .transact(
                    tx,
                    request_token(&["settle", id.as_str(), to.as_str(), &nonce]),
                )
                .await
            {
                Ok(()) => {
                    return Ok(SettleOutcome::Applied {
                        withdrawal: settled,
                        entry,
                    });
                }
                // The status moved under us: re-read and decide again.
                Err(TxError::Cancelled(c)) if c.failed(0) => continue,
                Err(TxError::Cancelled(c)) if c.failed(1) => {
                    return Err(StoreError::Corrupt {
                        key: format!("balance of withdrawal {id}"),
                        problem: "balance item missing".into(),
                    });
                }
                Err(TxError::Cancelled(c)) if c.transient() => backoff(attempt).await,
                Err(TxError::Cancelled(c)) => {
                    return Err(StoreError::Backend(format!(
                        "settle {id} cancelled: {:?}",
                        c.codes
                    )));
                }
                Err(TxError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Contention(format!("withdrawal {id}")))
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn create_deposit(&self, d: NewDeposit) -> Result<Deposit, StoreError> {
        validate_new_deposit(&d)?;
        let created_at = trunc_micros(d.created_at);
        let dep = Deposit {
            id: d.id,
            label: d.label,
            currency: d.currency,
            amount: d.amount,
            wallet_type: d.wallet_type,
            details: d.details,
            status: DepositStatus::Pending,
            credited: None,
            postback_key: None,
            activation_key: None,
            message: None,
            created_at,
            updated_at: created_at,
        };
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(deposit_item(&dep)))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(dep),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                Err(StoreError::AlreadyExists {
                    what: "deposit",
                    id: dep.id.to_string(),
                })
            }
            Err(e) => Err(backend("create deposit", e)),
        }
    }

    async fn get_deposit(&self, id: &DepositId) -> Result<Option<Deposit>, StoreError> {
        self.get(keys::deposit_pk(id), META)
            .await?
            .as_ref()
            .map(deposit_from)
            .transpose()
    }

    async fn update_deposit_status(
        &self,
        id: &DepositId,
        from: DepositStatus,
        to: DepositStatus,
        update: DepositUpdate,
    ) -> Result<Deposit, StoreError> {
        check_deposit_move(from, to)?;
        let mut set = "SET #status = :to, updated_at = :at".to_string();
        let mut vals = values([
            (":to", av_s(to.as_str())),
            (":from", av_s(from.as_str())),
            (":at", t(trunc_micros(OffsetDateTime::now_utc()))),
        ]);
        if let Some(k) = update.activation_key {
            set.push_str(", activation_key = :key");
            vals.insert(":key".into(), av_s(k));
        }
        if let Some(m) = update.message {
            set.push_str(", message = :msg");
            vals.insert(":msg".into(), av_s(m));
        }
        if to.is_terminal() {
            set.push_str(" REMOVE GSI1PK, GSI1SK");
        }
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::deposit_pk(id), META)))
            .update_expression(set)
            .condition_expression("attribute_exists(PK) AND #status = :from")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(vals))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => deposit_from(&out.attributes.unwrap_or_default()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                Err(self.deposit_conflict(id, from).await)
            }
            Err(e) => Err(backend("update deposit", e)),
        }
    }

    async fn apply_deposit_postback(
        &self,
        credit: DepositCredit,
    ) -> Result<CreditOutcome, StoreError> {
        validate_postback(&credit.dedupe_key, &credit.raw_body)?;
        for attempt in 0..MAX_ATTEMPTS {
            let deposit = match &credit.deposit_id {
                Some(id) => self.get_deposit(id).await?,
                None => None,
            };
            let plan = credit_effect(deposit.as_ref(), &credit);
            let at = trunc_micros(OffsetDateTime::now_utc());
            let entry = LedgerEntry {
                id: new_entry_id(),
                label: credit.label.clone(),
                currency: credit.money.currency(),
                amount: credit.money.amount(),
                kind: EntryKind::DepositCredit,
                reference: credit
                    .deposit_id
                    .as_ref()
                    .map_or_else(|| credit.dedupe_key.clone(), |d| d.to_string()),
                created_at: at,
            };
            let record = PostbackRecord {
                dedupe_key: credit.dedupe_key.clone(),
                kind: PostbackKind::Deposit,
                label: Some(credit.label.clone()),
                raw_body: credit.raw_body.clone(),
                received_at: trunc_micros(credit.received_at),
            };
            let currency = credit.money.currency();
            let mut tx = vec![
                // 0: the postback is new (exactly-once guard)
                self.put(postback_item(&record), Some("attribute_not_exists(PK)"))?,
                // 1: the balance (created on first credit)
                self.update(
                    key(keys::user_pk(&credit.label), &keys::balance_sk(currency)),
                    "SET label = :label, currency = :cur ADD available :amt, held :zero",
                    None,
                    HashMap::new(),
                    values([
                        (":label", av_s(credit.label.as_str())),
                        (":cur", av_s(currency.code())),
                        (":amt", n(credit.money.amount())),
                        (":zero", n(rust_decimal::Decimal::ZERO)),
                    ]),
                )?,
                // 2: the ledger entry
                self.put(ledger_item(&entry), Some("attribute_not_exists(PK)"))?,
            ];
            if let Plan::Move { id, from, to } = &plan {
                // 3: the deposit, if it is still where we read it
                tx.push(self.update(
                    key(keys::deposit_pk(id), META),
                    "SET #status = :to, updated_at = :at, credited_amount = :amt, credited_currency = :cur, \
                     postback_key = :pk REMOVE GSI1PK, GSI1SK",
                    Some("#status = :from"),
                    names([("#status", "status")]),
                    values([
                        (":to", av_s(to.as_str())),
                        (":from", av_s(from.as_str())),
                        (":at", t(at)),
                        (":amt", n(credit.money.amount())),
                        (":cur", av_s(currency.code())),
                        (":pk", av_s(credit.dedupe_key.clone())),
                    ]),
                )?);
            }
            let token = request_token(&["credit", &credit.dedupe_key, &entry.id]);
            match self.transact(tx, token).await {
                Ok(()) => {
                    return Ok(CreditOutcome::Credited {
                        entry,
                        deposit: plan.effect(),
                    });
                }
                Err(TxError::Cancelled(c)) if c.failed(0) => {
                    return Ok(CreditOutcome::AlreadyApplied);
                }
                // The deposit moved since we read it: decide again from its new state.
                Err(TxError::Cancelled(c)) if c.failed(3) => continue,
                Err(TxError::Cancelled(c)) if c.transient() => backoff(attempt).await,
                Err(TxError::Cancelled(c)) => {
                    return Err(StoreError::Backend(format!(
                        "credit cancelled: {:?}",
                        c.codes
                    )));
                }
                Err(TxError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Contention(format!(
            "postback {}",
            credit.dedupe_key
        )))
    }

    async fn list_open_deposits(
        &self,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Deposit>, StoreError> {
        let pk_of = |id: &str| format!("DEPOSIT#{id}");
        let (items, next) = self
            .list_open(keys::OPEN_DEPOSITS, pk_of, older_than, &page)
            .await?;
        Ok(Page {
            items: items.iter().map(deposit_from).collect::<Result<_, _>>()?,
            next,
        })
    }

    async fn create_withdrawal_with_debit(
        &self,
        w: NewWithdrawal,
    ) -> Result<Withdrawal, StoreError> {
        let created_at = trunc_micros(w.created_at);
        let wd = Withdrawal {
            id: w.id,
            label: w.label,
            money: w.money,
            payment_system: w.payment_system,
            details: w.details,
            status: WithdrawalStatus::Pending,
            message: None,
            created_at,
            updated_at: created_at,
        };
        let amount = wd.money.amount();
        for attempt in 0..MAX_ATTEMPTS {
            let entry = LedgerEntry {
                id: new_entry_id(),
                label: wd.label.clone(),
                currency: wd.money.currency(),
                amount: -amount,
                kind: EntryKind::WithdrawalDebit,
                reference: wd.id.to_string(),
                created_at: trunc_micros(OffsetDateTime::now_utc()),
            };
            let tx = vec![
                // 0: the debit, only if covered
                self.update(
                    key(
                        keys::user_pk(&wd.label),
                        &keys::balance_sk(wd.money.currency()),
                    ),
                    "ADD available :neg, held :amt",
                    Some("available >= :amt"),
                    HashMap::new(),
                    values([(":amt", n(amount)), (":neg", n(-amount))]),
                )?,
                // 1: the withdrawal, only once
                self.put(withdrawal_item(&wd), Some("attribute_not_exists(PK)"))?,
                // 2: the ledger entry
                self.put(ledger_item(&entry), Some("attribute_not_exists(PK)"))?,
            ];
            let token = request_token(&["withdraw", wd.id.as_str(), &entry.id]);
            match self.transact(tx, token).await {
                Ok(()) => return Ok(wd),
                Err(TxError::Cancelled(c)) if c.failed(1) => {
                    return Err(StoreError::AlreadyExists {
                        what: "withdrawal",
                        id: wd.id.to_string(),
                    });
                }
                Err(TxError::Cancelled(c)) if c.failed(0) => {
                    return Err(StoreError::InsufficientFunds);
                }
                Err(TxError::Cancelled(c)) if c.transient() => backoff(attempt).await,
                Err(TxError::Cancelled(c)) => {
                    return Err(StoreError::Backend(format!(
                        "withdrawal cancelled: {:?}",
                        c.codes
                    )));
                }
                Err(TxError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Contention(format!("withdrawal {}", wd.id)))
    }

    async fn get_withdrawal(&self, id: &WithdrawalId) -> Result<Option<Withdrawal>, StoreError> {
        self.get(keys::withdrawal_pk(id), META)
            .await?
            .as_ref()
            .map(withdrawal_from)
            .transpose()
    }

    async fn mark_withdrawal(
        &self,
        id: &WithdrawalId,
        from: WithdrawalStatus,
        to: WithdrawalStatus,
        gateway_message: Option<String>,
    ) -> Result<Withdrawal, StoreError> {
        check_withdrawal_mark(from, to)?;
        let mut set = "SET #status = :to, updated_at = :at".to_string();
        let mut vals = values([
            (":to", av_s(to.as_str())),
            (":from", av_s(from.as_str())),
            (":at", t(trunc_micros(OffsetDateTime::now_utc()))),
        ]);
        if let Some(m) = gateway_message {
            set.push_str(", message = :msg");
            vals.insert(":msg".into(), av_s(m));
        }
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::withdrawal_pk(id), META)))
            .update_expression(set)
            .condition_expression("attribute_exists(PK) AND #status = :from")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(vals))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => withdrawal_from(&out.attributes.unwrap_or_default()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                Err(self.withdrawal_conflict(id, from).await)
            }
            Err(e) => Err(backend("update withdrawal", e)),
        }
    }

    async fn finish_withdrawal(&self, id: &WithdrawalId) -> Result<SettleOutcome, StoreError> {
        self.settle(id, WithdrawalStatus::Processed, None).await
    }

    async fn refund_withdrawal(
        &self,
        id: &WithdrawalId,
        reason: &str,
    ) -> Result<SettleOutcome, StoreError> {
        self.settle(id, WithdrawalStatus::Rejected, Some(reason))
            .await
    }

    async fn list_open_withdrawals(
        &self,
        older_than: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Withdrawal>, StoreError> {
        let pk_of = |id: &str| format!("WITHDRAWAL#{id}");
        let (items, next) = self
            .list_open(keys::OPEN_WITHDRAWALS, pk_of, older_than, &page)
            .await?;
        Ok(Page {
            items: items
                .iter()
                .map(withdrawal_from)
                .collect::<Result<_, _>>()?,
            next,
        })
    }

    async fn record_postback(&self, record: PostbackRecord) -> Result<bool, StoreError> {
        validate_postback(&record.dedupe_key, &record.raw_body)?;
        let record = PostbackRecord {
            received_at: trunc_micros(record.received_at),
            ..record
        };
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(postback_item(&record)))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(backend("record postback", e)),
        }
    }

    async fn get_postback(&self, dedupe_key: &str) -> Result<Option<PostbackRecord>, StoreError> {
        self.get(keys::postback_pk(dedupe_key), META)
            .await?
            .as_ref()
            .map(postback_from)
            .transpose()
    }

    async fn put_idempotency(
        &self,
        record: IdempotencyRecord,
    ) -> Result<IdempotencyPut, StoreError> {
        check_key("idempotency scope", &record.scope)?;
        check_key("idempotency key", &record.key)?;
        let record = IdempotencyRecord {
            created_at: trunc_micros(record.created_at),
            expires_at: memory::whole_seconds(record.expires_at),
            ..record
        };
        // Twice at most: the first write can lose to a record that expires before we read it.
        for _ in 0..2 {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let res = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(idempotency_item(&record)))
                // An expired record (TTL deletion is lazy) no longer counts.
                .condition_expression("attribute_not_exists(PK) OR #ttl <= :now")
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .send()
                .await;
            match res {
                Ok(_) => return Ok(IdempotencyPut::Stored),
                Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                    if let Some(existing) = self.get_idempotency(&record.scope, &record.key).await?
                    {
                        return Ok(IdempotencyPut::Existing(existing));
                    }
                }
                Err(e) => return Err(backend("put idempotency", e)),
            }
        }
        Err(StoreError::Contention(format!(
            "idempotency {}/{}",
            record.scope, record.key
        )))
    }

    async fn get_idempotency(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let rec = self
            .get(keys::idempotency_pk(scope, key), META)
            .await?
            .as_ref()
            .map(idempotency_from)
            .transpose()?;
        Ok(rec.filter(|r| r.expires_at > OffsetDateTime::now_utc()))
    }

    async fn get_method_enabled(&self, wallet_type: &str) -> Result<Option<bool>, StoreError> {
        Ok(self
            .get(keys::CONFIG.to_string(), &keys::method_sk(wallet_type))
            .await?
            .as_ref()
            .map(method_from)
            .transpose()?
            .map(|m| m.enabled))
    }

    async fn set_method_enabled(&self, wallet_type: &str, enabled: bool) -> Result<(), StoreError> {
        memory::check_wallet_type(wallet_type)?;
        let mut item = key(keys::CONFIG.to_string(), &keys::method_sk(wallet_type));
        item.insert("type".into(), av_s("method"));
        item.insert("wallet_type".into(), av_s(wallet_type));
        item.insert("enabled".into(), AttributeValue::Bool(enabled));
        item.insert(
            "updated_at".into(),
            t(trunc_micros(OffsetDateTime::now_utc())),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| backend("set method switch", e))?;
        Ok(())
    }

    async fn list_method_switches(&self) -> Result<Vec<MethodSwitch>, StoreError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", av_s(keys::CONFIG))
            .expression_attribute_values(":prefix", av_s(keys::METHOD_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            out.push(method_from(
                &item.map_err(|e| backend("list method switches", e))?,
            )?);
        }
        Ok(out)
    }

    async fn get_cache(&self, key: &str) -> Result<Option<String>, StoreError> {
        let Some(item) = self.get(keys::cache_pk(key), META).await? else {
            return Ok(None);
        };
        let r = Reader::new(&item);
        let expires_at = r.time("expires_at")?;
        if expires_at <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        Ok(Some(r.s("value")?.to_string()))
    }

    async fn put_cache(
        &self,
        key_name: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        check_key("cache key", key_name)?;
        let mut item = key(keys::cache_pk(key_name), META);
        item.insert("type".into(), av_s("cache"));
        item.insert("value".into(), av_s(value));
        item.insert("expires_at".into(), t(expires_at));
        item.insert(
            TTL.into(),
            AttributeValue::N(expires_at.unix_timestamp().to_string()),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| backend("put cache", e))?;
        Ok(())
    }

    async fn get_balances(&self, label: &Label) -> Result<Vec<Balance>, StoreError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", av_s(keys::user_pk(label)))
            .expression_attribute_values(":prefix", av_s(keys::BALANCE_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            out.push(balance_from(
                &item.map_err(|e| backend("get balances", e))?,
            )?);
        }
        Ok(out)
    }

    async fn list_ledger(
        &self,
        label: &Label,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError> {
        let pk = keys::user_pk(label);
        let start = page
            .cursor
            .as_deref()
            .map(|c| keys::decode_cursor(c, keys::LEDGER_PREFIX))
            .transpose()?
            .map(|sk| key(pk.clone(), &sk));
        let (items, next) = self
            .query_page(
                None,
                "PK = :pk AND begins_with(SK, :prefix)",
                values([
                    (":pk", av_s(pk.clone())),
                    (":prefix", av_s(keys::LEDGER_PREFIX)),
                ]),
                false,
                page.limit,
                start,
                SK,
            )
            .await?;
        Ok(Page {
            items: items.iter().map(ledger_from).collect::<Result<_, _>>()?,
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_fit_and_differ_per_attempt() {
        let a = request_token(&["credit", "in:tx:1", "e1"]);
        assert_eq!(a.len(), 36);
        assert_eq!(a, request_token(&["credit", "in:tx:1", "e1"]));
        assert_ne!(a, request_token(&["credit", "in:tx:1", "e2"]));
        assert_ne!(request_token(&["a", "bc"]), request_token(&["ab", "c"]));
    }

    #[test]
    fn cancellation_reasons_are_read_by_index() {
        let c = Cancelled {
            codes: vec![
                Some("None".into()),
                Some("ConditionalCheckFailed".into()),
                None,
            ],
        };
        assert!(!c.failed(0) && c.failed(1) && !c.failed(2) && !c.failed(9));
        assert!(!c.transient());
        let c = Cancelled {
            codes: vec![Some("TransactionConflict".into()), Some("None".into())],
        };
        assert!(c.transient());
    }
}
