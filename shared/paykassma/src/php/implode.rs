//! The gateway's request-signature preimage: `multiImplode(':', ksort($data))`.
//!
//! `ksort` orders the top level only, with PHP 8's key comparison: JSON keys that are canonical
//! integers become integer keys, integers compare numerically with each other and with numeric
//! strings, everything else compares as bytes. `multiImplode` then joins the values (never the
//! keys) with `:`, descending into nested arrays in their own order.

use std::cmp::Ordering;

use super::float;
use super::value::{PhpNumber, PhpValue};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImplodeError {
    #[error("the signed data must be a JSON object")]
    NotAnObject,
    /// PHP's key comparison is not a total order for such a key set (a non-numeric key that
    /// begins like a number beside numeric keys), so the result would depend on PHP's sort
    /// algorithm. We refuse rather than guess.
    #[error("keys {0:?} and {1:?} have no well-defined PHP sort order")]
    AmbiguousKeyOrder(String, String),
}

/// PHP's string conversion of a scalar: `true` -> "1", `false`/`null` -> "", ints as digits,
/// floats with 14 significant digits.
pub fn php_string(v: &PhpValue) -> String {
    let mut out = String::new();
    push_imploded(&mut out, v);
    out
}

/// `multiImplode(':', ksort($data))` over a decoded JSON object, leaving out `skip_key`
/// (the `signature` field).
pub fn sorted_implode(data: &PhpValue, skip_key: &str) -> Result<String, ImplodeError> {
    let PhpValue::Map(entries) = data else {
        return Err(ImplodeError::NotAnObject);
    };
    let mut keyed: Vec<(Key<'_>, &PhpValue)> = entries
        .iter()
        .filter(|(k, _)| k != skip_key)
        .map(|(k, v)| (Key::of(k), v))
        .collect();
    check_orderable(&keyed)?;
    keyed.sort_by(|a, b| a.0.cmp_php(&b.0));
    let mut out = String::new();
    for (i, (_, v)) in keyed.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_imploded(&mut out, v);
    }
    Ok(out)
}

fn push_imploded(out: &mut String, v: &PhpValue) {
    match v {
        PhpValue::Null | PhpValue::Bool(false) => {}
        PhpValue::Bool(true) => out.push('1'),
        PhpValue::String(s) => out.push_str(s),
        PhpValue::Number(n) => match n.to_php() {
            PhpNumber::Int(i) => out.push_str(&i.to_string()),
            PhpNumber::Float(f) => out.push_str(&float::to_php_string(f)),
        },
        PhpValue::List(items) => push_joined(out, items.iter()),
        PhpValue::Map(entries) => push_joined(out, entries.iter().map(|(_, v)| v)),
    }
}

fn push_joined<'v, 'a: 'v>(out: &mut String, items: impl Iterator<Item = &'v PhpValue<'a>>) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_imploded(out, item);
    }
}

/// A top-level key as PHP holds it.
#[derive(Debug)]
enum Key<'a> {
    Int(i64),
    Str(&'a str),
}

impl<'a> Key<'a> {
    /// `ZEND_HANDLE_NUMERIC_STR`: "0", "-5", "42" become integer keys; "05", "-0", "1.0",
    /// " 1" and integers past 64 bits stay strings.
    fn of(k: &'a str) -> Self {
        let b = k.as_bytes();
        let digits = b.strip_prefix(b"-").unwrap_or(b);
        let canonical = !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && (digits[0] != b'0' || digits.len() == 1)
            && k != "-0";
        match canonical.then(|| k.parse::<i64>().ok()).flatten() {
            Some(i) => Key::Int(i),
            None => Key::Str(k),
        }
    }

    fn numeric(&self) -> Option<Numeric> {
        match self {
            Key::Int(i) => Some(Numeric::Int(*i)),
            Key::Str(s) => numeric_string(s),
        }
    }

    /// `php_array_key_compare_unstable_i` (SORT_REGULAR).
    fn cmp_php(&self, other: &Key<'_>) -> Ordering {
        match (self, other) {
            (Key::Int(a), Key::Int(b)) => a.cmp(b),
            _ => match (self.numeric(), other.numeric()) {
                (Some(a), Some(b)) => a
                    .cmp_php(&b)
                    .unwrap_or_else(|| self.bytes().cmp(&other.bytes())),
                _ => self.bytes().cmp(&other.bytes()),
            },
        }
    }

    fn bytes(&self) -> std::borrow::Cow<'a, [u8]> {
        match self {
            Key::Int(i) => std::borrow::Cow::Owned(i.to_string().into_bytes()),
            Key::Str(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
        }
    }
}

/// A number read from a numeric string or an integer key.
#[derive(Clone, Copy, Debug)]
enum Numeric {
    Int(i64),
    Float(f64),
}

impl Numeric {
    /// PHP compares two ints exactly and anything else as doubles; two infinities of one sign
    /// (overflowed strings) fall back to byte comparison, which `None` asks for.
    fn cmp_php(&self, other: &Numeric) -> Option<Ordering> {
        match (*self, *other) {
            (Numeric::Int(a), Numeric::Int(b)) => Some(a.cmp(&b)),
            (a, b) => {
                let (x, y) = (a.as_f64(), b.as_f64());
                if x == y && x.is_infinite() {
                    return None;
                }
                x.partial_cmp(&y)
            }
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Numeric::Int(i) => i as f64,
            Numeric::Float(f) => f,
        }
    }
}

/// PHP 8's `is_numeric_string`: optional leading and trailing whitespace, a sign, digits with an
/// optional fraction, an optional exponent; integer syntax that fits 64 bits is an int.
fn numeric_string(s: &str) -> Option<Numeric> {
    const WS: &[char] = &[' ', '\t', '\n', '\r', '\u{0b}', '\u{0c}'];
    let t = s.trim_start_matches(WS).trim_end_matches(WS);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || !frac_part.is_none_or(all_digits) {
        return None;
    }
    if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !all_digits(e) {
            return None;
        }
    }
    if frac_part.is_none()
        && exponent.is_none()
        && let Ok(i) = t.parse::<i64>()
    {
        return Some(Numeric::Int(i));
    }
    t.parse::<f64>().ok().map(Numeric::Float)
}

/// Refuses key sets on which PHP's comparison is not a total order: a non-numeric string key
/// whose first byte could sort among number texts (a digit, sign, point, whitespace or control
/// byte), present together with numeric keys. Every other mix orders consistently: numbers
/// among themselves numerically, and before any non-numeric key (whose first byte is above '9').
fn check_orderable(keyed: &[(Key<'_>, &PhpValue)]) -> Result<(), ImplodeError> {
    let numeric = keyed.iter().find(|(k, _)| k.numeric().is_some());
    let tricky = keyed.iter().find(|(k, _)| match k {
        Key::Str(s) => {
            numeric_string(s).is_none() && s.as_bytes().first().is_some_and(|b| *b <= b'9')
        }
        Key::Int(_) => false,
    });
    match (numeric, tricky) {
        (Some((a, _)), Some((b, _))) => Err(ImplodeError::AmbiguousKeyOrder(
            a.bytes_lossy(),
            b.bytes_lossy(),
        )),
        _ => Ok(()),
    }
}

impl Key<'_> {
    fn bytes_lossy(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::parse;

    fn implode(json: &str) -> String {
        sorted_implode(&parse(json.as_bytes()).unwrap(), "signature").unwrap()
    }

    #[test]
    fn sorts_top_level_only_and_joins_values() {
        assert_eq!(
            implode(
                r#"{"b":"x","signature":"zz","a":[3,1,{"z":2,"y":1}],"c":true,"d":null,"e":false,"f":[]}"#
            ),
            "3:1:2:1:x:1:::"
        );
    }

    #[test]
    fn scalars_stringify_like_php() {
        assert_eq!(
            implode(r#"{"a":762.0,"b":0.30000000000000004,"c":1e20,"d":-0.0,"e":-0,"f":1.5e-7}"#),
            "762:0.3:1.0E+20:-0:0:1.5E-7"
        );
    }

    #[test]
    fn integer_keys_sort_numerically_before_words() {
        assert_eq!(
            implode(r#"{"b":1,"10":2,"9":3,"a":4,"-1":5,"1.5":6}"#),
            "5:6:3:2:4:1"
        );
    }

    #[test]
    fn ambiguous_key_sets_are_refused() {
        let v = parse(br#"{"10":1,"5a":2,"9":3}"#).unwrap();
        assert!(matches!(
            sorted_implode(&v, "signature"),
            Err(ImplodeError::AmbiguousKeyOrder(..))
        ));
    }

    #[test]
    fn numeric_strings_follow_php8() {
        for s in ["1", " 1", "1 ", "-1.5", ".5", "5.", "1e3", "+2", "1E-2"] {
            assert!(numeric_string(s).is_some(), "{s}");
        }
        for s in ["", "1e", "abc", "1a", ".", "-", "0x1A", "1 2", "e5"] {
            assert!(numeric_string(s).is_none(), "{s}");
        }
    }
}
