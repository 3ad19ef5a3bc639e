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
use crate::status::{DepositStatus, WithdrawalStatus};

pub const META: &str = "META";
pub const OPEN_DEPOSITS: &str = "OPEN#DEPOSIT";
pub const OPEN_WITHDRAWALS: &str = "OPEN#WITHDRAWAL";
pub const OPEN_UNBOOKED: &str = "OPEN#UNBOOKED";
pub const OPEN_ATTENTION: &str = "OPEN#ATTENTION";
pub const CONFIG: &str = "CONFIG";
pub const METHOD_PREFIX: &str = "METHOD#";
pub const PAYOUT_PREFIX: &str = "PAYOUT#";

/// A bound after every item's time: a queue listed "older than" this is listed whole.
pub const END_OF_TIME: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);
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

pub fn payout_sk(payment_system: &str) -> String {
    format!("{PAYOUT_PREFIX}{payment_system}")
}

pub fn cache_pk(key: &str) -> String {
    format!("CACHE#{key}")
}

/// A partition of the open-work index. Deposits and withdrawals are write-sharded: one lives
/// in `OPEN#DEPOSIT#<n>` (`OPEN#WITHDRAWAL#<n>`), `n` its id's hash modulo the shard count,
/// so creation is not capped by one index partition's write rate (about 1,000 per second).
/// `Legacy` is the unsharded `OPEN#DEPOSIT` of items written before sharding: still read,
/// never written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpenShard {
    Legacy,
    Shard(u16),
}

/// How many shards the open-work index has (`OPEN_INDEX_SHARDS`). Only ever raise it on a
/// live table: items sit in the shard their id hashed to when written, and a lower count
/// would no longer read the shards above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenShards(u16);

impl OpenShards {
    /// The most shards a reconcile run reads (each one query per run at least).
    pub const MAX: u16 = 64;
    pub const DEFAULT: Self = Self(8);

    pub fn new(count: u16) -> Result<Self, StoreError> {
        if (1..=Self::MAX).contains(&count) {
            Ok(Self(count))
        } else {
            Err(StoreError::Invalid(format!(
                "open-work shards must be 1-{}, not {count}",
                Self::MAX
            )))
        }
    }

    pub fn count(self) -> u16 {
        self.0
    }

    /// The shard `id` is written to: FNV-1a of the id (stable across builds and platforms,
    /// unlike the standard library's hasher), modulo the count.
    pub fn of(self, id: &str) -> OpenShard {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        OpenShard::Shard((hash % u64::from(self.0)) as u16)
    }

    /// Every partition to read: the legacy one, then each shard.
    pub fn all(self) -> impl Iterator<Item = OpenShard> {
        std::iter::once(OpenShard::Legacy).chain((0..self.0).map(OpenShard::Shard))
    }
}

/// The open-work index partition key of `shard` of a kind (`OPEN_DEPOSITS`, `OPEN_WITHDRAWALS`).
pub fn open_pk(kind: &str, shard: OpenShard) -> String {
    match shard {
        OpenShard::Legacy => kind.to_string(),
        OpenShard::Shard(n) => format!("{kind}#{n}"),
    }
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

/// Which history a cursor pages: a user's deposits or a user's withdrawals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryList {
    Deposits,
    Withdrawals,
}

impl HistoryList {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposits => "deposits",
            Self::Withdrawals => "withdrawals",
        }
    }

    /// The partition-key prefix of the list's items (`DEPOSIT#`, `WITHDRAWAL#`).
    pub fn pk_prefix(self) -> &'static str {
        match self {
            Self::Deposits => "DEPOSIT#",
            Self::Withdrawals => "WITHDRAWAL#",
        }
    }
}

/// What a history cursor belongs to: whose list, which list, which status filter. A cursor
/// made for one scope is refused in any other (another user's, the other list, another filter).
#[derive(Debug, Clone, Copy)]
pub struct HistoryScope<'a> {
    pub label: &'a Label,
    pub list: HistoryList,
    /// The status filter's stored name, `None` for every status.
    pub status: Option<&'static str>,
}

impl<'a> HistoryScope<'a> {
    /// `label`'s deposits, of `status` or all.
    pub fn deposits(label: &'a Label, status: Option<DepositStatus>) -> Self {
        Self {
            label,
            list: HistoryList::Deposits,
            status: status.map(DepositStatus::as_str),
        }
    }

    /// `label`'s withdrawals, of `status` or all.
    pub fn withdrawals(label: &'a Label, status: Option<WithdrawalStatus>) -> Self {
        Self {
            label,
            list: HistoryList::Withdrawals,
            status: status.map(WithdrawalStatus::as_str),
        }
    }
}

/// Where a history page ended: the last item's creation time ([`sort_time`]) and id. Histories
/// are ordered by (creation time, id), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPosition {
    pub created_at: String,
    pub id: String,
}

const HISTORY_CURSOR: &str = "h1";

/// The scope's tag over a position: a name-based UUID (SHA-1, as [`DepositId::for_request`]
/// derives ids) of label, list, filter and position. It tells cursors of different scopes apart;
/// it is not a secret. Access does not rest on it: every history query is keyed on the
/// caller's own label, so a forged cursor can only move a caller within their own list.
fn history_tag(scope: &HistoryScope<'_>, pos: &HistoryPosition) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5d1c_7a0e_93b4_4e21_a8f6_0c2d_7b91_e4a3);
    let name = [
        scope.label.as_str(),
        scope.list.as_str(),
        scope.status.unwrap_or("*"),
        &pos.created_at,
        &pos.id,
    ]
    .join("\u{0}");
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes())
        .simple()
        .to_string()
}

/// The opaque cursor after `pos` in `scope`'s history: `h1#<time>#<id>#<tag>`, base64url.
pub fn encode_history_cursor(scope: &HistoryScope<'_>, pos: &HistoryPosition) -> String {
    let tag = history_tag(scope, pos);
    encode_cursor(&format!(
        "{HISTORY_CURSOR}#{}#{}#{tag}",
        pos.created_at, pos.id
    ))
}

/// The position a cursor of `scope` names; `Invalid` for anything else (malformed, or made
/// for another user, list or status filter).
pub fn decode_history_cursor(
    cursor: &str,
    scope: &HistoryScope<'_>,
) -> Result<HistoryPosition, StoreError> {
    let bad = || StoreError::Invalid("bad page cursor".into());
    let text = decode_cursor(cursor, HISTORY_CURSOR)?;
    let mut parts = text.split('#');
    let (Some(HISTORY_CURSOR), Some(created_at), Some(id), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let id_ok = match scope.list {
        HistoryList::Deposits => DepositId::parse(id).is_ok(),
        HistoryList::Withdrawals => WithdrawalId::parse(id).is_ok(),
    };
    if parse_sort_time(created_at).is_none() || !id_ok {
        return Err(bad());
    }
    let pos = HistoryPosition {
        created_at: created_at.to_string(),
        id: id.to_string(),
    };
    if history_tag(scope, &pos) != tag {
        return Err(bad());
    }
    Ok(pos)
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

    #[test]
    fn shards_are_stable_and_spread_ids_evenly() {
        let shards = OpenShards::new(8).unwrap();
        // Pinned: a change of hash would strand every open item of a live table.
        assert_eq!(
            shards.of("d0000000000000000000000000000000"),
            shards.of("d0000000000000000000000000000000")
        );
        assert_eq!(
            OpenShards::new(8).unwrap().of("dep-1"),
            OpenShard::Shard(fnv_mod("dep-1", 8))
        );
        let mut counts = [0u32; 8];
        for i in 0..8_000 {
            let id = format!("d{:032x}", u128::from(i as u32) * 0x9e37_79b9_7f4a_7c15);
            let OpenShard::Shard(n) = shards.of(&id) else {
                panic!("never legacy")
            };
            counts[n as usize] += 1;
        }
        for c in counts {
            assert!((800..=1200).contains(&c), "{counts:?}");
        }
        assert_eq!(
            shards.all().collect::<Vec<_>>()[..3],
            [OpenShard::Legacy, OpenShard::Shard(0), OpenShard::Shard(1)]
        );
        assert_eq!(
            open_pk(OPEN_DEPOSITS, OpenShard::Shard(3)),
            "OPEN#DEPOSIT#3"
        );
        assert_eq!(open_pk(OPEN_DEPOSITS, OpenShard::Legacy), "OPEN#DEPOSIT");
        assert!(OpenShards::new(0).is_err() && OpenShards::new(65).is_err());
    }

    fn fnv_mod(s: &str, n: u64) -> u16 {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        (h % n) as u16
    }

    #[test]
    fn history_cursors_work_only_in_their_own_scope() {
        let alice = Label::parse("alice").unwrap();
        let bob = Label::parse("bob").unwrap();
        let scope = |label, list, status| HistoryScope {
            label,
            list,
            status,
        };
        let mine = scope(&alice, HistoryList::Deposits, None);
        let pos = HistoryPosition {
            created_at: "2026-01-02T03:04:05.000007Z".into(),
            id: "d0123".into(),
        };
        let c = encode_history_cursor(&mine, &pos);
        assert_eq!(decode_history_cursor(&c, &mine).unwrap(), pos);
        for other in [
            scope(&bob, HistoryList::Deposits, None),
            scope(&alice, HistoryList::Withdrawals, None),
            scope(&alice, HistoryList::Deposits, Some("pending")),
        ] {
            assert!(decode_history_cursor(&c, &other).is_err(), "{other:?}");
        }
        // A position edited by hand no longer matches its tag; other cursors are not history ones.
        let text = decode_cursor(&c, "").unwrap();
        let edited = encode_cursor(&text.replace("d0123", "d0124"));
        assert!(decode_history_cursor(&edited, &mine).is_err());
        assert!(decode_history_cursor(&encode_cursor("LEDGER#x"), &mine).is_err());
        assert!(decode_history_cursor("%%%", &mine).is_err());
    }
}
