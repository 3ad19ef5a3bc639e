//! The user's money: balances per currency and the ledger, newest first, paged; and the paging
//! query every user listing parses (`limit`, `cursor`, and `status` for the histories).

use std::collections::BTreeMap;

use payments::money::at_scale;
use payments::store::PageRequest;
use payments::{Label, StateMachine};
use serde::Serialize;

use crate::Deps;
use crate::http::{ApiError, query_param};

/// Default and largest page of `GET /v1/ledger`.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BalanceView {
    pub available: String,
    pub held: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Balances {
    pub balances: BTreeMap<String, BalanceView>,
}

pub async fn balances(deps: &Deps, label: &Label) -> Result<Balances, ApiError> {
    let balances = deps
        .store
        .get_balances(label)
        .await?
        .into_iter()
        .map(|b| {
            (
                b.currency.code().to_string(),
                BalanceView {
                    available: at_scale(b.available, b.currency).to_string(),
                    held: at_scale(b.held, b.currency).to_string(),
                },
            )
        })
        .collect();
    Ok(Balances { balances })
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct EntryView {
    pub id: String,
    pub currency: String,
    /// Signed: credits positive, debits negative.
    pub amount: String,
    pub kind: &'static str,
    pub reference: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Ledger {
    pub entries: Vec<EntryView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Parses `limit` (1-100, default 20).
pub fn parse_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(ApiError::validation(
                "limit",
                "a whole number from 1 to 100",
            )),
        },
    }
}

/// A page request from the query's `limit` and `cursor` (empty = first page; an over-long one
/// is not ours).
pub fn page_request(limit: usize, cursor: Option<String>) -> Result<PageRequest, ApiError> {
    let cursor = cursor.filter(|c| !c.is_empty());
    if cursor.as_ref().is_some_and(|c| c.len() > 1024) {
        return Err(ApiError::validation("cursor", "not a cursor from this API"));
    }
    Ok(PageRequest { limit, cursor })
}

/// A listing's error: a cursor the store cannot read is the caller's 400.
pub fn cursor_error(e: payments::StoreError) -> ApiError {
    match e {
        payments::StoreError::Invalid(_) => {
            ApiError::validation("cursor", "not a cursor from this API")
        }
        e => e.into(),
    }
}

/// The query of a history listing (`GET /v1/deposits`, `GET /v1/withdrawals`): `limit` (1-100,
/// default 20), `cursor` (empty = the first page) and `status`, one of the machine `S`'s state
/// names (empty = every status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery<S> {
    pub limit: usize,
    pub cursor: Option<String>,
    pub status: Option<S>,
}

impl<S: StateMachine> HistoryQuery<S> {
    /// Parses the raw query string; a bad `limit` or an unknown `status` is 400 naming it.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let limit = parse_limit(query_param(query, "limit").as_deref())?;
        let status = match query_param(query, "status").filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => {
                let states = S::TRANSITIONS.iter().map(|(state, _)| *state);
                let found = states.clone().find(|state| state.name() == raw);
                let names = states.map(S::name).collect::<Vec<_>>().join(", ");
                Some(
                    found
                        .ok_or_else(|| ApiError::validation("status", format!("one of {names}")))?,
                )
            }
        };
        Ok(Self {
            limit,
            cursor: query_param(query, "cursor"),
            status,
        })
    }

    pub fn page(&self) -> Result<PageRequest, ApiError> {
        page_request(self.limit, self.cursor.clone())
    }
}

/// A history listing's error: its cursors belong to one user, one list and one status filter,
/// and any other is refused like a malformed one (400, nothing read).
pub fn history_cursor_error(e: payments::StoreError) -> ApiError {
    match e {
        payments::StoreError::Invalid(_) => ApiError::validation(
            "cursor",
            "not a cursor of this list (a cursor works only for the user, list and status filter that made it)",
        ),
        e => e.into(),
    }
}

pub async fn ledger(
    deps: &Deps,
    label: &Label,
    limit: usize,
    cursor: Option<String>,
) -> Result<Ledger, ApiError> {
    let page = deps
        .store
        .list_ledger(label, page_request(limit, cursor)?)
        .await
        .map_err(cursor_error)?;
    Ok(Ledger {
        entries: page
            .items
            .into_iter()
            .map(|e| EntryView {
                id: e.id,
                currency: e.currency.code().to_string(),
                amount: at_scale(e.amount, e.currency).to_string(),
                kind: e.kind.as_str(),
                reference: e.reference,
                created_at: e
                    .created_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            })
            .collect(),
        next_cursor: page.next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "x", "-1"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn history_queries_name_the_bad_field() {
        use payments::DepositStatus;
        let q = HistoryQuery::<DepositStatus>::parse(Some("limit=5&status=expired&cursor=abc"))
            .unwrap();
        assert_eq!(
            q,
            HistoryQuery {
                limit: 5,
                cursor: Some("abc".into()),
                status: Some(DepositStatus::Expired)
            }
        );
        let all = HistoryQuery::<DepositStatus>::parse(Some("status=")).unwrap();
        assert_eq!((all.limit, all.status), (DEFAULT_LIMIT, None));
        for (query, field) in [
            ("status=bogus", "status"),
            ("status=Pending", "status"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
        ] {
            match HistoryQuery::<DepositStatus>::parse(Some(query)) {
                Err(ApiError::Validation { fields, .. }) => {
                    assert!(fields.contains_key(field), "{query}: {fields:?}")
                }
                other => panic!("{query}: {other:?}"),
            }
        }
    }
}
