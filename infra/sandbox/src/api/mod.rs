//! The gateway's API routes (PAYKASSMA.md sections 2-9) and what they share: the `secret`
//! check, reading a request into one [`PhpValue`] object, and failure answers.

mod catalog;
mod deposits;
mod lookup;
mod orders;
mod withdrawals;

pub(crate) use deposits::{credit_now, payment_arrived};

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use paykassma::php::{self, PhpValue};

use crate::input::{query_to_php, trim_strings};
use crate::reply::{self, Fail};
use crate::state::SharedRef;

pub fn router(shared: SharedRef) -> Router {
    Router::new()
        .route("/api/v1/payment-plugin/hash-url", post(catalog::hash_url))
        .route("/api/v1/payment-systems/available", get(catalog::available))
        .route("/wallet-type/images/", get(catalog::images))
        .route("/storage/payment_system/logos/{file}", get(catalog::logo))
        .route("/storage/guide-image/{file}", get(catalog::guide_image))
        .route("/wallet-type/images", get(catalog::images))
        .route(
            "/api/v1/payment/save-transaction-custom-id",
            post(deposits::save_custom_id),
        )
        .route(
            "/api/v1/transaction/create/{wallet_type}",
            post(deposits::create),
        )
        .route("/api/v1/transaction/activate", post(deposits::activate))
        .route(
            "/api/v1/possible-transaction/activate",
            post(deposits::activate_manual),
        )
        .route("/api/v1/deposit-info", get(deposits::deposit_info))
        .route("/api/v1/payment/upi_s/status", post(orders::upi_s_status))
        .route(
            "/api/v1/payment/create/{payment_system}",
            post(orders::create),
        )
        .route("/v2/withdrawal/create", post(withdrawals::create))
        .route("/api/v1/postback", get(lookup::postback))
        .route("/api/v1/pullpostbacks", get(lookup::pullpostbacks))
        .route("/api/v1/accounts-balance", get(lookup::accounts_balance))
        .with_state(shared)
}

/// True when the query carries the right `secret`.
fn secret_ok(shared: &SharedRef, query: Option<&str>) -> bool {
    let Some(q) = query else { return false };
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "secret")
        .is_some_and(|(_, v)| shared.config.secret.ct_eq(&v))
}

/// A JSON body as Laravel reads it: not JSON or not an object means no input at all.
fn json_input(body: &Bytes) -> PhpValue<'static> {
    match php::parse(body) {
        Ok(v @ PhpValue::Map(_)) => trim_strings(&v),
        _ => PhpValue::Map(Vec::new()),
    }
}

/// GET input: the query string (PHP arrays) merged with a JSON body when one is sent, as
/// Laravel's `$request->all()` does. `secret` is not an input field.
fn get_input(query: Option<&str>, body: &Bytes) -> PhpValue<'static> {
    let mut input = trim_strings(&query_to_php(query.unwrap_or("")));
    input.remove("secret");
    if let PhpValue::Map(entries) = json_input(body) {
        for (k, v) in entries {
            input.insert(k, v);
        }
    }
    input
}

fn fail(shared: &SharedRef, f: impl Into<Fail>) -> Response {
    let status =
        StatusCode::from_u16(shared.config.error_http_status).unwrap_or(StatusCode::BAD_REQUEST);
    f.into().into_response_with(status)
}

fn ok_status() -> Response {
    reply::ok(&reply::obj([("status", reply::s("ok"))]))
}
