//! Lenient readers over a decoded answer: the gateway sends numbers as strings and strings
//! as numbers, `null` or `""` for "none", and PHP arrays as lists or as objects.

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::money::decimal_from_php;
use crate::php::PhpValue;

/// A text field: strings as they are, numbers as their received text; `null`, `""` and
/// containers are absent.
pub(crate) fn text(v: Option<&PhpValue>) -> Option<String> {
    match v? {
        PhpValue::String(s) if !s.is_empty() => Some(s.to_string()),
        PhpValue::Number(n) => Some(n.as_str().to_string()),
        _ => None,
    }
}

/// An exact amount from a number or a numeric string.
pub(crate) fn decimal(v: Option<&PhpValue>) -> Option<Decimal> {
    v.and_then(decimal_from_php)
}

/// An integer from a number or a numeric string.
pub(crate) fn integer(v: Option<&PhpValue>) -> Option<i64> {
    match v? {
        PhpValue::Number(n) => n.as_str().parse().ok(),
        PhpValue::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A flag from `true`/`false`, `1`/`0` or their string forms.
pub(crate) fn boolean(v: Option<&PhpValue>) -> Option<bool> {
    match v? {
        PhpValue::Bool(b) => Some(*b),
        PhpValue::Number(n) => Some(n.as_str() != "0"),
        PhpValue::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The items of a PHP array: a JSON list, or an object's values in order (a PHP array with
/// non-sequential keys). Anything else has no items.
pub(crate) fn items<'v, 'a>(v: Option<&'v PhpValue<'a>>) -> Vec<&'v PhpValue<'a>> {
    match v {
        Some(PhpValue::List(items)) => items.iter().collect(),
        Some(PhpValue::Map(entries)) => entries.iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    }
}

/// The entries of a JSON object (none for anything else).
pub(crate) fn entries<'v, 'a>(v: Option<&'v PhpValue<'a>>) -> &'v [(Cow<'a, str>, PhpValue<'a>)] {
    match v {
        Some(PhpValue::Map(entries)) => entries,
        _ => &[],
    }
}

/// An exact JSON number for an amount we send: the decimal's own digits (trailing zeros
/// dropped), never a trip through `f64`.
pub(crate) fn exact_number(d: Decimal) -> PhpValue<'static> {
    let text = d.normalize().to_string();
    // Decimal's text is always valid JSON number syntax; the fallback is unreachable.
    crate::php::parse(text.as_bytes())
        .map(PhpValue::into_owned)
        .unwrap_or_else(|_| PhpValue::decimal(d))
}

/// A JSON object from `(key, value)` pairs, skipping absent optional values.
pub(crate) fn object<const N: usize>(
    fields: [(&str, Option<PhpValue<'static>>); N],
) -> PhpValue<'static> {
    PhpValue::Map(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (Cow::Owned(k.to_string()), v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::{JsonFlags, encode, parse};

    #[test]
    fn lenient_reads() {
        let v =
            parse(br#"{"a":"700","b":13628.50,"c":"","d":null,"e":"1","f":0,"g":{"x":1,"y":2}}"#)
                .unwrap();
        assert_eq!(decimal(v.get("a")), Some(Decimal::new(700, 0)));
        assert_eq!(
            decimal(v.get("b")).map(|d| d.to_string()),
            Some("13628.50".into())
        );
        assert_eq!(text(v.get("c")), None);
        assert_eq!(text(v.get("d")), None);
        assert_eq!(text(v.get("b")).as_deref(), Some("13628.50"));
        assert_eq!(boolean(v.get("e")), Some(true));
        assert_eq!(boolean(v.get("f")), Some(false));
        assert_eq!(integer(v.get("a")), Some(700));
        assert_eq!(items(v.get("g")).len(), 2);
        assert!(items(v.get("zz")).is_empty());
    }

    #[test]
    fn exact_numbers_keep_every_digit() {
        let cases = [
            ("1000.00", "1000"),
            ("0.1", "0.1"),
            (
                "1234567890123456789.123456789",
                "1234567890123456789.123456789",
            ),
            ("-5.50", "-5.5"),
        ];
        for (input, want) in cases {
            let d: Decimal = input.parse().unwrap();
            assert_eq!(encode(&exact_number(d), JsonFlags::UNESCAPED), want);
        }
    }
}
