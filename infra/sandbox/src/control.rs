//! Control routes under `/_sandbox/` (no secret, plain JSON): play the user and the gateway's
//! back office (payments, completions, reviews, settlements), inject faults, and inspect what
//! was delivered. Errors are `{"error":"..."}` with 400, 404 or 409.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{credit_now, payment_arrived};
use crate::ledger::{self, LedgerError};
use crate::state::{
    Credit, Fault, FaultMode, OrderStatus, PendingActivation, SandboxBalance, SharedRef,
    UserPayment,
};

pub fn router(shared: SharedRef) -> Router {
    Router::new()
        .route("/_sandbox/config", post(set_config))
        .route("/_sandbox/payments", post(payment))
        .route(
            "/_sandbox/deposits/{custom_transaction_id}/complete",
            post(complete_deposit),
        )
        .route(
            "/_sandbox/deposits/{custom_transaction_id}/fail",
            post(fail_deposit),
        )
        .route("/_sandbox/plugin-payments", post(plugin_payment))
        .route(
            "/_sandbox/withdrawals/{withdrawal_id}",
            get(show_withdrawal),
        )
        .route(
            "/_sandbox/withdrawals/{withdrawal_id}/process",
            post(process_withdrawal),
        )
        .route(
            "/_sandbox/withdrawals/{withdrawal_id}/reject",
            post(reject_withdrawal),
        )
        .route("/_sandbox/suspects/{key1}", post(review_suspect))
        .route(
            "/_sandbox/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_sandbox/postbacks", get(attempts))
        .route("/_sandbox/balances", post(set_balances))
        .route("/_sandbox/hashes/{hash}", get(resolve_hash))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/behaviour", get(behaviour).post(set_behaviour))
        .route("/_sandbox/hidden-methods", post(set_hidden_methods))
        .with_state(shared)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn done(extra: Value) -> Response {
    let mut body = json!({ "status": "ok" });
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    Json(body).into_response()
}

fn ledger_error(e: LedgerError) -> Response {
    match e {
        LedgerError::UnknownWithdrawal => error(StatusCode::NOT_FOUND, e.to_string()),
        LedgerError::AlreadyFinal(_) => error(StatusCode::CONFLICT, e.to_string()),
        LedgerError::Sign(_) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Deserialize)]
struct ConfigBody {
    postback_url: Option<String>,
}

async fn set_config(State(shared): State<SharedRef>, Json(body): Json<ConfigBody>) -> Response {
    if let Some(u) = &body.postback_url
        && url::Url::parse(u).is_err()
    {
        return error(StatusCode::BAD_REQUEST, "postback_url is not a URL");
    }
    shared.set_postback_url(body.postback_url);
    done(json!({ "postback_url": shared.postback_url() }))
}

#[derive(Deserialize)]
struct PaymentBody {
    wallet_type: String,
    key1: String,
    #[serde(deserialize_with = "paykassma::money::de_decimal")]
    amount: Decimal,
    currency_code: String,
}

/// A user paid with transaction number `key1`: completes a waiting activation, or waits for one.
async fn payment(State(shared): State<SharedRef>, Json(body): Json<PaymentBody>) -> Response {
    if shared.config.wallet(&body.wallet_type).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            format!("unknown wallet_type {}", body.wallet_type),
        );
    }
    if body.amount <= Decimal::ZERO {
        return error(StatusCode::BAD_REQUEST, "amount must be positive");
    }
    if shared
        .lock()
        .payments
        .iter()
        .any(|p| p.wallet_type == body.wallet_type && p.key1 == body.key1)
    {
        return error(
            StatusCode::CONFLICT,
            "a payment with this key1 already exists",
        );
    }
    let payment = UserPayment {
        wallet_type: body.wallet_type,
        key1: body.key1,
        amount: body.amount,
        currency_code: body.currency_code,
        claimed: false,
    };
    match payment_arrived(&shared, payment) {
        Ok(credited) => done(json!({
            "credited": credited,
            "outcome": if credited {
                "credited: it completed an activation that was waiting for it"
            } else {
                "recorded: it is credited when the user activates with this key1"
            },
        })),
        Err(e) => ledger_error(e),
    }
}

fn random_utr() -> String {
    rand::rng()
        .random_range(100_000_000_000u64..1_000_000_000_000)
        .to_string()
}

async fn complete_deposit(State(shared): State<SharedRef>, Path(custom): Path<String>) -> Response {
    let credit = {
        let mut st = shared.lock();
        let Some(order) = st
            .orders
            .iter_mut()
            .find(|o| o.custom_transaction_id == custom)
        else {
            return error(
                StatusCode::NOT_FOUND,
                "no upi_s or redirect order with this custom_transaction_id",
            );
        };
        if order.status != OrderStatus::Processing {
            return error(
                StatusCode::CONFLICT,
                format!("the order is already {:?}", order.status).to_lowercase(),
            );
        }
        order.status = OrderStatus::Success;
        Credit {
            wallet_type: order.wallet_type.clone(),
            label: order.label.clone(),
            currency_code: order.currency_code.clone(),
            amount: order.amount,
            custom_transaction_id: order.custom_transaction_id.clone(),
            transaction_id: random_utr(),
            exchanger_identifier: "user@okhdfcbank".into(),
            activated_datetime: String::new(),
        }
    };
    match credit_now(&shared, credit) {
        Ok(sent) => done(json!({ "postback_sent": sent })),
        Err(e) => ledger_error(e),
    }
}

async fn fail_deposit(State(shared): State<SharedRef>, Path(custom): Path<String>) -> Response {
    let mut st = shared.lock();
    let Some(order) = st
        .orders
        .iter_mut()
        .find(|o| o.custom_transaction_id == custom)
    else {
        return error(
            StatusCode::NOT_FOUND,
            "no upi_s or redirect order with this custom_transaction_id",
        );
    };
    if order.status != OrderStatus::Processing {
        return error(
            StatusCode::CONFLICT,
            format!("the order is already {:?}", order.status).to_lowercase(),
        );
    }
    order.status = OrderStatus::Failed;
    done(json!({}))
}

#[derive(Deserialize)]
struct PluginPaymentBody {
    label: String,
    #[serde(deserialize_with = "paykassma::money::de_decimal")]
    amount: Decimal,
    currency_code: String,
    wallet_type: String,
    #[serde(default)]
    custom_transaction_id: Option<String>,
}

/// A payment made in the payment window: credited to `label`; the custom id is the one given,
/// else the label's saved one (`save-transaction-custom-id`), else empty.
async fn plugin_payment(
    State(shared): State<SharedRef>,
    Json(body): Json<PluginPaymentBody>,
) -> Response {
    if shared.config.wallet(&body.wallet_type).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            format!("unknown wallet_type {}", body.wallet_type),
        );
    }
    if body.amount <= Decimal::ZERO {
        return error(StatusCode::BAD_REQUEST, "amount must be positive");
    }
    let custom = {
        let mut st = shared.lock();
        match body.custom_transaction_id.filter(|c| !c.is_empty()) {
            Some(c) => {
                if !st.used_custom_ids.insert(c.clone()) {
                    return error(StatusCode::CONFLICT, "custom_transaction_id already used");
                }
                c
            }
            None => st.saved_custom_ids.remove(&body.label).unwrap_or_default(),
        }
    };
    let utr = random_utr();
    let credit = Credit {
        wallet_type: body.wallet_type,
        label: body.label,
        currency_code: body.currency_code,
        amount: body.amount,
        custom_transaction_id: custom.clone(),
        transaction_id: utr.clone(),
        exchanger_identifier: "user@okaxis".into(),
        activated_datetime: String::new(),
    };
    match credit_now(&shared, credit) {
        Ok(sent) => done(
            json!({ "postback_sent": sent, "transaction_id": utr, "custom_transaction_id": custom }),
        ),
        Err(e) => ledger_error(e),
    }
}

async fn show_withdrawal(State(shared): State<SharedRef>, Path(id): Path<String>) -> Response {
    match shared
        .lock()
        .withdrawals
        .iter()
        .find(|w| w.withdrawal_id == id)
    {
        Some(w) => Json(json!(w)).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such withdrawal"),
    }
}

async fn process_withdrawal(State(shared): State<SharedRef>, Path(id): Path<String>) -> Response {
    match ledger::settle_withdrawal(&shared, &id, true) {
        Ok(()) => done(json!({ "withdrawal_status": 1 })),
        Err(e) => ledger_error(e),
    }
}

async fn reject_withdrawal(State(shared): State<SharedRef>, Path(id): Path<String>) -> Response {
    match ledger::settle_withdrawal(&shared, &id, false) {
        Ok(()) => done(json!({ "withdrawal_status": 5 })),
        Err(e) => ledger_error(e),
    }
}

#[derive(Deserialize)]
struct ReviewBody {
    approve: bool,
}

/// Ends the review of a suspect activation: approved ones are credited (with the activation's
/// amount, or the user's payment when one was recorded), rejected ones vanish without a postback.
async fn review_suspect(
    State(shared): State<SharedRef>,
    Path(key1): Path<String>,
    Json(body): Json<ReviewBody>,
) -> Response {
    let suspect: PendingActivation = {
        let mut st = shared.lock();
        let Some(at) = st.suspects.iter().position(|s| s.key1 == key1) else {
            return error(
                StatusCode::NOT_FOUND,
                "no suspect activation with this key1",
            );
        };
        st.suspects.remove(at)
    };
    if !body.approve {
        return done(json!({
            "credited": false,
            "outcome": "rejected: the activation is dropped without a postback"
        }));
    }
    let paid = {
        let mut st = shared.lock();
        st.payments
            .iter_mut()
            .find(|p| p.wallet_type == suspect.wallet_type && p.key1 == suspect.key1 && !p.claimed)
            .map(|p| {
                p.claimed = true;
                p.amount
            })
    };
    let Some(amount) = paid.or(suspect.amount) else {
        return error(
            StatusCode::CONFLICT,
            "the activation had no amount and no payment was recorded for this key1",
        );
    };
    let exchanger = shared
        .config
        .wallet(&suspect.wallet_type)
        .and_then(|w| w.identifier.clone())
        .unwrap_or_default();
    let credit = Credit {
        wallet_type: suspect.wallet_type,
        label: suspect.label,
        currency_code: suspect.currency_code,
        amount,
        custom_transaction_id: suspect.custom_transaction_id,
        transaction_id: suspect.key1,
        exchanger_identifier: exchanger,
        activated_datetime: String::new(),
    };
    match credit_now(&shared, credit) {
        Ok(sent) => done(json!({ "credited": true, "postback_sent": sent })),
        Err(e) => ledger_error(e),
    }
}

/// `POST /_sandbox/behaviour`: the fields given replace the current ones; the answer is the
/// whole behaviour now.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BehaviourBody {
    repeated_withdrawal_id: Option<crate::state::RepeatedWithdrawalId>,
    paging: Option<crate::state::Paging>,
    withdrawal_lookup: Option<crate::state::WithdrawalLookup>,
    limits_keys: Option<crate::state::LimitsKeys>,
    limits_unit: Option<crate::state::LimitsUnit>,
    savings_activation: Option<crate::state::SavingsActivation>,
}

async fn set_behaviour(
    State(shared): State<SharedRef>,
    Json(body): Json<BehaviourBody>,
) -> Response {
    let mut st = shared.lock();
    let b = &mut st.behaviour;
    if let Some(v) = body.repeated_withdrawal_id {
        b.repeated_withdrawal_id = v;
    }
    if let Some(v) = body.paging {
        b.paging = v;
    }
    if let Some(v) = body.withdrawal_lookup {
        b.withdrawal_lookup = v;
    }
    if let Some(v) = body.limits_keys {
        b.limits_keys = v;
    }
    if let Some(v) = body.limits_unit {
        b.limits_unit = v;
    }
    if let Some(v) = body.savings_activation {
        b.savings_activation = v;
    }
    Json(json!(*b)).into_response()
}

/// `POST /_sandbox/hidden-methods`: `{"label","wallet_types":[..]}` replaces the methods
/// `label` does not see in `payment-systems/available` (an empty list shows them all again).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HiddenMethodsBody {
    label: String,
    wallet_types: Vec<String>,
}

async fn set_hidden_methods(
    State(shared): State<SharedRef>,
    Json(body): Json<HiddenMethodsBody>,
) -> Response {
    let mut st = shared.lock();
    if body.wallet_types.is_empty() {
        st.hidden_methods.remove(&body.label);
    } else {
        st.hidden_methods
            .insert(body.label.clone(), body.wallet_types.clone());
    }
    Json(json!({"label": body.label, "wallet_types": body.wallet_types})).into_response()
}

async fn behaviour(State(shared): State<SharedRef>) -> Response {
    Json(json!(shared.lock().behaviour)).into_response()
}

#[derive(Deserialize)]
struct FaultBody {
    target: String,
    mode: FaultMode,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn add_fault(State(shared): State<SharedRef>, Json(body): Json<FaultBody>) -> Response {
    let is_postback = body.target == "postback";
    if !is_postback && !body.target.starts_with('/') {
        return error(
            StatusCode::BAD_REQUEST,
            "target must be \"postback\" or a path prefix starting with /",
        );
    }
    if is_postback && body.mode.api_only() {
        return error(
            StatusCode::BAD_REQUEST,
            "this mode applies to API requests only",
        );
    }
    if !is_postback && body.mode == FaultMode::Duplicate {
        return error(
            StatusCode::BAD_REQUEST,
            "duplicate applies to postbacks only",
        );
    }
    if body.count == 0 {
        return error(StatusCode::BAD_REQUEST, "count must be at least 1");
    }
    shared.lock().faults.push(Fault {
        target: body.target,
        mode: body.mode,
        remaining: body.count,
    });
    done(json!({}))
}

async fn list_faults(State(shared): State<SharedRef>) -> Response {
    Json(json!(shared.lock().faults)).into_response()
}

async fn clear_faults(State(shared): State<SharedRef>) -> Response {
    shared.lock().faults.clear();
    done(json!({}))
}

async fn attempts(State(shared): State<SharedRef>) -> Response {
    Json(json!(shared.lock().attempts)).into_response()
}

#[derive(Deserialize)]
struct BalanceBody {
    wallet_type: String,
    currency_code: String,
    #[serde(deserialize_with = "paykassma::money::de_decimal")]
    amount: Decimal,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BalancesBody {
    List(Vec<BalanceBody>),
    Wrapped { balances: Vec<BalanceBody> },
}

/// Replaces the gateway balances.
async fn set_balances(State(shared): State<SharedRef>, Json(body): Json<BalancesBody>) -> Response {
    let list = match body {
        BalancesBody::List(l) | BalancesBody::Wrapped { balances: l } => l,
    };
    shared.lock().balances = list
        .into_iter()
        .map(|b| SandboxBalance {
            wallet_type: b.wallet_type,
            currency_code: b.currency_code,
            amount: b.amount,
        })
        .collect();
    done(json!({}))
}

async fn resolve_hash(State(shared): State<SharedRef>, Path(hash): Path<String>) -> Response {
    let now = std::time::Instant::now();
    match shared.lock().hashes.get(&hash) {
        Some(h) if h.expires > now => Json(json!({ "url": h.url })).into_response(),
        Some(_) => error(StatusCode::GONE, "the hash has expired"),
        None => error(StatusCode::NOT_FOUND, "unknown hash"),
    }
}

/// Back to a fresh gateway: state and faults cleared, configured balances restored, deliveries
/// in flight stopped. The postback URL is kept.
async fn reset(State(shared): State<SharedRef>) -> Response {
    shared.abort_all();
    *shared.lock() = crate::state::State::new(&shared.config);
    done(json!({}))
}
