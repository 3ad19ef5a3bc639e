//! Values from text, for tests: `d("10.50")`, `money("250", "INR")`, `cur("BDT")`. They panic on
//! a typo, which is the test's bug.

use payments::{Currency, Money};
use rust_decimal::Decimal;

/// An exact decimal.
pub fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap_or_else(|e| panic!("decimal {s:?}: {e}"))
}

/// An amount in a currency, checked as the API checks one.
pub fn money(amount: &str, currency: &str) -> Money {
    Money::parse(amount, currency).unwrap_or_else(|e| panic!("money {amount} {currency}: {e}"))
}

/// A currency by its code.
pub fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap_or_else(|e| panic!("currency {code:?}: {e}"))
}
