//! Section 4 (save custom transaction id), 5a (deposits that need activation, automatic and
//! manual) and 5d (savings information).

use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use paykassma::php::PhpValue;
use rust_decimal::Decimal;

use super::{fail, get_input, json_input, ok_status, secret_ok};
use crate::clock::gateway_now;
use crate::config::{DepositKind, WalletConfig};
use crate::input::{Input, Len, trim_strings};
use crate::ledger;
use crate::reply::{self, Fail, currency_symbol, obj, s};
use crate::state::{Credit, PendingActivation, SavingsActivation, SharedRef, State as Store};

const TAKEN: &str = "The custom transaction id has already been taken.";

/// `POST /api/v1/payment/save-transaction-custom-id`: the id the label's next window payment
/// carries as `plugin_custom_order_id`.
pub async fn save_custom_id(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = json_input(&body);
    let mut input = Input::new(&data);
    let label = input.string("label", Len::Max(190));
    let custom = input.string("transaction_custom_id", Len::Max(190));
    let mut st = shared.lock();
    if let Some(c) = &custom
        && st.used_custom_ids.contains(c)
    {
        input.errors.add(
            "transaction_custom_id",
            "The transaction custom id has already been taken.",
        );
    }
    if let Err(e) = input.finish() {
        drop(st);
        return fail(&shared, e);
    }
    if let (Some(label), Some(custom)) = (label, custom) {
        st.used_custom_ids.insert(custom.clone());
        st.saved_custom_ids.insert(label, custom);
    }
    ok_status()
}

/// `POST /api/v1/transaction/create/{wallet_type}`: the wallet the user pays to.
pub async fn create(
    State(shared): State<SharedRef>,
    Path(wallet_type): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = json_input(&body);
    let mut input = Input::new(&data);
    let currency = input.string("currency", Len::Exactly(3));
    let _label = input.string("label", Len::Max(190));
    if let Err(e) = input.finish() {
        return fail(&shared, e);
    }
    let Some(wallet) = shared
        .config
        .wallet(&wallet_type)
        .filter(|w| w.kind == DepositKind::Activation)
    else {
        return fail(&shared, Fail::msg("Payment system not found"));
    };
    if let Some(c) = currency
        && !wallet.limits.contains_key(&c)
    {
        return fail(
            &shared,
            Fail::field("currency", "The selected currency is invalid."),
        );
    }
    let identifier = wallet
        .identifier
        .clone()
        .unwrap_or_else(|| format!("{wallet_type}.sandbox"));
    reply::ok(&obj([
        ("status", s("ok")),
        ("params", obj([("identifier", s(identifier))])),
    ]))
}

/// The fields of both activation requests, validated.
struct Activation {
    wallet: WalletConfig,
    label: String,
    key1: String,
    amount: Option<Decimal>,
    currency_code: String,
    custom_transaction_id: String,
}

fn validate_activation(
    shared: &SharedRef,
    data: &PhpValue,
    custom_max: usize,
    manual: bool,
    st: &Store,
) -> Result<Activation, Fail> {
    let mut input = Input::new(data);
    let currency = input.string("currency_code", Len::Exactly(3));
    let wallet_type = input.string("wallet_type", Len::Max(190));
    let label = input.string("label", Len::Max(190));
    let key1 = input.string("key1", Len::Max(190));
    let custom = input.string("custom_transaction_id", Len::Max(custom_max));
    let wallet = wallet_type
        .as_deref()
        .and_then(|t| shared.config.wallet(t))
        .filter(|w| w.kind == DepositKind::Activation);
    if wallet_type.is_some() && wallet.is_none() {
        input
            .errors
            .add("wallet_type", "The selected wallet type is invalid.");
    }
    let amount = match wallet {
        Some(w) if w.activation_requires_amount || manual => input.amount("amount"),
        _ => input.opt_amount("amount"),
    };
    if let (Some(k), Some(digits)) = (&key1, wallet.and_then(|w| w.key1_digits)) {
        if k.chars().count() != digits {
            input
                .errors
                .add("key1", "Transaction field has wrong length");
        } else if !k.chars().all(|c| c.is_ascii_digit()) {
            input.errors.add("key1", "The key1 format is invalid.");
        }
    }
    if let (Some(c), Some(w)) = (&currency, wallet)
        && !w.limits.contains_key(c)
    {
        input
            .errors
            .add("currency_code", "The selected currency code is invalid.");
    }
    if let Some(c) = &custom
        && st.used_custom_ids.contains(c)
    {
        input.errors.add("custom_transaction_id", TAKEN);
    }
    input.finish()?;
    match (wallet, label, key1, currency, custom) {
        (Some(w), Some(label), Some(key1), Some(currency_code), Some(custom_transaction_id)) => {
            Ok(Activation {
                wallet: w.clone(),
                label,
                key1,
                amount,
                currency_code,
                custom_transaction_id,
            })
        }
        _ => Err(Fail::msg("Data validation error")),
    }
}

/// How an activation met the user's payments.
enum Matched {
    /// The payment is there and agrees: credit it.
    Credit(Credit),
    /// Not seen yet: waits for the payment.
    Waiting,
    Refused(Fail),
}

/// Claims the user's payment for an activation, or parks the activation until the payment
/// appears. Called with the state locked.
fn match_payment(st: &mut Store, a: &Activation, manual: bool) -> Matched {
    let found = st
        .payments
        .iter()
        .position(|p| p.wallet_type == a.wallet.wallet_type && p.key1 == a.key1);
    match found {
        Some(at) => {
            let p = &st.payments[at];
            if p.claimed {
                return Matched::Refused(Fail::msg("Transaction has already been activated"));
            }
            if p.currency_code != a.currency_code {
                return Matched::Refused(Fail::msg("The currency does not match the payment"));
            }
            if a.amount.is_some_and(|amount| amount != p.amount) {
                return Matched::Refused(Fail::msg("The amount does not match the payment"));
            }
            let amount = p.amount;
            st.payments[at].claimed = true;
            st.used_custom_ids.insert(a.custom_transaction_id.clone());
            Matched::Credit(Credit {
                wallet_type: a.wallet.wallet_type.clone(),
                label: a.label.clone(),
                currency_code: a.currency_code.clone(),
                amount,
                custom_transaction_id: a.custom_transaction_id.clone(),
                transaction_id: a.key1.clone(),
                exchanger_identifier: a.wallet.identifier.clone().unwrap_or_default(),
                activated_datetime: String::new(),
            })
        }
        None => {
            st.used_custom_ids.insert(a.custom_transaction_id.clone());
            st.possible.push(PendingActivation {
                wallet_type: a.wallet.wallet_type.clone(),
                label: a.label.clone(),
                key1: a.key1.clone(),
                amount: a.amount,
                currency_code: a.currency_code.clone(),
                custom_transaction_id: a.custom_transaction_id.clone(),
                manual,
            });
            Matched::Waiting
        }
    }
}

/// Credits with the activation time stamped now.
pub(crate) fn credit_now(shared: &SharedRef, mut c: Credit) -> Result<bool, ledger::LedgerError> {
    c.activated_datetime = gateway_now(shared.config.gateway_utc_offset_hours);
    ledger::credit(shared, c)
}

/// `POST /api/v1/transaction/activate` (JSON, `is_manual=false`).
pub async fn activate(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = json_input(&body);
    let outcome = {
        let mut st = shared.lock();
        let a = match validate_activation(&shared, &data, 64, false, &st) {
            Ok(a) => a,
            Err(f) => {
                drop(st);
                return fail(&shared, f);
            }
        };
        if a.wallet.is_manual {
            drop(st);
            return fail(
                &shared,
                Fail::msg(
                    "This payment system is activated manually (possible-transaction/activate)",
                ),
            );
        }
        if !shared.config.suspect_key1_prefix.is_empty()
            && a.key1.starts_with(&shared.config.suspect_key1_prefix)
        {
            st.used_custom_ids.insert(a.custom_transaction_id.clone());
            st.suspects.push(PendingActivation {
                wallet_type: a.wallet.wallet_type.clone(),
                label: a.label.clone(),
                key1: a.key1.clone(),
                amount: a.amount,
                currency_code: a.currency_code.clone(),
                custom_transaction_id: a.custom_transaction_id.clone(),
                manual: false,
            });
            None
        } else {
            Some((match_payment(&mut st, &a, false), a.currency_code))
        }
    };
    match outcome {
        None => {
            let body = obj([
                ("status", s("pending")),
                (
                    "message",
                    s(
                        "The deposit status check has been started. The operation may take longer than expected. Upon completion of the verification, the funds will be credited to your account",
                    ),
                ),
            ]);
            let status = StatusCode::from_u16(shared.config.error_http_status)
                .unwrap_or(StatusCode::BAD_REQUEST);
            reply::json(status, &body)
        }
        Some((Matched::Refused(f), _)) => fail(&shared, f),
        Some((Matched::Waiting, _)) => reply::ok(&obj([
            ("status", s("possible_transaction_created")),
            (
                "message",
                s("Transaction not found. Possible transaction created"),
            ),
        ])),
        Some((Matched::Credit(c), currency)) => {
            let amount = c.amount;
            let posted = match credit_now(&shared, c) {
                Ok(posted) => posted,
                Err(e) => return fail(&shared, Fail::msg(e.to_string())),
            };
            // Below the minimum it went into the label's savings: the answer for that is the
            // behaviour set (the documents do not show it).
            let saved = !posted;
            let behaviour = shared.lock().behaviour.savings_activation;
            match behaviour {
                SavingsActivation::Possible if saved => {
                    return reply::ok(&obj([
                        ("status", s("possible_transaction_created")),
                        (
                            "message",
                            s("Transaction not found. Possible transaction created"),
                        ),
                    ]));
                }
                _ => {}
            }
            let deposited = !(saved && behaviour == SavingsActivation::DepositFalse);
            reply::ok(&obj([
                ("status", s("ok")),
                ("deposit", PhpValue::Bool(deposited)),
                ("deposit_amount", PhpValue::decimal(amount)),
                (
                    "currency",
                    obj([
                        ("code", s(currency.as_str())),
                        ("symbol", s(currency_symbol(&currency))),
                    ]),
                ),
            ]))
        }
    }
}

/// A multipart form as an object of strings; the `screenshot` file is read and noted by size.
async fn form_input(req: Request) -> Result<PhpValue<'static>, String> {
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| e.body_text())?;
    let mut out = PhpValue::Map(Vec::new());
    while let Some(field) = form.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or_default().to_string();
        if field.file_name().is_some() {
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            out.insert(
                name,
                PhpValue::string(format!("<file of {} bytes>", bytes.len())),
            );
        } else {
            let text = field.text().await.map_err(|e| e.body_text())?;
            out.insert(name, PhpValue::string(text));
        }
    }
    Ok(trim_strings(&out))
}

/// `POST /api/v1/possible-transaction/activate` (multipart, `is_manual=true`, optional
/// `screenshot`). JSON is read too, as Laravel does.
pub async fn activate_manual(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let data = if is_multipart {
        match form_input(req).await {
            Ok(d) => d,
            Err(e) => return fail(&shared, Fail::msg(e)),
        }
    } else {
        match axum::body::to_bytes(req.into_body(), 10 * 1024 * 1024).await {
            Ok(b) => json_input(&b),
            Err(_) => PhpValue::Map(Vec::new()),
        }
    };
    let matched = {
        let mut st = shared.lock();
        let a = match validate_activation(&shared, &data, 190, true, &st) {
            Ok(a) => a,
            Err(f) => {
                drop(st);
                return fail(&shared, f);
            }
        };
        match_payment(&mut st, &a, true)
    };
    match matched {
        Matched::Refused(f) => return fail(&shared, f),
        Matched::Credit(c) => {
            if let Err(e) = credit_now(&shared, c) {
                return fail(&shared, Fail::msg(e.to_string()));
            }
        }
        Matched::Waiting => {}
    }
    let paginate = obj([
        ("offset", PhpValue::int(0)),
        ("total", PhpValue::int(1)),
        ("limit", PhpValue::int(1)),
    ]);
    reply::ok(&reply::success(PhpValue::List(Vec::new()), Some(paginate)))
}

/// `GET /api/v1/deposit-info`: the label's savings for a method and currency.
pub async fn deposit_info(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = get_input(query.as_deref(), &body);
    let mut input = Input::new(&data);
    let label = input.string("label", Len::Max(190));
    let wallet_type = input.string("wallet_type", Len::Max(190));
    let currency = input.string("currency", Len::Exactly(3));
    let wallet = wallet_type.as_deref().and_then(|t| shared.config.wallet(t));
    if wallet_type.is_some() && wallet.is_none() {
        input
            .errors
            .add("wallet_type", "The selected wallet type is invalid.");
    }
    if let Err(e) = input.finish() {
        return fail(&shared, e);
    }
    let (Some(label), Some(wallet), Some(currency)) = (label, wallet, currency) else {
        return fail(&shared, Fail::msg("Data validation error"));
    };
    let minimum = wallet
        .minimum_deposit
        .get(&currency)
        .copied()
        .unwrap_or(Decimal::ZERO);
    let sum = shared
        .lock()
        .savings
        .iter()
        .find(|sv| {
            sv.label == label
                && sv.wallet_type == wallet.wallet_type
                && sv.currency_code == currency
        })
        .map(|sv| sv.sum())
        .unwrap_or(Decimal::ZERO);
    let lacks = (minimum - sum).max(Decimal::ZERO);
    reply::ok(&obj([
        ("status", s("ok")),
        ("stockpiling_sum", PhpValue::decimal(sum)),
        ("lacks_sum", PhpValue::decimal(lacks)),
        ("minimum_deposit", PhpValue::decimal(minimum)),
    ]))
}

/// A user payment arrived (control route): completes a waiting activation of that key1.
/// Returns whether one was credited.
pub(crate) fn payment_arrived(
    shared: &SharedRef,
    payment: crate::state::UserPayment,
) -> Result<bool, ledger::LedgerError> {
    let credit = {
        let mut st = shared.lock();
        let waiting = st.possible.iter().position(|p| {
            p.wallet_type == payment.wallet_type
                && p.key1 == payment.key1
                && p.currency_code == payment.currency_code
                && p.amount.is_none_or(|a| a == payment.amount)
        });
        match waiting {
            None => {
                st.payments.push(payment);
                None
            }
            Some(at) => {
                let p = st.possible.remove(at);
                let exchanger = shared
                    .config
                    .wallet(&p.wallet_type)
                    .and_then(|w| w.identifier.clone())
                    .unwrap_or_default();
                st.payments.push(crate::state::UserPayment {
                    claimed: true,
                    ..payment.clone()
                });
                Some(Credit {
                    wallet_type: p.wallet_type,
                    label: p.label,
                    currency_code: p.currency_code,
                    amount: payment.amount,
                    custom_transaction_id: p.custom_transaction_id,
                    transaction_id: p.key1,
                    exchanger_identifier: exchanger,
                    activated_datetime: String::new(),
                })
            }
        }
    };
    match credit {
        Some(c) => credit_now(shared, c).map(|_| true),
        None => Ok(false),
    }
}
