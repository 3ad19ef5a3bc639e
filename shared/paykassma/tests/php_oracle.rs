//! Real PHP as the oracle for both signature schemes and for PHP's float printing.
//!
//! Each test runs `php tests/php/oracle.php` once over a batch of cases, in both directions:
//! PHP generates and signs, Rust verifies; Rust generates and signs, PHP verifies. The test
//! command installs php-cli; without it these tests fail (they never pass vacuously).

use std::io::Write;
use std::process::{Command, Stdio};

use paykassma::Secret;
use paykassma::php::{self, JsonFlags, PhpValue, float};
use paykassma::signature::{self, PostbackKeys, Scheme, VerifyError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

const CASES: usize = 1500;

fn oracle(args: &[&str], stdin: &str) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/php/oracle.php");
    let mut child = Command::new("php")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("php must be installed: run infra/scripts/test.sh, which installs php-cli");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_string();
    let writer = std::thread::spawn(move || input.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().expect("php runs");
    writer.join().expect("writer").expect("write stdin");
    assert!(
        out.status.success(),
        "php failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle line is JSON"))
        .collect()
}

fn field<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key]
        .as_str()
        .unwrap_or_else(|| panic!("oracle row lacks {key}: {row}"))
}

// ---------------------------------------------------------------------------------------------
// Random data on the Rust side.

const PIECES: &[&str] = &[
    "a", "b", "Z", "q", "0", "7", " ", "/", "\\", "\"", "'", ":", "<", "&", "\n", "\t", "\r",
    "\u{0}", "\u{1}", "\u{8}", "\u{c}", "\u{1f}", "\u{7f}", "é", "₹", "ह", "😀", "\u{2028}",
    "\u{2029}", "€", "ß", "中", "%", "+", "=", "?",
];

fn rnd_string(rng: &mut StdRng) -> String {
    (0..rng.random_range(0..12))
        .map(|_| PIECES[rng.random_range(0..PIECES.len())])
        .collect()
}

fn raw_number(text: &str) -> PhpValue<'static> {
    php::parse(text.as_bytes())
        .expect("number text")
        .into_owned()
}

fn edge_scalar(rng: &mut StdRng, allow_big_ints: bool) -> PhpValue<'static> {
    let edges: &[fn() -> PhpValue<'static>] = &[
        || PhpValue::float(0.1 + 0.2),
        || PhpValue::float(762.0),
        || PhpValue::float(1e20),
        || PhpValue::float(-0.0),
        || PhpValue::float(1.5e-7),
        || PhpValue::float(1.0 / 3.0),
        || PhpValue::float(123456789012345.0),
        || PhpValue::float(1e15),
        || PhpValue::float(0.00001),
        || PhpValue::int(i64::MAX),
        || PhpValue::int(i64::MIN),
        || PhpValue::Bool(true),
        || PhpValue::Bool(false),
        || PhpValue::Null,
        || PhpValue::List(vec![]),
        || PhpValue::Map(vec![]),
        || PhpValue::string("/\\\"\u{2028}😀\u{0}"),
    ];
    if allow_big_ints && rng.random_bool(0.1) {
        return raw_number(if rng.random_bool(0.5) {
            "12345678901234567890"
        } else {
            "-98765432109876543210"
        });
    }
    let v = edges[rng.random_range(0..edges.len())]();
    // PHP's json_decode reads "-0" as int 0, so a verifier that decodes and re-encodes (as the
    // oracle's does) cannot reproduce a -0.0 the sender hashed. The gateway never re-encodes
    // what it sent, and our verifier keeps the received text, so only the oracle needs this.
    if !allow_big_ints && v == PhpValue::float(-0.0) {
        PhpValue::float(0.0)
    } else {
        v
    }
}

fn rnd_scalar(rng: &mut StdRng, allow_big_ints: bool) -> PhpValue<'static> {
    match rng.random_range(0..13) {
        0 => PhpValue::int(rng.random_range(-1_000_000..1_000_000)),
        1 => PhpValue::int(rng.random()),
        2 => PhpValue::float(f64::from(rng.random_range(-10_000_000..10_000_000)) / 100.0),
        3 => {
            let f = f64::from_bits(rng.random());
            PhpValue::float(if f.is_finite() && f != 0.0 { f } else { 1.0 })
        }
        4 => PhpValue::float(rng.random::<f64>() * 10f64.powi(rng.random_range(-12..25))),
        5 | 6 => edge_scalar(rng, allow_big_ints),
        7 => PhpValue::Bool(rng.random()),
        8 => PhpValue::Null,
        _ => PhpValue::string(rnd_string(rng)),
    }
}

fn rnd_key(rng: &mut StdRng, numeric_allowed: bool) -> String {
    if numeric_allowed && rng.random_range(0..6) == 0 {
        const NUMERIC: &[&str] = &[
            "0", "1", "2", "7", "10", "-3", "42", "1.5", "1e3", "-0.5", "100",
        ];
        return NUMERIC[rng.random_range(0..NUMERIC.len())].to_string();
    }
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    let mut k = String::new();
    k.push(LETTERS[rng.random_range(0..LETTERS.len() - 1)] as char);
    for _ in 0..rng.random_range(0..8) {
        k.push(LETTERS[rng.random_range(0..LETTERS.len())] as char);
    }
    k
}

fn rnd_value(rng: &mut StdRng, depth: usize, allow_big_ints: bool) -> PhpValue<'static> {
    match rng.random_range(0..10) {
        0 if depth < 3 => PhpValue::List(
            (0..rng.random_range(0..5))
                .map(|_| rnd_value(rng, depth + 1, allow_big_ints))
                .collect(),
        ),
        1 if depth < 3 => {
            let mut m = PhpValue::Map(vec![]);
            for _ in 0..rng.random_range(0..5) {
                let k = rnd_key(rng, false);
                m.insert(k, rnd_value(rng, depth + 1, allow_big_ints));
            }
            m
        }
        _ => rnd_scalar(rng, allow_big_ints),
    }
}

fn rnd_flags(rng: &mut StdRng) -> JsonFlags {
    JsonFlags {
        unescaped_slashes: rng.random(),
        unescaped_unicode: rng.random(),
    }
}

// ---------------------------------------------------------------------------------------------
// (W) request signatures.

#[test]
fn php_signs_requests_and_rust_agrees() {
    let rows = oracle(&["gen-w", &CASES.to_string(), "20261123"], "");
    assert_eq!(rows.len(), CASES);
    let mut with_big_ints = 0;
    for row in &rows {
        let json = field(row, "json");
        with_big_ints += usize::from(
            json.contains("12345678901234567890") || json.contains("98765432109876543210"),
        );
        let key = Secret::new(field(row, "key"));
        let ours = signature::request_signature_json(&key, json.as_bytes())
            .unwrap_or_else(|e| panic!("cannot sign {json}: {e}"));
        assert_eq!(
            ours,
            field(row, "sig"),
            "request signature differs for {json}"
        );
    }
    assert!(
        with_big_ints >= CASES / 6,
        "integers past i64 were covered {with_big_ints} times"
    );
}

#[test]
fn rust_signs_requests_and_php_agrees() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut input = String::new();
    for c in 0..CASES {
        let mut data = PhpValue::Map(vec![(
            rnd_key(&mut rng, false).into(),
            rnd_value(&mut rng, 0, true),
        )]);
        for _ in 0..rng.random_range(0..8) {
            let k = rnd_key(&mut rng, true);
            data.insert(k, rnd_value(&mut rng, 0, true));
        }
        let key = format!("{}k{c}", rnd_string(&mut rng));
        let sig =
            signature::request_signature(&Secret::new(key.clone()), &data).expect("orderable keys");
        let json = php::encode(&data, rnd_flags(&mut rng));
        input.push_str(&serde_json::json!({"json": json, "key": key, "sig": sig}).to_string());
        input.push('\n');
    }
    let rows = oracle(&["verify-w"], &input);
    assert_eq!(rows.len(), CASES);
    for (row, line) in rows.iter().zip(input.lines()) {
        assert_eq!(
            row["ok"],
            Value::Bool(true),
            "PHP disagrees ({}) on {line}",
            row["php"]
        );
    }
}

#[test]
fn signing_our_own_body_is_what_php_verifies() {
    // The withdrawal path: build a body, sign it, send the text; PHP decodes the text and checks.
    let data = php::parse(
        r#"{"withdrawal_id":"w1","payment_system":"imps","amount":1000,"currency_code":"INR","label":"55","is_test":false,
        "account_number":"11111111","bank_details":{"bank_code":"MAHB0001821","branch_code":""},"comment":"a/b é"}"#
            .as_bytes(),
    )
    .expect("json");
    let key = Secret::new("yourprivatekey");
    let body = signature::sign_request_body(&key, &data).expect("sign");
    let sent = php::parse(body.as_bytes()).expect("body");
    let sig = sent
        .get("signature")
        .and_then(PhpValue::as_str)
        .expect("signature")
        .to_string();
    let line = serde_json::json!({"json": body, "key": "yourprivatekey", "sig": sig}).to_string();
    let rows = oracle(&["verify-w"], &format!("{line}\n"));
    assert_eq!(
        rows[0]["ok"],
        Value::Bool(true),
        "PHP computed {}",
        rows[0]["php"]
    );
}

// ---------------------------------------------------------------------------------------------
// (P) postback signatures.

/// Changes one digit of the first `transaction_id` in the body text.
fn tamper(body: &str) -> String {
    let at = body
        .find("\"transaction_id\"")
        .expect("transaction_id in body");
    let digit_at = body[at..]
        .find(|c: char| c.is_ascii_digit())
        .expect("a digit")
        + at;
    let mut bytes = body.as_bytes().to_vec();
    bytes[digit_at] = if bytes[digit_at] == b'9' {
        b'1'
    } else {
        bytes[digit_at] + 1
    };
    String::from_utf8(bytes).expect("still utf-8")
}

#[test]
fn php_signs_postbacks_and_rust_verifies_from_escaped_bodies() {
    let rows = oracle(&["gen-p", &CASES.to_string(), "424242"], "");
    assert_eq!(rows.len(), CASES);
    let (mut escaped_slash, mut escaped_unicode) = (0, 0);
    for row in &rows {
        let body = field(row, "body");
        escaped_slash += usize::from(body.contains("\\/"));
        escaped_unicode += usize::from(body.contains("\\u"));
        let keys = PostbackKeys {
            access_key: field(row, "ak").into(),
            private_key: field(row, "pk").into(),
        };
        signature::verify_postback(body.as_bytes(), &keys, Scheme::Postback)
            .unwrap_or_else(|e| panic!("rejected a PHP-signed postback ({e}): {body}"));
        assert_eq!(
            signature::verify_postback(tamper(body).as_bytes(), &keys, Scheme::Postback),
            Err(VerifyError::SignatureMismatch),
            "a tampered postback passed"
        );
        let wrong = PostbackKeys {
            access_key: keys.access_key.clone(),
            private_key: "other".into(),
        };
        assert_eq!(
            signature::verify_postback(body.as_bytes(), &wrong, Scheme::Postback),
            Err(VerifyError::SignatureMismatch)
        );
    }
    assert!(
        escaped_slash > CASES / 4 && escaped_unicode > CASES / 2,
        "escapes covered: {escaped_slash} / {escaped_unicode}"
    );
}

fn rnd_entry(rng: &mut StdRng) -> PhpValue<'static> {
    let mut e = PhpValue::Map(vec![]);
    e.insert(
        "activated_datetime",
        PhpValue::string("2023-08-15 21:29:01"),
    );
    e.insert("exchanger_identifier", PhpValue::string(rnd_string(rng)));
    e.insert("comment", PhpValue::string(rnd_string(rng)));
    e.insert(
        "amount",
        PhpValue::string(format!(
            "{}.{}",
            rng.random_range(1..100000),
            rng.random_range(0..100)
        )),
    );
    e.insert("currency_code", PhpValue::string("INR"));
    e.insert(
        "stockpiling_id",
        if rng.random_bool(0.7) {
            PhpValue::int(rng.random_range(1..9_999_999))
        } else {
            PhpValue::Null
        },
    );
    e.insert(
        "transaction_id",
        PhpValue::string(
            rng.random_range(100_000_000_000u64..999_999_999_999)
                .to_string(),
        ),
    );
    e.insert("plugin_custom_order_id", PhpValue::string(rnd_string(rng)));
    e.insert("withdrawal_status", PhpValue::Null);
    e.insert(
        "bank_details",
        PhpValue::Map(vec![
            ("bank_code".into(), PhpValue::string("")),
            ("branch_code".into(), PhpValue::Null),
        ]),
    );
    for _ in 0..rng.random_range(0..4) {
        let k = rnd_key(rng, false);
        e.insert(k, rnd_value(rng, 1, false));
    }
    e
}

#[test]
fn rust_signs_postbacks_and_php_verifies() {
    let mut rng = StdRng::seed_from_u64(99);
    let mut input = String::new();
    for c in 0..CASES {
        let keys = PostbackKeys {
            access_key: format!("AK{}{c}", rnd_key(&mut rng, false)).into(),
            private_key: format!("PK{}{c}", rnd_string(&mut rng)).into(),
        };
        let ad = PhpValue::List(
            (0..rng.random_range(1..4))
                .map(|_| rnd_entry(&mut rng))
                .collect(),
        );
        let body = PhpValue::Map(vec![
            ("wallet_type".into(), PhpValue::string("upi_l")),
            ("amount".into(), rnd_scalar(&mut rng, false)),
            ("currency_code".into(), PhpValue::string("INR")),
            ("label".into(), PhpValue::string(rnd_string(&mut rng))),
            ("direction".into(), PhpValue::string("ingoing")),
            (
                "access_key".into(),
                PhpValue::string(keys.access_key.expose()),
            ),
            ("additional_data".into(), ad),
        ]);
        let text = signature::sign_postback_body(&keys, Scheme::Postback, &body).expect("sign");
        // Our own verifier accepts what our signer made, from the escaped wire text.
        signature::verify_postback(text.as_bytes(), &keys, Scheme::Postback).expect("self-verify");
        input.push_str(
            &serde_json::json!({"body": text, "ak": keys.access_key.expose(), "pk": keys.private_key.expose()})
                .to_string(),
        );
        input.push('\n');
    }
    let rows = oracle(&["verify-p"], &input);
    assert_eq!(rows.len(), CASES);
    for (row, line) in rows.iter().zip(input.lines()) {
        assert_eq!(
            row["ok"],
            Value::Bool(true),
            "PHP disagrees ({}) on {line}",
            row["php"]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Float printing, the part of PHP most likely to surprise.

#[test]
fn float_printing_matches_php_for_random_doubles() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut values: Vec<f64> = vec![
        0.1 + 0.2,
        762.0,
        1e20,
        -0.0,
        0.0,
        1.5e-7,
        1.0 / 3.0,
        123456789012345.0,
        1e14,
        1e15,
        1e16,
        1e17,
        0.0001,
        0.00001,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        9_223_372_036_854_775_808.0,
        99999999999999.99,
        0.5,
        2.5,
        1.25,
    ];
    while values.len() < 20_000 {
        let f = match rng.random_range(0..4) {
            0 => f64::from_bits(rng.random()),
            1 => f64::from(rng.random_range(-100_000_000..100_000_000)) / 100.0,
            2 => rng.random::<f64>() * 10f64.powi(rng.random_range(-20..30)),
            _ => {
                (rng.random_range(1..1_000_000_000_000_000i64) as f64)
                    * 10f64.powi(rng.random_range(-8..8))
            }
        };
        if f.is_finite() {
            values.push(f);
        }
    }
    let input: String = values
        .iter()
        .map(|f| format!("{}\n", hex::encode(f.to_be_bytes())))
        .collect();
    let rows = oracle(&["floats"], &input);
    assert_eq!(rows.len(), values.len());
    for (f, row) in values.iter().zip(&rows) {
        assert_eq!(
            float::to_php_string(*f),
            field(row, "str"),
            "(string) of {f:e}"
        );
        assert_eq!(
            float::json_float(*f),
            field(row, "json"),
            "json_encode of {f:e}"
        );
    }
}
