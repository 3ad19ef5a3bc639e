//! Property-based fuzzing (proptest) of what a postback meets first: the JSON parser
//! (`php::parse`), the signature check (`verify_postback`, both schemes, and the (P) check that
//! hashes `additional_data` re-escaped from its received text, held to re-encoding the tree) and the typed view
//! (`Postback::from_php`), on arbitrary bytes, on JSON-shaped noise and on mutated valid
//! postbacks; and `encode` round trips (`parse(encode(v)) == v`) on generated values.
//!
//! Each property runs `PROPTEST_CASES` cases (default 2000, small enough for every CI run).
//! The one-million-input run is documented in `docs/reliability.md`:
//! `PROPTEST_CASES=125000 cargo nextest run --release -p paykassma --test fuzz_postbacks`
//! (8 properties x 125,000 cases).

use std::borrow::Cow;

use paykassma::Secret;
use paykassma::php::{self, JsonFlags, PhpValue};
use paykassma::postback::Postback;
use paykassma::signature::{
    PostbackKeys, Scheme, VerifyError, check_postback_signature, sign_postback_body,
    verify_postback,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

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

fn keys() -> PostbackKeys {
    PostbackKeys {
        access_key: Secret::new("fuzz-access-key".to_string()),
        private_key: Secret::new("fuzz-private-key".to_string()),
    }
}

/// Everything a webhook does with raw bytes; none of it may panic. When the bytes parse,
/// re-encoding them parses back to the same value (number text and key order kept).
fn exercise(raw: &[u8]) {
    if let Ok(v) = php::parse(raw) {
        for flags in [JsonFlags::DEFAULT, JsonFlags::UNESCAPED] {
            let text = php::encode(&v, flags);
            assert_eq!(php::parse(text.as_bytes()).as_ref(), Ok(&v), "{text}");
        }
        let _ = Postback::from_php(&v);
    }
    let k = keys();
    for scheme in [Scheme::Postback, Scheme::Request] {
        if let Ok(body) = verify_postback(raw, &k, scheme) {
            let _ = Postback::from_php(&body);
        }
    }
    // The check on the received text decides as the tree would: the same verdict, the same kind
    // of error.
    let kind = |r: Result<(), VerifyError>| r.map_err(|e| std::mem::discriminant(&e));
    assert_eq!(
        kind(check_postback_signature(raw, &k, Scheme::Postback)),
        kind(check_on_the_tree(raw, &k)),
        "{:?}",
        String::from_utf8_lossy(raw)
    );
}

/// The (P) check done on the tree alone: parse the whole body, re-encode `additional_data`.
/// The reference the check on the received text is held to.
fn check_on_the_tree(raw: &[u8], keys: &PostbackKeys) -> Result<(), VerifyError> {
    let body = php::parse(raw).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    if !matches!(body, PhpValue::Map(_)) {
        return Err(VerifyError::Malformed("not an object".into()));
    }
    let received = match body.get("signature") {
        None | Some(PhpValue::Null) => return Err(VerifyError::MissingSignature),
        Some(PhpValue::String(s)) => s.to_ascii_lowercase(),
        Some(_) => return Err(VerifyError::Malformed("signature".into())),
    };
    match body.get("access_key") {
        Some(PhpValue::String(k)) if keys.access_key.expose() == k => {}
        _ => return Err(VerifyError::AccessKeyMismatch),
    }
    let data = body
        .get("additional_data")
        .ok_or_else(|| VerifyError::Malformed("additional_data".into()))?;
    if paykassma::signature::postback_signature(keys, data) == received {
        Ok(())
    } else {
        Err(VerifyError::SignatureMismatch)
    }
}

/// Object keys: short, from a small alphabet so generated maps collide with real field names
/// sometimes; made unique per map (a repeated key is merged by the parser, as PHP does).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("amount".to_string()),
        Just("label".to_string()),
        Just("signature".to_string()),
        Just("additional_data".to_string()),
        "[a-z_]{0,8}",
        any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = PhpValue<'static>> {
    prop_oneof![
        Just(PhpValue::Null),
        any::<bool>().prop_map(PhpValue::Bool),
        any::<i64>().prop_map(PhpValue::int),
        any::<f64>().prop_map(PhpValue::float),
        (any::<i64>(), 0u32..10).prop_map(|(m, s)| PhpValue::decimal(Decimal::new(m, s))),
        any::<String>().prop_map(PhpValue::string),
        "[ -~]{0,12}".prop_map(PhpValue::string),
    ]
}

fn value() -> impl Strategy<Value = PhpValue<'static>> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(PhpValue::List),
            prop::collection::vec((key(), inner), 0..6).prop_map(|entries| {
                let mut out: Vec<(Cow<'static, str>, PhpValue)> = Vec::new();
                for (k, v) in entries {
                    if !out.iter().any(|(have, _)| *have == k) {
                        out.push((k.into(), v));
                    }
                }
                PhpValue::Map(out)
            }),
        ]
    })
}

/// A postback as the gateway builds it (unsigned), with a generated amount and ids.
fn postback_body() -> impl Strategy<Value = (PhpValue<'static>, Decimal, String)> {
    (
        1i64..100_000_000,
        "[a-zA-Z0-9]{1,20}",
        "[0-9]{12}",
        "[a-f0-9]{16}",
        prop::sample::select(vec!["upi_l", "upi_hb", "paytm", "bkash"]),
    )
        .prop_map(|(cents, label, utr, order, wallet)| {
            let amount = Decimal::new(cents, 2);
            let mut entry = PhpValue::Map(vec![]);
            entry.insert("amount", PhpValue::string(amount.to_string()));
            entry.insert("currency_code", PhpValue::string("INR"));
            entry.insert("wallet_type", PhpValue::string(wallet));
            entry.insert("transaction_id", PhpValue::string(utr));
            entry.insert("plugin_custom_order_id", PhpValue::string(order));
            entry.insert("transaction_type", PhpValue::int(0));
            let mut body = PhpValue::Map(vec![]);
            body.insert("wallet_type", PhpValue::string(wallet));
            body.insert("amount", PhpValue::decimal(amount));
            body.insert("currency_code", PhpValue::string("INR"));
            body.insert("label", PhpValue::string(label.clone()));
            body.insert("direction", PhpValue::string("ingoing"));
            body.insert("created_datetime", PhpValue::string("2024-01-02 03:04:05"));
            body.insert("access_key", PhpValue::string("fuzz-access-key"));
            body.insert("additional_data", PhpValue::List(vec![entry]));
            (body, amount, label)
        })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Byte offsets of `[ { , :` outside strings in a JSON text.
fn structural_positions(text: &str) -> Vec<usize> {
    let (mut out, mut in_string, mut escaped) = (Vec::new(), false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' | b',' | b':' => out.push(i),
                _ => {}
            }
        }
    }
    out
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match *m {
            Mutation::Flip(i, b) if len > 0 => bytes[i % len] ^= b.max(1),
            Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Mutation::Delete(i) if len > 0 => {
                bytes.remove(i % len);
            }
            Mutation::Truncate(i) => bytes.truncate(i % (len + 1)),
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&raw);
    }

    #[test]
    fn json_shaped_noise_never_panics(text in r#"[\[\]{}":,0-9eE.+\-tfrunlas\\/ ]{0,96}"#) {
        exercise(text.as_bytes());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash(depth in 0usize..4000, open in prop::sample::select(vec![b'[', b'{'])) {
        let mut raw = Vec::with_capacity(depth * 6);
        for _ in 0..depth {
            raw.push(open);
            if open == b'{' {
                raw.extend_from_slice(br#""k":"#);
            }
        }
        exercise(&raw);
        let parsed = php::parse(&raw);
        prop_assert!(parsed.is_err(), "an unclosed document is not JSON");
    }

    /// Re-escaping from the text is what parsing and encoding print, whatever flags wrote
    /// the text and whatever whitespace sits between its tokens; a text with a repeated key
    /// is left to the parser.
    #[test]
    fn unescaping_from_the_text_is_parse_then_encode(
        v in value(),
        escaped in any::<bool>(),
        spaces in prop::collection::vec(prop::sample::select(vec!["", " ", "\n", "\t", "\r\n "]), 0..8),
    ) {
        let flags = if escaped { JsonFlags::DEFAULT } else { JsonFlags::UNESCAPED };
        let mut text = php::encode(&v, flags);
        // Whitespace after structural bytes outside strings (a `:` or `,` inside a string
        // is skipped by looking for the byte only where the parser sees structure).
        for (n, ws) in spaces.iter().enumerate() {
            let spots: Vec<usize> = structural_positions(&text);
            if let Some(&at) = spots.get(n * 7 % spots.len().max(1)) {
                text.insert_str(at + 1, ws);
            }
        }
        let want = php::encode(&php::parse(text.as_bytes()).unwrap(), JsonFlags::UNESCAPED);
        let got = php::canonical::unescaped_json(text.as_bytes()).map(|b| String::from_utf8(b).unwrap());
        prop_assert_eq!(got, Some(want), "{}", text);
    }

    #[test]
    fn encode_round_trips(v in value()) {
        for flags in [JsonFlags::DEFAULT, JsonFlags::UNESCAPED] {
            let text = php::encode(&v, flags);
            prop_assert_eq!(php::parse(text.as_bytes()), Ok(v.clone()), "{}", text);
        }
    }

    #[test]
    fn signed_postbacks_verify_and_read_back(
        (body, amount, label) in postback_body(),
        scheme in prop::sample::select(vec![Scheme::Postback, Scheme::Request]),
    ) {
        let text = sign_postback_body(&keys(), scheme, &body).unwrap();
        exercise(text.as_bytes());
        let verified = verify_postback(text.as_bytes(), &keys(), scheme).unwrap();
        let typed = Postback::from_php(&verified).unwrap();
        prop_assert_eq!(typed.amount, amount);
        prop_assert_eq!(typed.label, label);
        prop_assert_eq!(typed.additional_data.len(), 1);
        prop_assert_eq!(typed.additional_data[0].amount, Some(amount));
        // The same body with another private key is refused.
        let other = PostbackKeys {
            access_key: Secret::new("fuzz-access-key".to_string()),
            private_key: Secret::new("someone-else".to_string()),
        };
        prop_assert_eq!(
            verify_postback(text.as_bytes(), &other, scheme),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn tampered_amounts_are_refused(
        (body, amount, _) in postback_body(),
        extra in 1i64..1_000_000,
    ) {
        let text = sign_postback_body(&keys(), Scheme::Postback, &body).unwrap();
        let mut signed = php::parse(text.as_bytes()).unwrap();
        let mut entry = signed.get("additional_data").unwrap().clone();
        if let PhpValue::List(items) = &mut entry {
            items[0].insert("amount", PhpValue::string((amount + Decimal::new(extra, 2)).to_string()));
        }
        signed.insert("additional_data", entry);
        let forged = php::encode(&signed, JsonFlags::DEFAULT);
        prop_assert_eq!(
            verify_postback(forged.as_bytes(), &keys(), Scheme::Postback),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn mutated_postbacks_never_panic(
        (body, _, _) in postback_body(),
        scheme in prop::sample::select(vec![Scheme::Postback, Scheme::Request]),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let text = sign_postback_body(&keys(), scheme, &body).unwrap();
        let raw = mutate(text.into_bytes(), &mutations);
        exercise(&raw);
    }

    #[test]
    fn generated_bodies_never_panic_the_typed_view(v in value()) {
        let _ = Postback::from_php(&v);
        let text = php::encode(&v, JsonFlags::DEFAULT);
        exercise(text.as_bytes());
    }
}
