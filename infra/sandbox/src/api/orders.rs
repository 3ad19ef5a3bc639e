//! Sections 5b (`upi_s` QR orders and their status) and 5c (redirect methods): both are
//! `POST /api/v1/payment/create/{payment_system}`, told apart by the method's kind.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use paykassma::php::PhpValue;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng;
use rust_decimal::Decimal;

use super::{fail, json_input, ok_status, secret_ok};
use crate::config::{DepositKind, WalletConfig};
use crate::input::{Input, Len, human};
use crate::reply::{self, Fail, obj, s};
use crate::state::{Order, OrderStatus, SharedRef};

pub async fn create(
    State(shared): State<SharedRef>,
    Path(payment_system): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let Some(wallet) = shared
        .config
        .wallet(&payment_system)
        .filter(|w| w.kind != DepositKind::Activation)
    else {
        return fail(&shared, Fail::msg("Payment system not found"));
    };
    let data = json_input(&body);
    match wallet.kind {
        DepositKind::UpiQr => create_upi_s(&shared, wallet, &data),
        _ => create_redirect(&shared, wallet, &data),
    }
}

fn check_limits(
    input: &mut Input<'_>,
    wallet: &WalletConfig,
    currency: Option<&str>,
    amount: Option<Decimal>,
    field: &str,
) {
    let (Some(c), Some(a)) = (currency, amount) else {
        return;
    };
    match wallet.limits.get(c) {
        None => input
            .errors
            .add(field, format!("The selected {} is invalid.", human(field))),
        Some(l) if a < l.min => input
            .errors
            .add("amount", format!("The amount must be at least {}.", l.min)),
        Some(l) if a > l.max => input.errors.add(
            "amount",
            format!("The amount must not be greater than {}.", l.max),
        ),
        Some(_) => {}
    }
}

fn check_unique(shared: &SharedRef, input: &mut Input<'_>, custom: Option<&str>) {
    if let Some(c) = custom
        && shared.lock().used_custom_ids.contains(c)
    {
        input.errors.add(
            "custom_transaction_id",
            "The custom transaction id has already been taken.",
        );
    }
}

/// Records the order unless its custom id was taken meanwhile.
fn store(shared: &SharedRef, order: Order) -> Result<(), Fail> {
    let mut st = shared.lock();
    if !st
        .used_custom_ids
        .insert(order.custom_transaction_id.clone())
    {
        return Err(Fail::field(
            "custom_transaction_id",
            "The custom transaction id has already been taken.",
        ));
    }
    st.orders.push(order);
    Ok(())
}

fn create_upi_s(shared: &SharedRef, wallet: &WalletConfig, data: &PhpValue) -> Response {
    let mut input = Input::new(data);
    let mode = input.string("mode", Len::Max(190));
    if mode.as_deref().is_some_and(|m| m != "upi_collect_qr") {
        input.errors.add("mode", "The selected mode is invalid.");
    }
    let currency = input.string("currency", Len::Exactly(3));
    let label = input.string("label", Len::Max(190));
    let wallet_type = input.string("wallet_type", Len::Max(190));
    if wallet_type
        .as_deref()
        .is_some_and(|w| w != wallet.wallet_type)
    {
        input
            .errors
            .add("wallet_type", "The selected wallet type is invalid.");
    }
    let amount = input.amount("amount");
    let custom = input.string("custom_transaction_id", Len::Max(190));
    check_limits(&mut input, wallet, currency.as_deref(), amount, "currency");
    check_unique(shared, &mut input, custom.as_deref());
    if let Err(e) = input.finish() {
        return fail(shared, e);
    }
    let (Some(currency_code), Some(label), Some(amount), Some(custom)) =
        (currency, label, amount, custom)
    else {
        return fail(shared, Fail::msg("Data validation error"));
    };
    let mut rng = rand::rng();
    let order_id = hex::encode(rng.random::<[u8; 8]>());
    let tr = format!("IT{}", rng.random_range(10u64.pow(16)..10u64.pow(17)));
    let qr_data = format!(
        "upi://pay?pa={}&pn={}&am={}&tn={tr}&tr={tr}",
        utf8_percent_encode(&shared.config.upi_payee_vpa, UPI_SET),
        utf8_percent_encode(&shared.config.upi_payee_name, UPI_SET),
        amount.normalize(),
    );
    let png = match paykassma::qr::to_png(&qr_data) {
        Ok(png) => png,
        Err(e) => return fail(shared, Fail::msg(format!("QR generation failed: {e}"))),
    };
    let order = Order {
        order_id: order_id.clone(),
        custom_transaction_id: custom,
        wallet_type: wallet.wallet_type.clone(),
        label,
        amount,
        currency_code,
        status: OrderStatus::Processing,
        qr_data: Some(qr_data.clone()),
    };
    if let Err(f) = store(shared, order) {
        return fail(shared, f);
    }
    reply::ok(&obj([
        ("status", s("ok")),
        (
            "data",
            obj([
                ("order_id", s(order_id)),
                (
                    "qr_string",
                    s(base64::engine::general_purpose::STANDARD.encode(png)),
                ),
                ("qr_data", s(qr_data)),
                ("message", s("QR Code generated successfully")),
            ]),
        ),
    ]))
}

/// Percent-encoding for UPI URI values: everything but alphanumerics and `@ . - _`.
const UPI_SET: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
    .remove(b'@')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_');

fn create_redirect(shared: &SharedRef, wallet: &WalletConfig, data: &PhpValue) -> Response {
    let mut input = Input::new(data);
    let _language = input.string("language", Len::Exactly(2));
    let currency = input.string("currency", Len::Exactly(3));
    let _bank = input.string("bank", Len::Max(3));
    let amount = input.amount("amount");
    let label = input.string("label", Len::Max(190));
    let _redirect = input.url("redirect_url");
    let custom = input.string("custom_transaction_id", Len::Max(64));
    check_limits(&mut input, wallet, currency.as_deref(), amount, "currency");
    check_unique(shared, &mut input, custom.as_deref());
    if let Err(e) = input.finish() {
        return fail(shared, e);
    }
    let (Some(currency_code), Some(label), Some(amount), Some(custom)) =
        (currency, label, amount, custom)
    else {
        return fail(shared, Fail::msg("Data validation error"));
    };
    let order = Order {
        order_id: hex::encode(rand::rng().random::<[u8; 8]>()),
        custom_transaction_id: custom,
        wallet_type: wallet.wallet_type.clone(),
        label,
        amount,
        currency_code,
        status: OrderStatus::Processing,
        qr_data: None,
    };
    if let Err(f) = store(shared, order) {
        return fail(shared, f);
    }
    ok_status()
}

/// `POST /api/v1/payment/upi_s/status`: `success`, `processing` or `failed`.
pub async fn upi_s_status(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = json_input(&body);
    let mut input = Input::new(&data);
    let order_id = input.string("order_id", Len::Max(190));
    if let Err(e) = input.finish() {
        return fail(&shared, e);
    }
    let status = {
        let st = shared.lock();
        st.orders
            .iter()
            .find(|o| Some(&o.order_id) == order_id.as_ref())
            .map(|o| o.status)
    };
    let text = match status {
        None => return fail(&shared, Fail::msg("Order not found")),
        Some(OrderStatus::Processing) => "processing",
        Some(OrderStatus::Success) => "success",
        Some(OrderStatus::Failed) => "failed",
    };
    reply::ok(&obj([("status", s(text))]))
}
