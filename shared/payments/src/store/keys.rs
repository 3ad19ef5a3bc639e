//! Item keys of the single table, fixed-width sortable timestamps and opaque page cursors.
//! Shared by both adapters, so their ordering and cursors agree.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::StoreError;
use crate::ids::{DepositId, Label, WithdrawalId};
use crate::money::Currency;

pub const META: &str = "META";
pub const OPEN_DEPOSITS: &str = "OPEN#DEPOSIT";
pub const OPEN_WITHDRAWALS: &str = "OPEN#WITHDRAWAL";
pub const OPEN_UNBOOKED: &str = "OPEN#UNBOOKED";
pub const OPEN_ATTENTION: &str = "OPEN#ATTENTION";
pub const CONFIG: &str = "CONFIG";
pub const METHOD_PREFIX: &str = "METHOD#";
pub const BALANCE_PREFIX: &str = "BALANCE#";
pub const LEDGER_PREFIX: &str = "LEDGER#";

const SORT_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// `2026-11-23T13:27:00.123456Z`: fixed width, so text order is time order.
pub fn sort_time(t: OffsetDateTime) -> String {
    let utc = t.to_offset(time::UtcOffset::UTC);
    // The format has no fallible components for a UTC time in years 0..=9999.
    utc.format(SORT_TIME)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

pub fn parse_sort_time(s: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, SORT_TIME)
        .ok()
        .map(|p| p.assume_utc())
}

/// Times kept in records are truncated to microseconds (what [`sort_time`] holds), so a record
/// reads back equal to what was written whatever the adapter.
pub fn trunc_micros(t: OffsetDateTime) -> OffsetDateTime {
    let utc = t.to_offset(time::UtcOffset::UTC);
    utc.replace_nanosecond(utc.nanosecond() / 1000 * 1000)
        .unwrap_or(utc)
}

pub fn deposit_pk(id: &DepositId) -> String {
    format!("DEPOSIT#{id}")
}

pub fn withdrawal_pk(id: &WithdrawalId) -> String {
    format!("WITHDRAWAL#{id}")
}

pub fn user_pk(label: &Label) -> String {
    format!("USER#{label}")
}

pub fn balance_sk(currency: Currency) -> String {
    format!("{BALANCE_PREFIX}{currency}")
}

pub fn ledger_sk(at: OffsetDateTime, entry_id: &str) -> String {
    format!("{LEDGER_PREFIX}{}#{entry_id}", sort_time(at))
}

pub fn postback_pk(dedupe_key: &str) -> String {
    format!("POSTBACK#{dedupe_key}")
}

pub fn unbooked_pk(key: &str) -> String {
    format!("UNBOOKED#{key}")
}

pub fn attention_pk(id: &str) -> String {
    format!("ATTENTION#{id}")
}

pub fn idempotency_pk(scope: &str, key: &str) -> String {
    format!("IDEMP#{scope}#{key}")
}

pub fn method_sk(wallet_type: &str) -> String {
    format!("{METHOD_PREFIX}{wallet_type}")
}

pub fn cache_pk(key: &str) -> String {
    format!("CACHE#{key}")
}

/// The open-work index sort key: creation time, then id (unique).
pub fn open_sk(created_at: OffsetDateTime, id: &str) -> String {
    format!("{}#{id}", sort_time(created_at))
}

/// The id at the end of an open-work sort key.
pub fn id_of_open_sk(sk: &str) -> Option<&str> {
    sk.split_once('#').map(|(_, id)| id)
}

/// A cursor is the last returned item's sort key, base64url-encoded: opaque to callers.
pub fn encode_cursor(sort_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(sort_key.as_bytes())
}

pub fn decode_cursor(cursor: &str, expected_prefix: &str) -> Result<String, StoreError> {
    let bad = || StoreError::Invalid("bad page cursor".into());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    if !s.starts_with(expected_prefix) {
        return Err(bad());
    }
    Ok(s)
}

/// Page sizes callers may ask for.
pub fn check_limit(limit: usize) -> Result<i32, StoreError> {
    if limit == 0 || limit > 1000 {
        return Err(StoreError::Invalid("page limit must be 1..=1000".into()));
    }
    Ok(limit as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sort_time_is_fixed_width_and_round_trips() {
        let t = datetime!(2026-01-02 03:04:05.000_007 UTC);
        assert_eq!(sort_time(t), "2026-01-02T03:04:05.000007Z");
        assert_eq!(parse_sort_time(&sort_time(t)), Some(t));
        let later = datetime!(2026-01-02 03:04:05.1 UTC);
        assert!(sort_time(t) < sort_time(later));
        let offset = datetime!(2026-01-02 11:04:05 +08:00);
        assert_eq!(sort_time(offset), "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn cursors_are_opaque_and_checked() {
        let c = encode_cursor("2026-01-02T03:04:05.000007Z#d1");
        assert_eq!(
            decode_cursor(&c, "2026").unwrap(),
            "2026-01-02T03:04:05.000007Z#d1"
        );
        assert!(decode_cursor(&c, "LEDGER#").is_err());
        assert!(decode_cursor("%%%", "").is_err());
        assert_eq!(id_of_open_sk("2026-01-02T03:04:05.000007Z#d1"), Some("d1"));
    }
}
