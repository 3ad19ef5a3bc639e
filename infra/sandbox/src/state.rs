//! The gateway's memory: user payments, activations waiting for a payment or a review, QR and
//! redirect orders, savings, withdrawals, balances, URL hashes, postbacks and delivery attempts,
//! and queued faults. One `Mutex<State>`, never held across an `.await`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use paykassma::php::PhpValue;
use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::task::AbortHandle;

use crate::config::SandboxConfig;

/// A payment the user made in their own app (`POST /_sandbox/payments`).
#[derive(Clone, Debug, Serialize)]
pub struct UserPayment {
    pub wallet_type: String,
    pub key1: String,
    pub amount: Decimal,
    pub currency_code: String,
    /// Set once an activation claimed it.
    pub claimed: bool,
}

/// An activation that has no payment yet (`possible_transaction_created`, manual) or is under
/// review (`pending`).
#[derive(Clone, Debug, Serialize)]
pub struct PendingActivation {
    pub wallet_type: String,
    pub label: String,
    pub key1: String,
    pub amount: Option<Decimal>,
    pub currency_code: String,
    pub custom_transaction_id: String,
    pub manual: bool,
}

/// Where a QR or redirect order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Processing,
    Success,
    Failed,
}

/// A `upi_s` or redirect deposit.
#[derive(Clone, Debug, Serialize)]
pub struct Order {
    pub order_id: String,
    pub custom_transaction_id: String,
    pub wallet_type: String,
    pub label: String,
    pub amount: Decimal,
    pub currency_code: String,
    pub status: OrderStatus,
    pub qr_data: Option<String>,
}

/// Money on its way to a user: one `additional_data` entry once the savings minimum is met.
#[derive(Clone, Debug)]
pub struct Credit {
    pub wallet_type: String,
    pub label: String,
    pub currency_code: String,
    pub amount: Decimal,
    pub custom_transaction_id: String,
    pub transaction_id: String,
    pub exchanger_identifier: String,
    pub activated_datetime: String,
}

/// Payments of one label and method below the minimum, waiting to add up.
#[derive(Clone, Debug)]
pub struct Savings {
    pub label: String,
    pub wallet_type: String,
    pub currency_code: String,
    pub stockpiling_id: i64,
    pub entries: Vec<Credit>,
}

impl Savings {
    pub fn sum(&self) -> Decimal {
        self.entries.iter().map(|c| c.amount).sum()
    }
}

/// A payout's state at the stand-in gateway (named apart from the client's `PayoutStatus` code
/// and the merchant's `payments::WithdrawalStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PayoutState {
    New,
    Processed,
    Rejected,
}

impl PayoutState {
    /// The number the postback carries (`1` PROCESSED, `5` REJECTED, `0` in processing).
    pub fn code(self) -> i64 {
        match self {
            Self::New => 0,
            Self::Processed => 1,
            Self::Rejected => 5,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Withdrawal {
    pub withdrawal_id: String,
    pub payment_system: String,
    pub amount: Decimal,
    pub currency_code: String,
    pub label: String,
    pub comment: String,
    pub account_number: String,
    pub account_name: String,
    pub account_email: String,
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
    pub is_test: bool,
    pub status: PayoutState,
    /// It came as the documents' older request (`wallet_type`, `wallet_recipient`, ...).
    pub legacy: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SandboxBalance {
    pub wallet_type: String,
    pub currency_code: String,
    pub amount: Decimal,
}

#[derive(Clone, Debug)]
pub struct HashRecord {
    pub url: String,
    pub expires: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingoing,
    Outgoing,
}

/// A postback the gateway produced.
#[derive(Clone, Debug)]
pub struct StoredPostback {
    pub id: u64,
    pub direction: Direction,
    /// The body as the lookup endpoints show it: no `signature`, no `access_key`.
    pub lookup_body: PhpValue<'static>,
    /// The exact signed text that is delivered.
    pub text: String,
    pub custom_ids: Vec<String>,
    pub transaction_ids: Vec<String>,
    pub withdrawal_id: Option<String>,
}

/// The outcome of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AttemptStatus {
    /// The receiver answered with this HTTP status.
    Http(u16),
    /// No answer: connection error, timeout, injected fault, or `dropped`.
    Other(String),
}

/// One delivery attempt, as `GET /_sandbox/postbacks` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub postback_id: u64,
    pub attempt: u32,
    pub url: String,
    /// The exact text sent.
    pub body: String,
    pub status: AttemptStatus,
    /// True when the answer was HTTP 200 with `{"status":"ok"}`.
    pub ok: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What a fault does to the requests it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    Http500,
    Timeout,
    Drop,
    Duplicate,
    /// API only: handle the request, then drop the connection without answering.
    DropAfter,
    /// API only: answer HTTP 404 with an empty body, not handling the request (what the
    /// documents show for a wrong secret, and what a proxy may answer).
    Http404,
    /// API only: answer HTTP 429 `{"message":"Too Many Attempts."}`, not handling it.
    Http429,
    /// API only: answer HTTP 502 from "a proxy", not handling it.
    Http502,
    /// API only: never answer (hold the connection until the caller gives up); not handled.
    Hang,
}

impl FaultMode {
    /// Modes that apply to API requests only.
    pub fn api_only(self) -> bool {
        matches!(
            self,
            Self::DropAfter | Self::Http404 | Self::Http429 | Self::Http502 | Self::Hang
        )
    }
}

/// How the sandbox plays gateway behaviour the documents leave open
/// (`POST /_sandbox/behaviour`). Each default is the behaviour the client was first written
/// against; the others are just as plausible, and the tests run under each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct Behaviour {
    pub repeated_withdrawal_id: RepeatedWithdrawalId,
    pub paging: Paging,
    pub withdrawal_lookup: WithdrawalLookup,
    pub limits_keys: LimitsKeys,
    pub limits_unit: LimitsUnit,
    pub savings_activation: SavingsActivation,
}

/// How `transaction/activate` answers a payment found below the method's minimum deposit, which
/// goes into the label's savings with no postback yet (the documents do not show this answer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SavingsActivation {
    /// `{"status":"ok","deposit":true,"deposit_amount":..}`, as for a credited payment: the
    /// payment was found (and saved).
    #[default]
    DepositTrue,
    /// `{"status":"ok","deposit":false,..}`: found, not deposited.
    DepositFalse,
    /// `{"status":"possible_transaction_created",..}`: as if not seen yet.
    Possible,
}

/// The keys of `payment-systems/available`'s `limits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitsKeys {
    /// As the documents' example: by family (`upi`, `paytm`, `phone_pe`, `imps`, `bkash`;
    /// `paykassma::client::LIMIT_FAMILIES`), a method outside them by its own type. A family
    /// shows the limits of its first configured method.
    #[default]
    Family,
    /// By each method's own `wallet_type` (`upi_l`).
    WalletType,
}

/// The unit of the numbers in `limits` (the documents do not say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitsUnit {
    /// Rupees, taka: "100".
    #[default]
    Major,
    /// Paise, poisha: "10000" for 100.00.
    Minor,
}

/// A `withdrawal/create` with a `withdrawal_id` the gateway has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatedWithdrawalId {
    /// "The withdrawal id has already been taken."
    #[default]
    Refused,
    /// Accepted as a second, separate payout.
    NewPayout,
}

/// `offset`/`limit` of `pullpostbacks` (only the answer's `paginate` is documented).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Paging {
    #[default]
    Honoured,
    /// Every request answers the first page, whatever `offset` says.
    Ignored,
}

/// What a withdrawal lookup says when there is no postback to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalLookup {
    /// "Postback not found" for one it has, "Withdrawal with this ID not found" otherwise.
    #[default]
    Documented,
    /// "Postback not found" for every id, known or not.
    PostbackNotFound,
    /// "Withdrawal with this ID not found" for every id without a result, even one it has
    /// and is still paying out.
    NotFoundWhileProcessing,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub target: String,
    pub mode: FaultMode,
    pub remaining: u32,
}

/// All of the sandbox's state.
#[derive(Debug, Default)]
pub struct State {
    pub payments: Vec<UserPayment>,
    pub used_custom_ids: HashSet<String>,
    pub possible: Vec<PendingActivation>,
    pub suspects: Vec<PendingActivation>,
    pub orders: Vec<Order>,
    pub savings: Vec<Savings>,
    /// `save-transaction-custom-id`: the id to put on the label's next window payment.
    pub saved_custom_ids: HashMap<String, String>,
    pub withdrawals: Vec<Withdrawal>,
    pub balances: Vec<SandboxBalance>,
    pub hashes: HashMap<String, HashRecord>,
    pub postbacks: Vec<StoredPostback>,
    pub attempts: Vec<Attempt>,
    pub faults: Vec<Fault>,
    pub behaviour: Behaviour,
    /// Methods a label does not see in `payment-systems/available`
    /// (`POST /_sandbox/hidden-methods`): the list takes the label, so it may differ per user.
    pub hidden_methods: HashMap<String, Vec<String>>,
    next_id: i64,
    next_postback_id: u64,
}

impl State {
    pub fn new(config: &SandboxConfig) -> Self {
        Self {
            balances: config
                .balances
                .iter()
                .map(|b| SandboxBalance {
                    wallet_type: b.wallet_type.clone(),
                    currency_code: b.currency_code.clone(),
                    amount: b.amount,
                })
                .collect(),
            next_id: 1_430_000,
            ..Self::default()
        }
    }

    /// A fresh number for stockpiling ids and the like.
    pub fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn next_postback_id(&mut self) -> u64 {
        self.next_postback_id += 1;
        self.next_postback_id
    }

    /// Takes one use of the first fault that `accept`s.
    pub fn take_fault(&mut self, accept: impl Fn(&Fault) -> bool) -> Option<FaultMode> {
        let at = self
            .faults
            .iter()
            .position(|f| f.remaining > 0 && accept(f))?;
        let fault = &mut self.faults[at];
        fault.remaining -= 1;
        let mode = fault.mode;
        if fault.remaining == 0 {
            self.faults.remove(at);
        }
        Some(mode)
    }

    /// The balance row of a method and currency, created at zero when missing.
    pub fn balance_mut(&mut self, wallet_type: &str, currency_code: &str) -> &mut SandboxBalance {
        let at = match self
            .balances
            .iter()
            .position(|b| b.wallet_type == wallet_type && b.currency_code == currency_code)
        {
            Some(at) => at,
            None => {
                self.balances.push(SandboxBalance {
                    wallet_type: wallet_type.into(),
                    currency_code: currency_code.into(),
                    amount: Decimal::ZERO,
                });
                self.balances.len() - 1
            }
        };
        &mut self.balances[at]
    }
}

/// Everything the handlers and background tasks share.
pub struct Shared {
    pub config: SandboxConfig,
    pub state: Mutex<State>,
    pub postback_url: Mutex<Option<String>>,
    pub http: reqwest::Client,
    pub tasks: Mutex<Vec<AbortHandle>>,
    pub base_url: String,
}

pub type SharedRef = Arc<Shared>;

impl Shared {
    /// Locks the state. A panic while locked cannot leave it half-changed in a way that
    /// matters to a test double, so a poisoned lock is taken over.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn postback_url(&self) -> Option<String> {
        self.postback_url
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_postback_url(&self, url: Option<String>) {
        *self.postback_url.lock().unwrap_or_else(|p| p.into_inner()) = url;
    }

    /// Keeps a background task so `stop` can end it.
    pub fn track(&self, handle: AbortHandle) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|h| !h.is_finished());
        tasks.push(handle);
    }

    pub fn abort_all(&self) {
        for h in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            h.abort();
        }
    }
}
