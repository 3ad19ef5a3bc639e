//! Sections 8 (looking postbacks up: `postback`, `pullpostbacks` with pagination) and 9
//! (`accounts-balance`). Postbacks are shown without `signature` and `access_key`, as in the
//! seed examples.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use paykassma::php::PhpValue;

use super::{fail, get_input, secret_ok};
use crate::input::{Input, Len};
use crate::reply::{self, Fail, number_text, obj, s};
use crate::state::{Direction, SharedRef, State as Store};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deposit,
    Withdrawal,
}

fn kind(input: &mut Input<'_>) -> Option<Kind> {
    match input.string("type", Len::Max(190))?.as_str() {
        "deposit" => Some(Kind::Deposit),
        "withdrawal" => Some(Kind::Withdrawal),
        _ => {
            input.errors.add("type", "The selected type is invalid.");
            None
        }
    }
}

fn latest_deposit(
    st: &Store,
    matches: impl Fn(&crate::state::StoredPostback) -> bool,
) -> Option<&PhpValue<'static>> {
    st.postbacks
        .iter()
        .rev()
        .find(|p| p.direction == Direction::Ingoing && matches(p))
        .map(|p| &p.lookup_body)
}

fn latest_withdrawal<'a>(st: &'a Store, id: &str) -> Option<&'a PhpValue<'static>> {
    st.postbacks
        .iter()
        .rev()
        .find(|p| p.direction == Direction::Outgoing && p.withdrawal_id.as_deref() == Some(id))
        .map(|p| &p.lookup_body)
}

/// `GET /api/v1/postback`: `type=deposit` with `transaction_id` or `custom_id`, or
/// `type=withdrawal` with `withdrawal_id`.
pub async fn postback(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(false);
    }
    let data = get_input(query.as_deref(), &body);
    let mut input = Input::new(&data);
    let kind = kind(&mut input);
    let transaction_id = input.opt_string("transaction_id", Len::Max(190));
    let custom_id = input.opt_string("custom_id", Len::Max(190));
    let withdrawal_id = input.opt_string("withdrawal_id", Len::Max(190));
    match kind {
        Some(Kind::Deposit)
            if transaction_id.is_none() && custom_id.is_none() && input.errors.is_empty() =>
        {
            input.errors.add(
                "transaction_id",
                "The transaction id field is required when custom id is not present.",
            );
        }
        Some(Kind::Withdrawal) if withdrawal_id.is_none() && input.errors.is_empty() => {
            input.errors.add(
                "withdrawal_id",
                "The withdrawal id field is required when type is withdrawal.",
            );
        }
        _ => {}
    }
    if let Err(e) = input.finish() {
        return fail(&shared, e);
    }
    let found = {
        let st = shared.lock();
        match kind {
            Some(Kind::Deposit) => latest_deposit(&st, |p| {
                transaction_id
                    .as_ref()
                    .is_some_and(|t| p.transaction_ids.contains(t))
                    || custom_id.as_ref().is_some_and(|c| p.custom_ids.contains(c))
            })
            .cloned(),
            Some(Kind::Withdrawal) => withdrawal_id
                .as_deref()
                .and_then(|id| latest_withdrawal(&st, id))
                .cloned(),
            None => None,
        }
    };
    match found {
        Some(pb) => reply::ok(&obj([("status", s("ok")), ("postback", pb)])),
        None => fail(&shared, Fail::msg("Postback not found")),
    }
}

fn non_negative(input: &mut Input<'_>, name: &str) -> Option<usize> {
    let v = input.raw(name)?;
    let parsed = match v {
        PhpValue::String(t) => t.parse::<usize>().ok(),
        PhpValue::Number(n) => n.as_str().parse::<usize>().ok(),
        _ => None,
    };
    if parsed.is_none() {
        input
            .errors
            .add(name, format!("The {name} must be an integer."));
    }
    parsed
}

/// `GET /api/v1/pullpostbacks`: one item per requested id, `offset`/`limit` paginated.
/// `limit` defaults to the number of ids, capped at `pullpostbacks_max_limit`.
pub async fn pullpostbacks(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(true);
    }
    let data = get_input(query.as_deref(), &body);
    let mut input = Input::new(&data);
    let kind = kind(&mut input);
    let field = match kind {
        Some(Kind::Deposit) => Some("plugin_custom_order_id"),
        Some(Kind::Withdrawal) => Some("withdrawal_id"),
        None => None,
    };
    let ids = match field {
        Some(f) if !input.present(f) => {
            let when = if f == "withdrawal_id" {
                "withdrawal"
            } else {
                "deposit"
            };
            input.errors.add(
                f,
                format!(
                    "The {} field is required when type is {when}.",
                    crate::input::human(f)
                ),
            );
            None
        }
        Some(f) => input.string_list(f),
        None => None,
    };
    let offset = non_negative(&mut input, "offset").unwrap_or(0);
    let limit = non_negative(&mut input, "limit");
    if limit == Some(0) {
        input.errors.add("limit", "The limit must be at least 1.");
    }
    if let Err(e) = input.finish() {
        return fail(&shared, e);
    }
    let (Some(kind), Some(mut ids)) = (kind, ids) else {
        return fail(&shared, Fail::msg("Data validation error"));
    };
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    let total = ids.len();
    let max = shared.config.pullpostbacks_max_limit.max(1);
    let limit = limit.unwrap_or(total).clamp(1, max);
    let st = shared.lock();
    // A gateway that ignores `offset` answers the first page every time.
    let offset = match st.behaviour.paging {
        crate::state::Paging::Honoured => offset,
        crate::state::Paging::Ignored => 0,
    };
    let page: Vec<&String> = ids.iter().skip(offset).take(limit).collect();
    let items: Vec<PhpValue> = page
        .into_iter()
        .map(|id| {
            let (key, found, missing) = match kind {
                Kind::Deposit => (
                    "plugin_custom_order_id",
                    latest_deposit(&st, |p| p.custom_ids.contains(id)),
                    "Postback not found",
                ),
                Kind::Withdrawal => {
                    let exists = st.withdrawals.iter().any(|w| &w.withdrawal_id == id);
                    let missing = match (st.behaviour.withdrawal_lookup, exists) {
                        (crate::state::WithdrawalLookup::Documented, true)
                        | (crate::state::WithdrawalLookup::PostbackNotFound, _) => {
                            "Postback not found"
                        }
                        _ => "Withdrawal with this ID not found",
                    };
                    ("withdrawal_id", latest_withdrawal(&st, id), missing)
                }
            };
            match found {
                Some(pb) => obj([(key, s(id.as_str())), ("postback", pb.clone())]),
                None => obj([(key, s(id.as_str())), ("message", s(missing))]),
            }
        })
        .collect();
    drop(st);
    let list_key = if kind == Kind::Deposit {
        "transactions"
    } else {
        "withdrawals"
    };
    let paginate = obj([
        ("offset", PhpValue::int(offset as i64)),
        ("total", PhpValue::int(total as i64)),
        ("limit", PhpValue::int(limit as i64)),
    ]);
    let data = PhpValue::Map(vec![(list_key.into(), PhpValue::List(items))]);
    reply::ok(&reply::success(data, Some(paginate)))
}

/// `GET /api/v1/accounts-balance`: every balance row, amounts as numbers keeping their scale.
pub async fn accounts_balance(
    State(shared): State<SharedRef>,
    RawQuery(query): RawQuery,
) -> Response {
    if !secret_ok(&shared, query.as_deref()) {
        return reply::not_found(true);
    }
    let balances = shared
        .lock()
        .balances
        .iter()
        .map(|b| {
            obj([
                ("wallet_type", s(b.wallet_type.as_str())),
                ("currency_code", s(b.currency_code.as_str())),
                ("amount", number_text(b.amount)),
            ])
        })
        .collect();
    reply::ok(&reply::success(
        obj([("balances", PhpValue::List(balances))]),
        None,
    ))
}
