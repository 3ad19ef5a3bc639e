//! Exact money from the gateway's loosely typed amounts: JSON numbers (`700`, `13628.5`,
//! `-324324.00`) or strings (`"700"`), always into `Decimal`, never through `f64` arithmetic.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::php::PhpValue;

/// Reads an amount from decimal text: plain (`"1000.50"`) or scientific (`"1.5e3"`), with
/// surrounding whitespace tolerated.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Decimal::from_str(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

/// An amount from a decoded body: a number's received text or a string, exactly.
pub fn decimal_from_php(v: &PhpValue) -> Option<Decimal> {
    match v {
        PhpValue::Number(n) => parse_decimal(n.as_str()),
        PhpValue::String(s) => parse_decimal(s),
        _ => None,
    }
}

/// serde: an amount given as a JSON number or string. A JSON number reaches us as the
/// shortest text of its double, which reproduces any decimal of up to 15 significant digits
/// exactly: far beyond any amount of money the gateway handles.
pub fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    de_opt_decimal(d)?.ok_or_else(|| serde::de::Error::custom("expected an amount"))
}

/// serde: like [`de_decimal`], with `null`, `""` or a missing field read as `None`.
pub fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    use serde_json::Value;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => parse_decimal(&s)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not an amount: {s:?}"))),
        Some(Value::Number(n)) => parse_decimal(&n.to_string())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not an amount: {n}"))),
        Some(other) => Err(serde::de::Error::custom(format!("not an amount: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::dec;

    mod rust_decimal_macros_free {
        macro_rules! dec {
            ($s:literal) => {
                rust_decimal::Decimal::from_str_exact($s).unwrap()
            };
        }
        pub(crate) use dec;
    }

    #[derive(serde::Deserialize)]
    struct A {
        #[serde(deserialize_with = "de_decimal")]
        amount: Decimal,
    }

    #[test]
    fn numbers_and_strings_are_exact() {
        for (json, want) in [
            (r#"{"amount":700}"#, dec!("700")),
            (r#"{"amount":"700"}"#, dec!("700")),
            (r#"{"amount":13628.5}"#, dec!("13628.5")),
            (r#"{"amount":187239.195}"#, dec!("187239.195")),
            (r#"{"amount":-324324.00}"#, dec!("-324324")),
            (r#"{"amount":23.9375}"#, dec!("23.9375")),
            (r#"{"amount":" 0.1 "}"#, dec!("0.1")),
        ] {
            let a: A = serde_json::from_str(json).unwrap();
            assert_eq!(a.amount, want, "{json}");
        }
        assert!(serde_json::from_str::<A>(r#"{"amount":"abc"}"#).is_err());
        assert!(serde_json::from_str::<A>(r#"{"amount":null}"#).is_err());
        assert!(serde_json::from_str::<A>(r#"{"amount":true}"#).is_err());
    }

    #[test]
    fn raw_text_is_kept_to_the_last_digit() {
        let v = crate::php::parse(b"[1234567890123456789.123456789]").unwrap();
        let PhpValue::List(items) = v else { panic!() };
        assert_eq!(
            decimal_from_php(&items[0]),
            Some(dec!("1234567890123456789.123456789"))
        );
    }
}
