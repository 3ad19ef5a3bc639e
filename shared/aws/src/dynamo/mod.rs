//! DynamoDB [`Store`](payments::Store): one table (see [`table`]), every money effect one
//! `TransactWriteItems` guarded by conditions. A cancelled transaction's reasons (one per
//! item, by index) are mapped to domain outcomes: already applied, insufficient funds, state
//! conflict; `TransactionConflict` (another transaction on the same items in flight) is
//! retried with jittered backoff.
//!
//! Layout: `tx` is the plumbing (transactions, tokens, reads, guarded updates), `items` maps
//! records to items, and each aggregate's verbs live in their own module (`deposits`,
//! `withdrawals`, `postbacks`, `unbooked`, `attention`, `accounts`, `idempotency`, `config`);
//! `history` pages a user's deposits or withdrawals for both.

pub mod requests;
pub mod table;

mod accounts;
mod attention;
mod config;
mod deposits;
mod history;
mod idempotency;
mod items;
mod postbacks;
mod tx;
mod unbooked;
mod withdrawals;

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use payments::clock::{Clock, SystemClock};
use payments::store::keys::{OpenShards, trunc_micros};
use time::OffsetDateTime;

/// The DynamoDB adapter. Cheap to clone (the SDK client is shared).
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
    /// The open-work index's write shards (`OPEN_INDEX_SHARDS`).
    open_shards: OpenShards,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl DynamoStore {
    /// The store on `table`, stamping records with the system clock.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self::with_clock(client, table, Arc::new(SystemClock))
    }

    /// The store on `table`, stamping records (and judging expiries) with `clock`.
    pub fn with_clock(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
            open_shards: OpenShards::DEFAULT,
        }
    }

    /// The store writing and reading `shards` open-work shards.
    pub fn with_open_shards(mut self, shards: OpenShards) -> Self {
        self.open_shards = shards;
        self
    }

    /// A client from the standard AWS environment (Lambda's role, region), or, with `endpoint`,
    /// one for DynamoDB Local: region and credentials then default to dummies when unset,
    /// since the local server checks neither.
    pub async fn client(endpoint: Option<&str>) -> Client {
        Self::client_counted(endpoint, None).await
    }

    /// [`Self::client`], counting every request it sends in `counter` when given.
    pub async fn client_counted(
        endpoint: Option<&str>,
        counter: Option<requests::RequestCounter>,
    ) -> Client {
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
        let mut config = aws_sdk_dynamodb::config::Builder::from(&loader.load().await);
        if let Some(counter) = counter {
            config = config.interceptor(counter);
        }
        Client::from_conf(config.build())
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn sdk_client(&self) -> &Client {
        &self.client
    }

    /// Now, as records keep it.
    fn now(&self) -> OffsetDateTime {
        trunc_micros(self.clock.now())
    }
}
