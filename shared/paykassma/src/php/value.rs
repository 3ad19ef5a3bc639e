//! The JSON value tree as the gateway's PHP sees it, keeping what signatures depend on:
//! object key order as received and the exact text of every number. A parsed tree borrows its
//! strings, keys and number text from the received bytes (no allocation per token); a tree we
//! build owns them, and [`PhpValue::into_owned`] detaches a parsed one.

use std::borrow::Cow;

use super::float;

/// A JSON number kept as the text it arrived as (or as PHP's `json_encode` would print it, when
/// we build one). Signatures hash that text, so it is never re-formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawNumber<'a>(Cow<'a, str>);

/// What PHP's `json_decode` makes of a number: an `int` when the text is an integer that fits
/// in 64 bits, a `float` otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PhpNumber {
    Int(i64),
    Float(f64),
}

impl<'a> RawNumber<'a> {
    /// Wraps number text the parser has already validated as a JSON number.
    pub(crate) fn from_validated(text: &'a str) -> Self {
        Self(Cow::Borrowed(text))
    }

    /// The same number, owning its text.
    pub fn into_owned(self) -> RawNumber<'static> {
        RawNumber(Cow::Owned(self.0.into_owned()))
    }

    /// The number text, byte for byte.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value PHP's `json_decode` gives this number.
    pub fn to_php(&self) -> PhpNumber {
        let t: &str = &self.0;
        let is_integer_syntax = !t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
        if is_integer_syntax && let Ok(i) = t.parse::<i64>() {
            return PhpNumber::Int(i);
        }
        // The parser only admits JSON number syntax, which Rust's float parser accepts; an
        // out-of-range exponent yields ±inf or 0 exactly as PHP's zend_strtod does.
        PhpNumber::Float(t.parse::<f64>().unwrap_or(f64::NAN))
    }
}

/// A decoded JSON value. Objects keep their keys in received order (PHP arrays are ordered);
/// a repeated key replaces the value in the first key's place, as `json_decode` does.
#[derive(Clone, Debug, PartialEq)]
pub enum PhpValue<'a> {
    Null,
    Bool(bool),
    Number(RawNumber<'a>),
    String(Cow<'a, str>),
    /// A JSON array (a PHP list).
    List(Vec<PhpValue<'a>>),
    /// A JSON object (a PHP associative array, or `stdClass`), in key order.
    Map(Vec<(Cow<'a, str>, PhpValue<'a>)>),
}

impl<'a> PhpValue<'a> {
    /// A PHP `int`.
    pub fn int(i: i64) -> Self {
        Self::Number(RawNumber(Cow::Owned(i.to_string())))
    }

    /// A PHP `float`, printed the way `json_encode` prints it (`serialize_precision = -1`).
    /// Non-finite values cannot be encoded by PHP and become `0`, as `json_encode` with
    /// `JSON_PARTIAL_OUTPUT_ON_ERROR` does.
    pub fn float(f: f64) -> Self {
        if f.is_finite() {
            Self::Number(RawNumber(Cow::Owned(float::json_float(f))))
        } else {
            Self::int(0)
        }
    }

    /// An exact decimal amount as the gateway's PHP would hold it: an `int` when it is whole,
    /// a `float` otherwise (PHP has no decimal type). Amounts of money never reach the
    /// 17 significant digits where that conversion could lose a digit.
    pub fn decimal(d: rust_decimal::Decimal) -> Self {
        let d = d.normalize();
        if d.scale() == 0
            && let Ok(i) = d.to_string().parse::<i64>()
        {
            return Self::int(i);
        }
        match d.to_string().parse::<f64>() {
            Ok(f) => Self::float(f),
            Err(_) => Self::int(0),
        }
    }

    pub fn string(s: impl Into<String>) -> Self {
        Self::String(Cow::Owned(s.into()))
    }

    /// The same value, owning every string, key and number text (what a tree must be to
    /// outlive the bytes it was parsed from).
    pub fn into_owned(self) -> PhpValue<'static> {
        match self {
            Self::Null => PhpValue::Null,
            Self::Bool(b) => PhpValue::Bool(b),
            Self::Number(n) => PhpValue::Number(n.into_owned()),
            Self::String(s) => PhpValue::String(Cow::Owned(s.into_owned())),
            Self::List(items) => PhpValue::List(items.into_iter().map(Self::into_owned).collect()),
            Self::Map(entries) => PhpValue::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&PhpValue<'a>> {
        match self {
            Self::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is a JSON string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// Sets `key` in an object: replaces in place when present, appends otherwise. Does
    /// nothing on a non-object.
    pub fn insert(&mut self, key: impl Into<String>, value: PhpValue<'a>) {
        if let Self::Map(entries) = self {
            let key: String = key.into();
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((Cow::Owned(key), value)),
            }
        }
    }

    /// Removes `key` from an object, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<PhpValue<'a>> {
        match self {
            Self::Map(entries) => {
                let at = entries.iter().position(|(k, _)| k == key)?;
                Some(entries.remove(at).1)
            }
            _ => None,
        }
    }
}

impl From<&serde_json::Value> for PhpValue<'static> {
    /// Converts a `serde_json` value (built by our code) into the PHP view. Numbers take the
    /// text PHP would print for them.
    fn from(v: &serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Null => Self::Null,
            J::Bool(b) => Self::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Self::int(i)
                } else if let Some(u) = n.as_u64() {
                    // Past i64: PHP holds it as a float.
                    Self::float(u as f64)
                } else {
                    Self::float(n.as_f64().unwrap_or(0.0))
                }
            }
            J::String(s) => Self::String(Cow::Owned(s.clone())),
            J::Array(items) => Self::List(items.iter().map(Self::from).collect()),
            J::Object(map) => Self::Map(
                map.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Self::from(v)))
                    .collect(),
            ),
        }
    }
}
