//! Exact money: a validated ISO currency code with its minor-unit scale, and a positive amount
//! that never has more decimals than its currency allows. No `f64` anywhere.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency code must be 3 uppercase letters, got {0:?}")]
    BadCurrencyCode(String),
    #[error("currency {0} is not supported")]
    UnsupportedCurrency(String),
    #[error("amount must be positive")]
    NotPositive,
    #[error("amount {amount} has more decimals than {currency} allows ({scale})")]
    TooPrecise {
        amount: Decimal,
        currency: Currency,
        scale: u32,
    },
    #[error("not a decimal amount: {0:?}")]
    NotANumber(String),
    #[error("currency mismatch: {0} vs {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// Currencies we accept, with the number of decimals of their minor unit (ISO 4217).
/// A code not in this table is rejected by our API: add it here (one line) when a merchant
/// turns on a new market.
const CURRENCIES: &[(&str, u32)] = &[
    ("INR", 2),
    ("BDT", 2),
    ("PKR", 2),
    ("NPR", 2),
    ("LKR", 2),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("IDR", 2),
    ("MYR", 2),
    ("THB", 2),
    ("PHP", 2),
    ("BRL", 2),
    ("MXN", 2),
    ("KZT", 2),
    ("UZS", 2),
    ("AZN", 2),
    ("TRY", 2),
    ("EGP", 2),
    ("KES", 2),
    ("NGN", 2),
    ("RUB", 2),
    ("UAH", 2),
    ("AED", 2),
    ("USDT", 6),
    ("VND", 0),
    ("KRW", 0),
    ("JPY", 0),
];

/// A supported currency. Cheap to copy; compares by code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    scale: u32,
}

impl Currency {
    /// Parses an uppercase ISO code from our table (`"INR"`). Lowercase or padded input is
    /// rejected rather than fixed: callers normalise user input explicitly.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let well_formed =
            (3..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase());
        if !well_formed {
            return Err(MoneyError::BadCurrencyCode(code.to_string()));
        }
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, scale)| Self { code, scale })
            .ok_or_else(|| MoneyError::UnsupportedCurrency(code.to_string()))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Decimals of the minor unit (INR 2: paise).
    pub fn scale(&self) -> u32 {
        self.scale
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A positive amount in a currency, held at exactly the currency's scale (`100` INR is kept as
/// `100.00`), so equal amounts print and compare the same everywhere.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyRepr")]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

/// The wire shape of [`Money`]; deserialising goes through [`Money::new`]'s checks.
#[derive(Deserialize)]
struct MoneyRepr {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl TryFrom<MoneyRepr> for Money {
    type Error = MoneyError;
    fn try_from(r: MoneyRepr) -> Result<Self, Self::Error> {
        Money::new(r.amount, r.currency)
    }
}

impl Money {
    /// Checks the amount: positive, with no more significant decimals than the currency has
    /// (`100.000` INR is fine, `100.005` INR is rejected: we never round money silently).
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount <= Decimal::ZERO {
            return Err(MoneyError::NotPositive);
        }
        let normal = amount.normalize();
        if normal.scale() > currency.scale() {
            return Err(MoneyError::TooPrecise {
                amount,
                currency,
                scale: currency.scale(),
            });
        }
        let mut amount = normal;
        amount.rescale(currency.scale());
        Ok(Self { amount, currency })
    }

    /// Parses decimal text (`"500"`, `"99.5"`) and a currency code.
    pub fn parse(amount: &str, currency: &str) -> Result<Self, MoneyError> {
        let currency = Currency::parse(currency)?;
        let text = amount.trim();
        let amount = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|_| MoneyError::NotANumber(amount.to_string()))?;
        Self::new(amount, currency)
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
}

/// Brings a stored decimal (DynamoDB drops trailing zeros) back to the currency's scale for
/// display; never rounds: a value with more decimals keeps them.
pub fn at_scale(value: Decimal, currency: Currency) -> Decimal {
    let mut v = value.normalize();
    if v.scale() < currency.scale() {
        v.rescale(currency.scale());
    }
    v
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn currency_codes_are_checked() {
        assert_eq!(Currency::parse("INR").unwrap().scale(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().scale(), 0);
        assert!(matches!(
            Currency::parse("inr"),
            Err(MoneyError::BadCurrencyCode(_))
        ));
        assert!(matches!(
            Currency::parse(" INR"),
            Err(MoneyError::BadCurrencyCode(_))
        ));
        assert!(matches!(
            Currency::parse("IN"),
            Err(MoneyError::BadCurrencyCode(_))
        ));
        assert!(matches!(
            Currency::parse("XXX"),
            Err(MoneyError::UnsupportedCurrency(_))
        ));
    }

    #[test]
    fn amounts_are_positive_and_never_over_precise() {
        let inr = Currency::parse("INR").unwrap();
        assert_eq!(
            Money::new(d("100"), inr).unwrap().amount().to_string(),
            "100.00"
        );
        assert_eq!(
            Money::new(d("100.000"), inr).unwrap().amount().to_string(),
            "100.00"
        );
        assert_eq!(
            Money::new(d("0.01"), inr).unwrap().amount().to_string(),
            "0.01"
        );
        assert!(matches!(
            Money::new(d("100.005"), inr),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::new(d("0"), inr),
            Err(MoneyError::NotPositive)
        ));
        assert!(matches!(
            Money::new(d("-5"), inr),
            Err(MoneyError::NotPositive)
        ));
        let jpy = Currency::parse("JPY").unwrap();
        assert!(matches!(
            Money::new(d("1.5"), jpy),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert_eq!(
            Money::parse("1.5e3", "BDT").unwrap().amount().to_string(),
            "1500.00"
        );
        assert!(matches!(
            Money::parse("abc", "BDT"),
            Err(MoneyError::NotANumber(_))
        ));
    }

    #[test]
    fn equal_amounts_compare_equal_whatever_their_input_scale() {
        assert_eq!(
            Money::parse("5", "INR").unwrap(),
            Money::parse("5.00", "INR").unwrap()
        );
        assert_ne!(
            Money::parse("5", "INR").unwrap(),
            Money::parse("5", "BDT").unwrap()
        );
    }

    #[test]
    fn serde_round_trip_keeps_text_exact() {
        let m = Money::parse("1234567.89", "PKR").unwrap();
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(j, r#"{"amount":"1234567.89","currency":"PKR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&j).unwrap(), m);
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"ZZZ"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"-1","currency":"INR"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1.001","currency":"INR"}"#).is_err());
    }

    #[test]
    fn at_scale_pads_without_rounding() {
        let inr = Currency::parse("INR").unwrap();
        assert_eq!(at_scale(d("5"), inr).to_string(), "5.00");
        assert_eq!(at_scale(d("-5.5"), inr).to_string(), "-5.50");
        assert_eq!(at_scale(d("0"), inr).to_string(), "0.00");
    }
}
