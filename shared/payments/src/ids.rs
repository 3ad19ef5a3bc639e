//! Validated identifiers: the user's `label`, our deposit ids (the gateway's
//! `custom_transaction_id`) and withdrawal ids (the gateway's `withdrawal_id`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} is longer than {max} characters")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} contains a character that is not allowed")]
    BadCharacter { what: &'static str },
}

/// The gateway's user label: trimmed (the gateway rejects surrounding spaces), 1..=190
/// characters, no control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Label(String);

impl Label {
    pub const MAX_CHARS: usize = 190;

    /// Trims surrounding whitespace and checks the rest.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let what = "label";
        let s = raw.trim();
        if s.is_empty() {
            return Err(IdError::Empty { what });
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(IdError::TooLong {
                what,
                max: Self::MAX_CHARS,
            });
        }
        if s.chars().any(char::is_control) {
            return Err(IdError::BadCharacter { what });
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stable id for a client's retry: the same (label, Idempotency-Key) always gives the same id,
/// so a retried request can never create a second deposit or withdrawal at the gateway.
fn derived(prefix: char, kind: &str, label: &Label, idempotency_key: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x0b6f_3c5e_8d21_4a7f_b0c4_51e2_9d3a_6e18);
    let name = format!("{kind}\u{1f}{}\u{1f}{idempotency_key}", label.as_str());
    format!(
        "{prefix}{}",
        uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).simple()
    )
}

/// Ids we generate and send to the gateway: ASCII letters, digits, `-` and `_` only, so they
/// are URL-safe and can sit in keys and query strings unescaped.
fn check_token(raw: &str, what: &'static str, max: usize) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty { what });
    }
    if raw.len() > max {
        return Err(IdError::TooLong { what, max });
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(IdError::BadCharacter { what });
    }
    Ok(())
}

/// Our deposit id, sent as `custom_transaction_id` (which must never repeat at the gateway):
/// `d` + the 32 hex digits of a UUIDv7 when we generate it; up to 64 URL-safe characters when parsed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DepositId(String);

impl DepositId {
    pub const MAX_LEN: usize = 64;

    pub fn generate() -> Self {
        Self(format!("d{}", uuid::Uuid::now_v7().simple()))
    }

    /// The id for a client request carrying `Idempotency-Key`: stable across its retries.
    pub fn for_request(label: &Label, idempotency_key: &str) -> Self {
        Self(derived('d', "deposit", label, idempotency_key))
    }

    pub fn parse(raw: &str) -> Result<Self, IdError> {
        check_token(raw, "deposit id", Self::MAX_LEN)?;
        Ok(Self(raw.to_string()))
    }

    /// The `custom_transaction_id` of attempt `n` at the gateway, which never takes one twice:
    /// the bare id for the first, `<id>_<n>` after (generated ids hold no `_`).
    pub fn order_ref(&self, n: u32) -> String {
        if n <= 1 {
            self.0.clone()
        } else {
            format!("{}_{n}", self.0)
        }
    }

    /// The deposit a later attempt's `custom_transaction_id` names (`<id>_<n>`, n >= 2), or
    /// `None` when `order_ref` has no attempt suffix. The bare id is tried as itself first.
    pub fn of_order_ref(order_ref: &str) -> Option<(Self, u32)> {
        let (id, n) = order_ref.rsplit_once('_')?;
        let n: u32 = n.parse().ok().filter(|n| *n >= 2)?;
        if n.to_string() != order_ref[id.len() + 1..] {
            return None;
        }
        Self::parse(id).ok().map(|id| (id, n))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Our withdrawal id, sent as `withdrawal_id` (1..=36 at the gateway): `w` + 32 hex digits of a
/// UUIDv7 when generated (33 characters, time-ordered).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct WithdrawalId(String);

impl WithdrawalId {
    pub const MAX_LEN: usize = 36;

    pub fn generate() -> Self {
        Self(format!("w{}", uuid::Uuid::now_v7().simple()))
    }

    /// The id for a client request carrying `Idempotency-Key`: stable across its retries.
    pub fn for_request(label: &Label, idempotency_key: &str) -> Self {
        Self(derived('w', "withdrawal", label, idempotency_key))
    }

    pub fn parse(raw: &str) -> Result<Self, IdError> {
        check_token(raw, "withdrawal id", Self::MAX_LEN)?;
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_id_impls {
    ($($t:ident),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($t), self.0)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl std::str::FromStr for $t {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    )*};
}
string_id_impls!(Label, DepositId, WithdrawalId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(Label::parse("  user-55 ").unwrap().as_str(), "user-55");
        assert_eq!(Label::parse("   "), Err(IdError::Empty { what: "label" }));
        assert_eq!(
            Label::parse(&"é".repeat(190))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            190
        );
        assert!(matches!(
            Label::parse(&"a".repeat(191)),
            Err(IdError::TooLong { max: 190, .. })
        ));
        assert!(matches!(
            Label::parse("a\u{0}b"),
            Err(IdError::BadCharacter { .. })
        ));
        assert!(matches!(
            Label::parse("a\nb"),
            Err(IdError::BadCharacter { .. })
        ));
    }

    #[test]
    fn generated_ids_fit_the_gateway_limits_and_differ() {
        let (a, b) = (DepositId::generate(), DepositId::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 33);
        assert_eq!(DepositId::parse(a.as_str()).unwrap(), a);
        let w = WithdrawalId::generate();
        assert!(w.as_str().len() <= 36 && w.as_str().starts_with('w'));
        assert_eq!(WithdrawalId::parse(w.as_str()).unwrap(), w);
    }

    #[test]
    fn request_ids_are_stable_per_label_and_key() {
        let (a, b) = (Label::parse("u1").unwrap(), Label::parse("u2").unwrap());
        assert_eq!(
            DepositId::for_request(&a, "k1"),
            DepositId::for_request(&a, "k1")
        );
        assert_ne!(
            DepositId::for_request(&a, "k1"),
            DepositId::for_request(&a, "k2")
        );
        assert_ne!(
            DepositId::for_request(&a, "k1"),
            DepositId::for_request(&b, "k1")
        );
        let w = WithdrawalId::for_request(&a, "k1");
        assert_eq!(WithdrawalId::parse(w.as_str()).unwrap(), w);
        assert!(w.as_str().len() <= WithdrawalId::MAX_LEN && w.as_str().starts_with('w'));
        assert_ne!(
            w.as_str()[1..],
            DepositId::for_request(&a, "k1").as_str()[1..]
        );
    }

    #[test]
    fn attempt_refs_map_back_to_their_deposit() {
        let id = DepositId::generate();
        assert_eq!(id.order_ref(1), id.as_str());
        let second = id.order_ref(2);
        assert_eq!(second, format!("{id}_2"));
        assert_eq!(DepositId::of_order_ref(&second), Some((id.clone(), 2)));
        assert_eq!(DepositId::of_order_ref(id.as_str()), None);
        for bad in [
            format!("{id}_1"),
            format!("{id}_02"),
            format!("{id}_x"),
            "_3".into(),
        ] {
            assert_eq!(DepositId::of_order_ref(&bad), None, "{bad}");
        }
        assert!(second.len() <= DepositId::MAX_LEN);
    }

    #[test]
    fn parsed_ids_are_url_safe_and_bounded() {
        assert!(DepositId::parse(&"a".repeat(64)).is_ok());
        assert!(matches!(
            DepositId::parse(&"a".repeat(65)),
            Err(IdError::TooLong { .. })
        ));
        assert!(matches!(
            DepositId::parse("a b"),
            Err(IdError::BadCharacter { .. })
        ));
        assert!(matches!(
            DepositId::parse("a/b"),
            Err(IdError::BadCharacter { .. })
        ));
        assert!(matches!(
            WithdrawalId::parse(&"a".repeat(37)),
            Err(IdError::TooLong { .. })
        ));
        assert!(matches!(
            WithdrawalId::parse(""),
            Err(IdError::Empty { .. })
        ));
        assert!(serde_json::from_str::<WithdrawalId>("\"w#1\"").is_err());
    }
}
