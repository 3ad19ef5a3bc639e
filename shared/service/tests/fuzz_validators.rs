//! Property-based fuzzing (proptest) of the request validators: the JSON body parser
//! (`http::parse_json`) into the deposit and withdrawal bodies, the withdrawal order check
//! (`WithdrawalBody::check`, the per-method account rules), UPI `key1` checks, and the
//! domain parsers `Money::parse`, `Currency::parse`, `Label::parse` and the id parsers.
//! Arbitrary input never panics; generated valid input is accepted with the values it carries.
//!
//! Each property runs `PROPTEST_CASES` cases (default 2000). The one-million-input run:
//! `PROPTEST_CASES=125000 cargo nextest run --release -p service --test fuzz_validators`
//! (8 properties x 125,000 cases); see `docs/reliability.md`.

use payments::{Currency, DepositId, Label, Money, WithdrawalId};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use service::deposits::activate::check_key1;
use service::deposits::create::CreateRequest;
use service::http::parse_json;
use service::withdrawals::WithdrawalBody;
use service::withdrawals::rules::{self, METHODS};

/// Cases per property: `PROPTEST_CASES` when set, else 2000.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Every validator over the same bytes; none may panic.
fn exercise(raw: &[u8]) {
    if let Ok(req) = parse_json::<CreateRequest>(raw) {
        if let Ok(c) = Currency::parse(req.currency.trim()) {
            let _ = Money::new(req.amount, c);
        }
        let _ = Label::parse(&req.wallet_type);
    }
    if let Ok(body) = parse_json::<WithdrawalBody>(raw) {
        let _ = body.check();
    }
    let _ = parse_json::<Value>(raw);
    let text = String::from_utf8_lossy(raw);
    exercise_text(&text);
}

fn exercise_text(s: &str) {
    let _ = Label::parse(s);
    let _ = Currency::parse(s);
    let _ = Money::parse(s, "INR");
    let _ = Money::parse("100", s);
    let _ = DepositId::parse(s);
    let _ = WithdrawalId::parse(s);
    let _ = check_key1("upi_l", s);
    let _ = check_key1("paytm", s);
    let _ = rules::is_ifsc(s);
    let _ = rules::is_email(s);
    for m in METHODS {
        let _ = m.account_format.normalise(s);
    }
}

/// A JSON value that is sometimes the right type for a field and often not.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        "-?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][+-]?[0-9]{1,4})?".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec![
            "INR",
            "BDT",
            "USD",
            "inr",
            " INR",
            "upi_l",
            "imps",
            "window",
            "en",
            "hi",
            "SBIN0001234",
            "123456789012",
            "a@b.co",
            "https://x.test/back",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        prop::collection::vec(any::<u8>(), 0..3).prop_map(|v| json!(v)),
    ]
}

const FIELDS: &[&str] = &[
    "wallet_type",
    "amount",
    "currency",
    "redirect_url",
    "bank",
    "language",
    "mode",
    "payment_system",
    "account_number",
    "account_name",
    "account_email",
    "receiver_name",
    "bank_code",
    "branch_code",
    "comment",
    "iban",
    "document_id",
    "unexpected",
];

/// An object of known (and unknown) fields with values of any type.
fn body_object() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((prop::sample::select(FIELDS), field_value()), 0..10).prop_map(|fields| {
        let mut map = serde_json::Map::new();
        for (k, v) in fields {
            map.insert(k.to_string(), v);
        }
        serde_json::to_vec(&Value::Object(map)).unwrap()
    })
}

/// A positive amount with at most `scale` decimals, as text.
fn amount(scale: u32) -> impl Strategy<Value = Decimal> {
    (1i64..10_000_000_000).prop_map(move |m| Decimal::new(m, scale))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&raw);
    }

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        exercise(s.as_bytes());
    }

    #[test]
    fn typed_noise_in_known_fields_never_panics(raw in body_object()) {
        exercise(&raw);
    }

    #[test]
    fn valid_money_is_accepted_at_the_currency_scale(
        a in amount(2),
        currency in prop::sample::select(vec!["INR", "BDT", "USD", "PKR"]),
    ) {
        let m = Money::parse(&a.to_string(), currency).unwrap();
        prop_assert_eq!(m.amount(), a);
        prop_assert_eq!(m.amount().scale(), 2);
        prop_assert_eq!(m.currency().code(), currency);
        // One more significant decimal than the currency has is refused, never rounded.
        let finer = a + Decimal::new(1, 3);
        prop_assert!(Money::parse(&finer.to_string(), currency).is_err());
        prop_assert!(Money::parse(&(-a).to_string(), currency).is_err());
    }

    #[test]
    fn valid_labels_are_accepted_trimmed(s in "[^\\p{Cc}]{1,190}", pad in " {0,3}") {
        prop_assume!(!s.trim().is_empty());
        let l = Label::parse(&format!("{pad}{s}{pad}")).unwrap();
        prop_assert_eq!(l.as_str(), s.trim());
    }

    #[test]
    fn valid_deposit_bodies_parse_and_validate(
        a in amount(2),
        wallet in prop::sample::select(vec!["upi_l", "upi_s", "paytm", "bkash"]),
        currency in prop::sample::select(vec!["INR", "BDT"]),
        as_number in any::<bool>(),
        utr in "[0-9]{12}",
    ) {
        let amount = if as_number { json!(a.to_string().parse::<f64>().unwrap()) } else { json!(a.to_string()) };
        let body = json!({"wallet_type": wallet, "amount": amount, "currency": currency, "mode": "window"});
        let req: CreateRequest = parse_json(body.to_string().as_bytes()).unwrap();
        prop_assert_eq!(req.wallet_type.as_str(), wallet);
        let m = Money::new(req.amount, Currency::parse(&req.currency).unwrap()).unwrap();
        prop_assert_eq!(m.amount(), a);
        prop_assert!(check_key1("upi_l", &utr).is_ok());
        prop_assert!(check_key1("upi_l", &utr[1..]).is_err());
    }

    #[test]
    fn valid_withdrawal_bodies_are_accepted(
        rupees in 1i64..10_000_000,
        account in "[0-9]{9,18}",
        name in "[A-Za-z][A-Za-z ]{0,30}[A-Za-z]",
        bank in "[A-Z]{4}0[A-Z0-9]{6}",
        lower_bank in any::<bool>(),
    ) {
        let bank_sent = if lower_bank { bank.to_ascii_lowercase() } else { bank.clone() };
        let body = json!({
            "payment_system": "imps", "amount": rupees.to_string(), "currency": "INR",
            "account_number": account, "account_name": name, "receiver_name": name,
            "bank_code": bank_sent,
        });
        let parsed: WithdrawalBody = parse_json(body.to_string().as_bytes()).unwrap();
        let order = parsed.check().unwrap();
        prop_assert_eq!(order.money.amount(), Decimal::new(rupees * 100, 2));
        prop_assert_eq!(order.fields.get("bank_code"), Some(&bank));
        prop_assert_eq!(order.payment_system.as_str(), "imps");
    }

    #[test]
    fn invalid_withdrawal_amounts_are_refused(
        rupees in 1i64..10_000_000,
        paise in 1i64..100,
        payment_system in prop::sample::select(METHODS.iter().map(|m| m.payment_system).collect::<Vec<_>>()),
    ) {
        // Every method pays whole amounts: a fractional amount is a field error, not a panic.
        let body = json!({
            "payment_system": payment_system, "amount": format!("{rupees}.{paise:02}"),
            "currency": "INR", "account_number": "9876543210", "account_name": "Ravi Kumar",
            "receiver_name": "Ravi Kumar", "bank_code": "SBIN0001234",
        });
        let parsed: WithdrawalBody = parse_json(body.to_string().as_bytes()).unwrap();
        prop_assert!(parsed.check().is_err());
    }
}
