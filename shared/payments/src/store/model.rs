//! The records the [`Store`](super::Store) reads and writes, and the inputs and outcomes of its
//! verbs. Plain data: both adapters build and return exactly these.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::StoreError;
use super::keys::trunc_micros;
use crate::ids::{DepositId, Label, WithdrawalId};
use crate::money::{Currency, Money};
use crate::status::{DepositStatus, WithdrawalStatus};

/// A deposit to create (status `Pending`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeposit {
    pub id: DepositId,
    pub label: Label,
    pub currency: Currency,
    /// The ordered amount; `None` for methods where the user picks it (bKash, Nagad).
    /// Its currency must be `currency`.
    pub amount: Option<Money>,
    pub wallet_type: String,
    /// What the gateway answered at creation (VPA `identifier`, UPI_S `order_id`, `qr_data`...).
    pub details: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
}

/// The deposit detail naming the `custom_transaction_id` its creation used, when a retry had
/// to use a later attempt's (the first was taken by a request that died).
pub const ORDER_REF: &str = "order_ref";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    pub id: DepositId,
    pub label: Label,
    pub currency: Currency,
    pub amount: Option<Money>,
    pub wallet_type: String,
    pub details: BTreeMap<String, String>,
    pub status: DepositStatus,
    /// What was actually paid, once credited.
    pub credited: Option<Money>,
    /// The postback dedupe key that credited it.
    pub postback_key: Option<String>,
    /// The transaction number the user gave at activation (UPI UTR: `key1`).
    pub activation_key: Option<String>,
    /// The gateway's last message about it (activation answer, rejection reason).
    pub message: Option<String>,
    /// How many `custom_transaction_id`s it has used at the gateway (1: only the bare id;
    /// `n`: also `<id>_2` .. `<id>_n`). See [`DepositId::order_ref`].
    pub attempts: u32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Deposit {
    /// Every `custom_transaction_id` this deposit has used at the gateway: its attempts, and
    /// the one its creation used when that was not the first (`details["order_ref"]`).
    pub fn order_refs(&self) -> Vec<String> {
        let mut refs: Vec<String> = (1..=self.attempts.max(1))
            .map(|n| self.id.order_ref(n))
            .collect();
        if let Some(r) = self.details.get(ORDER_REF)
            && !refs.contains(r)
        {
            refs.push(r.clone());
        }
        refs
    }

    /// The record a new deposit starts as: `Pending`, nothing credited, its times truncated
    /// to what the store keeps. Both adapters build deposits here.
    pub fn pending(d: NewDeposit) -> Self {
        let created_at = trunc_micros(d.created_at);
        Self {
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
            attempts: 1,
            message: None,
            created_at,
            updated_at: created_at,
        }
    }
}

/// Fields set together with a deposit status change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepositUpdate {
    pub activation_key: Option<String>,
    pub message: Option<String>,
    /// A new attempt count (set before the attempt's gateway call).
    pub attempts: Option<u32>,
}

/// A verified deposit postback to credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositCredit {
    /// Identifies this payment for exactly-once crediting: see [`crate::postback_key`].
    pub dedupe_key: String,
    /// Whose balance: the postback's `label`.
    pub label: Label,
    /// What was paid (the postback's `amount` and `currency_code`).
    pub money: Money,
    /// Our deposit (`plugin_custom_order_id`) when there is one; `None` for payments made in the
    /// payment window without an order of ours (credited by label).
    pub deposit_id: Option<DepositId>,
    pub wallet_type: Option<String>,
    /// The postback body as received, kept for audit.
    pub raw_body: String,
    pub received_at: OffsetDateTime,
    /// The deposit as the caller already read it, so the store need not read it again.
    pub read: DepositRead,
}

/// What [`super::PostbackStore::read_for_credit`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditReads {
    /// The asked deposits that exist, in the order asked.
    pub deposits: Vec<Deposit>,
    /// The payment's key is booked (its postback record exists): a repeat.
    pub booked: bool,
    /// The payment's unbooked record, when it has one.
    pub unbooked: Option<UnbookedPostback>,
}

/// What the caller of a credit already read of its deposit. One read per postback: the
/// service reads the deposit to find its owner, and the store plans the credit from that same
/// read; the transaction's conditions hold what the plan assumed (the status it moves from,
/// or that there is still no such deposit), so a deposit that moved in between cancels the
/// transaction and the store reads it again and plans anew. A race is a retry, never a wrong
/// credit. (A deposit's owner, id and order never change, so they need no condition.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DepositRead {
    /// Not read: the store reads it.
    #[default]
    Unread,
    /// Read by the caller: the deposit, or `None` when none has the credit's `deposit_id`.
    Read(Option<Box<Deposit>>),
}

impl DepositCredit {
    /// The ledger entry the credit appends (both adapters write this one), referencing the
    /// deposit, or the dedupe key when the payment names none.
    pub fn ledger_entry(&self, at: OffsetDateTime) -> LedgerEntry {
        LedgerEntry::new(
            self.label.clone(),
            self.money.currency(),
            self.money.amount(),
            EntryKind::DepositCredit,
            self.deposit_id
                .as_ref()
                .map_or_else(|| self.dedupe_key.clone(), |d| d.to_string()),
            at,
        )
    }

    /// The exactly-once record the credit keeps.
    pub fn record(&self) -> PostbackRecord {
        PostbackRecord {
            dedupe_key: self.dedupe_key.clone(),
            kind: PostbackKind::Deposit,
            label: Some(self.label.clone()),
            raw_body: self.raw_body.clone(),
            received_at: trunc_micros(self.received_at),
        }
    }
}

/// What a credit did to the deposit it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositEffect {
    /// The postback names no deposit: credited by label.
    NoDeposit,
    /// The deposit moved to `to` (`Credited`, or `AmountMismatch` when the paid amount or
    /// currency differs from the order).
    Updated {
        id: DepositId,
        from: DepositStatus,
        to: DepositStatus,
    },
    /// The money was credited by label but the deposit was left as it is (worth an alert).
    Untouched {
        id: DepositId,
        reason: UntouchedReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UntouchedReason {
    /// No deposit with that id exists here.
    NotFound,
    /// The deposit belongs to another label than the postback's.
    LabelMismatch,
    /// The deposit is already final (credited by another payment, or rejected): a second
    /// payment against one order is still money received.
    Final(DepositStatus),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditOutcome {
    /// Credited now, in one transaction with the postback record and the deposit update.
    Credited {
        entry: LedgerEntry,
        deposit: DepositEffect,
    },
    /// This postback (dedupe key) was already applied: nothing changed. Answer the gateway 200.
    AlreadyApplied,
}

/// A withdrawal to create together with its debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWithdrawal {
    pub id: WithdrawalId,
    pub label: Label,
    pub money: Money,
    pub payment_system: String,
    /// The gateway request fields (account number, IFSC...) kept for resubmission; never secrets.
    pub details: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub id: WithdrawalId,
    pub label: Label,
    pub money: Money,
    pub payment_system: String,
    pub details: BTreeMap<String, String>,
    pub status: WithdrawalStatus,
    /// The gateway's last message (refusal text, refund reason).
    pub message: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Withdrawal {
    /// The record a new withdrawal starts as: `Pending` (already debited). Both adapters build
    /// withdrawals here.
    pub fn pending(w: NewWithdrawal) -> Self {
        let created_at = trunc_micros(w.created_at);
        Self {
            id: w.id,
            label: w.label,
            money: w.money,
            payment_system: w.payment_system,
            details: w.details,
            status: WithdrawalStatus::Pending,
            message: None,
            created_at,
            updated_at: created_at,
        }
    }
}

/// What `finish_withdrawal` / `refund_withdrawal` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleOutcome {
    /// Settled now (for a refund: with its ledger entry).
    Applied {
        withdrawal: Withdrawal,
        entry: Option<LedgerEntry>,
    },
    /// It was already in the requested final state: nothing changed.
    AlreadyApplied(Withdrawal),
}

/// A postback kept for audit and deduplication (`POSTBACK#<key>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackRecord {
    pub dedupe_key: String,
    pub kind: PostbackKind,
    pub label: Option<Label>,
    pub raw_body: String,
    pub received_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostbackKind {
    Deposit,
    Withdrawal,
}

impl PostbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "deposit" => Some(Self::Deposit),
            "withdrawal" => Some(Self::Withdrawal),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A deposit credited (+).
    DepositCredit,
    /// A withdrawal debited at creation (-).
    WithdrawalDebit,
    /// A rejected withdrawal refunded (+).
    WithdrawalRefund,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DepositCredit => "deposit_credit",
            Self::WithdrawalDebit => "withdrawal_debit",
            Self::WithdrawalRefund => "withdrawal_refund",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::DepositCredit,
            Self::WithdrawalDebit,
            Self::WithdrawalRefund,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One line of a user's ledger. `amount` is signed: the sum of a user's entries in a currency
/// equals that balance's `available`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// UUIDv7 text: unique, time-ordered.
    pub id: String,
    pub label: Label,
    pub currency: Currency,
    pub amount: Decimal,
    pub kind: EntryKind,
    /// What caused it: the deposit id / postback key, or the withdrawal id.
    pub reference: String,
    pub created_at: OffsetDateTime,
}

impl LedgerEntry {
    /// A new entry with a fresh time-ordered id (UUIDv7), stamped `at` (truncated to what the
    /// store keeps).
    pub fn new(
        label: Label,
        currency: Currency,
        amount: Decimal,
        kind: EntryKind,
        reference: String,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            label,
            currency,
            amount,
            kind,
            reference,
            created_at: trunc_micros(at),
        }
    }
}

/// A user's balance in one currency. `available` can be withdrawn; `held` is debited for
/// withdrawals not yet final (released when paid, returned to `available` when refunded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub currency: Currency,
    pub available: Decimal,
    pub held: Decimal,
}

/// Paging: at most `limit` items after `cursor` (an opaque token from a previous [`Page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub cursor: Option<String>,
}

impl PageRequest {
    pub fn first(limit: usize) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `Some` exactly when more items follow.
    pub next: Option<String>,
}

/// A stored API answer for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Which API (e.g. `deposits`), so keys of different routes never collide.
    pub scope: String,
    /// `<label>:<Idempotency-Key>` or similar: the caller decides.
    pub key: String,
    /// A hash of the request; the same key with another hash is a client error.
    pub request_hash: String,
    /// The response to replay (status and body, as the caller encodes them).
    pub response: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyPut {
    /// This record is now the first answer for the key.
    Stored,
    /// Another answer was there first (and has not expired): replay it, or refuse if its
    /// `request_hash` differs.
    Existing(IdempotencyRecord),
}

/// An operator's on/off switch for a payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSwitch {
    pub wallet_type: String,
    pub enabled: bool,
    pub updated_at: OffsetDateTime,
}

/// An operator's settings for a payout method (`CONFIG/PAYOUT#<payment_system>`): whether it is
/// offered, and the amounts allowed per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutSwitch {
    pub payment_system: String,
    pub enabled: bool,
    /// By currency code; a currency without limits takes any positive amount.
    pub limits: BTreeMap<String, PayoutLimit>,
    /// Stamped by the store.
    pub updated_at: OffsetDateTime,
}

/// The smallest and largest amount of one payout, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayoutLimit {
    pub min: Decimal,
    pub max: Decimal,
}

impl PayoutSwitch {
    /// What both adapters require before storing: a known currency for each limit, at its
    /// scale, `0 < min <= max`.
    pub fn validate(&self) -> Result<(), StoreError> {
        super::check_wallet_type(&self.payment_system)?;
        for (code, l) in &self.limits {
            let currency = crate::money::Currency::parse(code)
                .map_err(|e| StoreError::Invalid(format!("limits.{code}: {e}")))?;
            for (name, v) in [("min", l.min), ("max", l.max)] {
                if v <= Decimal::ZERO || v.normalize().scale() > currency.scale() {
                    return Err(StoreError::Invalid(format!(
                        "limits.{code}.{name}: a positive amount with at most {} decimals",
                        currency.scale()
                    )));
                }
            }
            if l.min > l.max {
                return Err(StoreError::Invalid(format!(
                    "limits.{code}: min is above max"
                )));
            }
        }
        Ok(())
    }
}

/// A verified postback (entry) we hold but could not book: kept with its reason until an
/// operator credits it to a label or dismisses it (`UNBOOKED#<key>`). What the gateway signed
/// is kept as text (an amount may carry more decimals than our currency table allows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbookedPostback {
    /// The payment's dedupe key; crediting it on resolution uses the same key, so a payment
    /// is booked at most once however it is resolved.
    pub key: String,
    /// Machine reason, e.g. `amount_precision`, `unknown_currency`, `order_not_payable`.
    pub reason: String,
    /// What a person reads: the reason in words.
    pub detail: String,
    pub received_at: OffsetDateTime,
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// The label the postback (or the gateway's lookup) names: a hint for the operator only.
    pub label: Option<String>,
    pub transaction_id: Option<String>,
    pub deposit_id: Option<String>,
    /// The body as received with its secrets redacted.
    pub raw_body: String,
    pub state: UnbookedState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnbookedState {
    Open,
    Closed(Resolution),
}

/// How an unbooked postback was closed, by whom and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub outcome: ResolutionOutcome,
    /// The operator (IAM principal), or `reconcile` when the gateway later confirmed it.
    pub by: String,
    pub note: String,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolutionOutcome {
    /// Credited by an operator to `label`.
    Credited { label: Label, money: Money },
    /// Closed without money moving.
    Dismissed,
    /// Booked by the normal path after all (e.g. the gateway's confirmation arrived).
    Booked,
}

impl ResolutionOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Credited { .. } => "credited",
            Self::Dismissed => "dismissed",
            Self::Booked => "booked",
        }
    }
}

/// A withdrawal held for a person: see [`super::AttentionStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalAttention {
    pub withdrawal_id: WithdrawalId,
    pub label: Label,
    /// Machine reason of the latest flag, e.g. `resend_refused`, `not_found`,
    /// `outcome_unknown`, `contradicted`.
    pub reason: String,
    /// What a person reads: the reason in words.
    pub detail: String,
    /// When it was (last) opened.
    pub since: OffsetDateTime,
    /// Every gateway answer seen, oldest first, each `<time> <answer>`.
    pub observations: Vec<String>,
    pub state: AttentionState,
    /// Bumped by every write; adapters use it to detect concurrent flags.
    pub revision: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttentionState {
    Open,
    Closed {
        outcome: AttentionOutcome,
        /// The operator (IAM principal).
        by: String,
        note: String,
        at: OffsetDateTime,
    },
}

/// How an operator closed an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttentionOutcome {
    /// Settled as paid out by the operator.
    Paid,
    /// Settled as not paid: refunded by the operator.
    Refunded,
    /// Already settled; the operator looked and closed it without moving money.
    Acknowledged,
}

impl AttentionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::Refunded => "refunded",
            Self::Acknowledged => "acknowledged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Paid, Self::Refunded, Self::Acknowledged]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// One reason to hold a withdrawal for a person, with the gateway answer behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttentionFlag {
    pub withdrawal_id: WithdrawalId,
    pub label: Label,
    pub reason: String,
    pub detail: String,
    pub observation: String,
    pub at: OffsetDateTime,
}
