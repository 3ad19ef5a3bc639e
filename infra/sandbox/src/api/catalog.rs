//! Section 2 (redirect URL hashing) and section 3 (available payment systems, media hints).

use std::time::Instant;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::response::Response;
use bytes::Bytes;
use paykassma::client::limit_family;
use paykassma::php::PhpValue;
use rand::Rng;
use rust_decimal::Decimal;

use super::{fail, get_input, json_input, secret_ok};
use crate::input::{Input, Len};
use crate::reply::{self, FieldErrors, currency_symbol, obj, s};
use crate::state::{HashRecord, LimitsKeys, LimitsUnit, SharedRef};

/// `POST /api/v1/payment-plugin/hash-url`: 64-hex hashes per URL, listed by `order`, valid for
/// `hash_lifetime`. One of `success_urls` / `fail_urls` may be empty, not both.
pub async fn hash_url(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = json_input(&body);
    let mut errors = FieldErrors::default();
    let mut lists = Vec::new();
    for (field, out) in [
        ("success_urls", "success_url"),
        ("fail_urls", "fail_url"),
        ("pending_urls", "pending_url"),
    ] {
        let items = match data.get(field) {
            None | Some(PhpValue::Null) => Vec::new(),
            Some(PhpValue::List(items)) => items.clone(),
            Some(_) => {
                errors.add(
                    field,
                    format!("The {} must be an array.", field.replace('_', " ")),
                );
                Vec::new()
            }
        };
        let mut urls = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut input = Input::new(item);
            let order = match input.raw("order") {
                Some(PhpValue::Number(n)) => n.as_str().parse::<i64>().ok(),
                Some(PhpValue::String(t)) => t.parse::<i64>().ok(),
                _ => None,
            };
            let url = input.url("url");
            match order {
                Some(order) => {
                    if let Some(url) = url {
                        urls.push((order, url));
                    }
                }
                None => errors.add(
                    &format!("{field}.{i}.order"),
                    format!("The {field}.{i}.order must be an integer."),
                ),
            }
            for (f, msgs) in input.errors.0 {
                for m in msgs {
                    errors.add(
                        &format!("{field}.{i}.{f}"),
                        m.replace(&format!("The {f} "), &format!("The {field}.{i}.{f} ")),
                    );
                }
            }
        }
        urls.sort_by_key(|(order, _)| *order);
        lists.push((out, urls));
    }
    if lists[0].1.is_empty() && lists[1].1.is_empty() && errors.is_empty() {
        errors.add(
            "success_urls",
            "The success urls field is required when fail urls is empty.",
        );
    }
    if !errors.is_empty() {
        return fail(&shared, errors);
    }
    let expires = Instant::now() + shared.config.hash_lifetime;
    let mut st = shared.lock();
    let mut urls_out = Vec::new();
    for (out, urls) in lists {
        let mut hashed = Vec::new();
        for (order, url) in urls {
            let hash = hex::encode(rand::rng().random::<[u8; 32]>());
            st.hashes.insert(hash.clone(), HashRecord { url, expires });
            hashed.push(obj([("order", PhpValue::int(order)), ("url", s(hash))]));
        }
        urls_out.push((out.to_string().into(), PhpValue::List(hashed)));
    }
    reply::ok(&obj([
        ("status", s("ok")),
        ("urls", PhpValue::Map(urls_out)),
    ]))
}

/// `GET /api/v1/payment-systems/available`: the configured wallets accepting any of the
/// requested currencies (minus those hidden from the label), with limits keyed and counted as
/// the behaviour says (by family in major units, as the documents' example shows), and
/// `is_manual`.
pub async fn available(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = get_input(query.as_deref(), &body);
    let mut input = Input::new(&data);
    let currencies = if input.require("currency_code") {
        input.string_list("currency_code")
    } else {
        None
    };
    let label = input.string("label", Len::Max(190));
    if let Some(cs) = &currencies {
        for (i, c) in cs.iter().enumerate() {
            if c.chars().count() != 3 {
                input.errors.add(
                    &format!("currency_code.{i}"),
                    format!("The currency_code.{i} must be 3 characters."),
                );
            }
        }
    }
    if let Err(e) = input.finish() {
        return fail(&shared, e);
    }
    let currencies = currencies.unwrap_or_default();
    let (behaviour, hidden) = {
        let st = shared.lock();
        let hidden = label
            .as_ref()
            .and_then(|l| st.hidden_methods.get(l).cloned())
            .unwrap_or_default();
        (st.behaviour, hidden)
    };
    let base = &shared.base_url;
    let mut currency_data = Vec::new();
    for c in &currencies {
        currency_data.push(obj([
            ("code", s(c.as_str())),
            ("symbol", s(currency_symbol(c))),
        ]));
    }
    let mut wallets = Vec::new();
    let mut limits = Vec::new();
    let mut gif = Vec::new();
    for (order, w) in shared.config.wallets.iter().enumerate() {
        if hidden.contains(&w.wallet_type) {
            continue;
        }
        let accepted: Vec<&String> = w.limits.keys().filter(|c| currencies.contains(c)).collect();
        let Some(first) = accepted.first() else {
            continue;
        };
        wallets.push(obj([
            ("type", s(w.wallet_type.as_str())),
            ("order", PhpValue::int(order as i64 + 1)),
            (
                "logo",
                s(format!(
                    "{base}/storage/payment_system/logos/{}.svg",
                    w.wallet_type
                )),
            ),
            ("name", s(w.name.as_str())),
            ("is_manual", PhpValue::Bool(w.is_manual)),
            ("uploading_payment_bill", PhpValue::Bool(w.is_manual)),
            ("currency_code", s(first.as_str())),
            (
                "hints",
                PhpValue::List(vec![
                    obj([("type", s("requisites_hint")), ("text", PhpValue::Null)]),
                    obj([("type", s("payment_hint")), ("text", PhpValue::Null)]),
                ]),
            ),
            ("show_limits", PhpValue::Bool(true)),
        ]));
        // Every currency the sandbox offers (INR, BDT, USD, MYR) has two decimals.
        let number = |d: Decimal| match behaviour.limits_unit {
            LimitsUnit::Major => d.to_string(),
            LimitsUnit::Minor => (d * Decimal::from(100)).to_string(),
        };
        let per_currency = accepted
            .iter()
            .filter_map(|c| w.limits.get(*c).map(|l| (c.to_string(), l)))
            .map(|(c, l)| {
                let limit = obj([("min", s(number(l.min))), ("max", s(number(l.max)))]);
                (c.into(), limit)
            })
            .collect();
        let key = match behaviour.limits_keys {
            LimitsKeys::Family => {
                limit_family(&w.wallet_type).map_or_else(|| w.wallet_type.clone(), str::to_string)
            }
            LimitsKeys::WalletType => w.wallet_type.clone(),
        };
        // A family shows its first method's limits.
        if !limits.iter().any(|(k, _)| *k == key) {
            limits.push((key.into(), PhpValue::Map(per_currency)));
        }
        gif.push((
            w.wallet_type.clone().into(),
            s(format!("{base}/storage/guide-image/{}.gif", w.wallet_type)),
        ));
    }
    reply::ok(&obj([
        ("status", s("ok")),
        (
            "params",
            obj([
                ("gif_guide", PhpValue::Map(gif)),
                ("currency_data", PhpValue::List(currency_data)),
                ("wallets", PhpValue::List(wallets)),
                ("limits", PhpValue::Map(limits)),
            ]),
        ),
    ]))
}

/// `GET /wallet-type/images/`: a guide video or image per wallet type.
pub async fn images(State(shared): State<SharedRef>) -> Response {
    let base = &shared.base_url;
    let data = shared
        .config
        .wallets
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let item = obj([
                ("id", PhpValue::int(i as i64 + 486)),
                (
                    "url",
                    s(format!("{base}/storage/guide-image/{}.mp4", w.wallet_type)),
                ),
            ]);
            (w.wallet_type.clone().into(), item)
        })
        .collect();
    reply::ok(&reply::success(PhpValue::Map(data), None))
}

/// `GET /storage/payment_system/logos/{wallet}.svg`: a plain badge for a wallet the sandbox
/// offers, so the `logo` URLs of the method list answer like the gateway's.
pub async fn logo(State(shared): State<SharedRef>, Path(file): Path<String>) -> Response {
    let Some(wallet) = file
        .strip_suffix(".svg")
        .and_then(|w| shared.config.wallet(w))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let name: String = wallet
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect width="120" height="40" rx="6" fill="#1f3b73"/><text x="60" y="25" font-family="sans-serif" font-size="14" fill="#fff" text-anchor="middle">{name}</text></svg>"##
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

/// A 1x1 transparent GIF: the sandbox's guide image for every wallet.
const GUIDE_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// `GET /storage/guide-image/{wallet}.gif`: the how-to-pay GIF the method list points at.
pub async fn guide_image(State(shared): State<SharedRef>, Path(file): Path<String>) -> Response {
    match file
        .strip_suffix(".gif")
        .and_then(|w| shared.config.wallet(w))
    {
        Some(_) => ([(header::CONTENT_TYPE, "image/gif")], GUIDE_GIF).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
