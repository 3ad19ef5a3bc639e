//! Runs the real `paykassma` binary: stdin in, stdout/stderr/exit code out, for every
//! subcommand, including the failure modes a merchant meets while debugging.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use md5::Md5;
use paykassma::php::{self, PhpValue};
use paykassma::signature::{self, PostbackKeys, Scheme};
use paykassma::{Secret, qr};
use sha1::{Digest, Sha1};

const SEED_QR: &str =
    "upi://pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987";
const ACCESS: &str = "FQ9jMwrNSkFbyMNqYFf6Ed4xeKmjHK";
const PRIVATE: &str = "pk-Zr8vQe2LmXw4";

/// Runs the binary with `args` and `stdin`, with no keys inherited from the environment.
fn run_env(args: &[&str], envs: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_paykassma"));
    cmd.args(args)
        .env_remove("PAYKASSMA_ACCESS_KEY")
        .env_remove("PAYKASSMA_PRIVATE_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start paykassma");
    let mut input = child.stdin.take().unwrap();
    // Commands that fail early may close stdin before reading it all: ignore EPIPE.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_env(args, &[], stdin)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[track_caller]
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn hex_md5(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn hex_sha1(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

// ---- sign ----

#[test]
fn sign_prints_the_request_signature() {
    let body = br#"{"b":"x","a":1,"c":[true,null,"2.50"],"d":2.50,"signature":"old"}"#;
    let out = run(&["sign", "--private-key", "k"], body);
    assert_exit(&out, 0);
    let printed = stdout(&out);
    assert!(printed.ends_with('\n'));
    let printed = printed.trim_end();
    // Independently: ksort -> a, b, c, d; values imploded with ':' (nested list flattened,
    // true -> "1", null -> "", the float 2.50 -> "2.5"); `signature` left out.
    let preimage = "1:x:1::2.50:2.5";
    let want = hex_sha1(format!("k{}", hex_md5(preimage.as_bytes())).as_bytes());
    assert_eq!(printed, want);
    assert_eq!(
        printed,
        signature::request_signature_json(&Secret::new("k"), body).unwrap()
    );
    assert!(!stdout(&out).contains("old"));
}

#[test]
fn sign_takes_the_key_from_the_environment_and_never_prints_it() {
    let body = br#"{"withdrawal_id":"w-1","amount":500,"payment_system":"imps","label":"55"}"#;
    let out = run_env(&["sign"], &[("PAYKASSMA_PRIVATE_KEY", PRIVATE)], body);
    assert_exit(&out, 0);
    let want = signature::request_signature_json(&Secret::new(PRIVATE), body).unwrap();
    assert_eq!(stdout(&out), format!("{want}\n"));
    assert!(!stdout(&out).contains(PRIVATE) && !stderr(&out).contains(PRIVATE));

    let help = run_env(
        &["sign", "--help"],
        &[("PAYKASSMA_PRIVATE_KEY", PRIVATE)],
        b"",
    );
    assert_exit(&help, 0);
    assert!(stdout(&help).contains("PAYKASSMA_PRIVATE_KEY"));
    assert!(
        !stdout(&help).contains(PRIVATE),
        "help shows the env value: {}",
        stdout(&help)
    );
}

#[test]
fn sign_body_prints_the_signed_request() {
    let body = br#"{"b":"x/y","a":1}"#;
    let out = run(&["sign", "--private-key", "k", "--body"], body);
    assert_exit(&out, 0);
    let sig = signature::request_signature_json(&Secret::new("k"), body).unwrap();
    assert_eq!(
        stdout(&out),
        format!("{{\"b\":\"x/y\",\"a\":1,\"signature\":\"{sig}\"}}\n")
    );
}

#[test]
fn sign_refuses_bad_input_with_exit_2() {
    for bad in [&b"{not json"[..], b"[1,2]", b"", b"\xff"] {
        let out = run(&["sign", "--private-key", "k"], bad);
        assert_exit(&out, 2);
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).starts_with("paykassma: "), "{}", stderr(&out));
    }
    // No key at all: a usage error.
    let out = run(&["sign"], b"{}");
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--private-key"));
    let out = run(&["sign", "--private-key", ""], b"{}");
    assert_exit(&out, 2);
}

// ---- verify-postback ----

fn keys() -> PostbackKeys {
    PostbackKeys {
        access_key: ACCESS.into(),
        private_key: PRIVATE.into(),
    }
}

fn postback_body() -> PhpValue<'static> {
    php::parse(
        format!(
            r#"{{"wallet_type":"upi_l","amount":700,"currency_code":"INR","label":"55","converted_amount":{{"USD":8.43}},"direction":"ingoing","created_datetime":"2026-11-23 21:00:00","access_key":"{ACCESS}","additional_data":[{{"activated_datetime":"2026-11-23 21:00:00","comment":"paid via https://x/y é","amount":"700","currency_code":"INR","wallet_type":"upi_l","transaction_id":"321323438267","plugin_custom_order_id":"dep-1"}}]}}"#
        )
        .as_bytes(),
    )
    .unwrap()
    .into_owned()
}

fn signed(scheme: Scheme) -> String {
    signature::sign_postback_body(&keys(), scheme, &postback_body()).unwrap()
}

const VERIFY: &[&str] = &[
    "verify-postback",
    "--access-key",
    ACCESS,
    "--private-key",
    PRIVATE,
];

#[test]
fn verify_postback_accepts_a_signed_body() {
    let out = run(VERIFY, signed(Scheme::Postback).as_bytes());
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "valid\n");
    assert!(stderr(&out).is_empty());

    // Keys from the environment.
    let out = run_env(
        &["verify-postback"],
        &[
            ("PAYKASSMA_ACCESS_KEY", ACCESS),
            ("PAYKASSMA_PRIVATE_KEY", PRIVATE),
        ],
        signed(Scheme::Postback).as_bytes(),
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "valid\n");
}

#[test]
fn verify_postback_rejects_wrong_signatures_with_exit_1() {
    let body = signed(Scheme::Postback);
    let out = run(
        &[
            "verify-postback",
            "--access-key",
            ACCESS,
            "--private-key",
            "another-key",
        ],
        body.as_bytes(),
    );
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        "paykassma: the postback's signature does not match\n"
    );
    assert!(!stderr(&out).contains("another-key") && !stderr(&out).contains(ACCESS));

    let tampered = body.replace(r#""amount":"700""#, r#""amount":"7000""#);
    assert_ne!(tampered, body);
    let out = run(VERIFY, tampered.as_bytes());
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("signature does not match"));

    let out = run(
        &[
            "verify-postback",
            "--access-key",
            "not-ours",
            "--private-key",
            PRIVATE,
        ],
        body.as_bytes(),
    );
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("access_key"), "{}", stderr(&out));

    let unsigned = php::encode(&postback_body(), php::JsonFlags::DEFAULT);
    assert!(!unsigned.contains("signature"));
    let out = run(VERIFY, unsigned.as_bytes());
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("no signature"));
}

#[test]
fn verify_postback_refuses_malformed_input_with_exit_2() {
    for bad in [&b"{\"signature\":"[..], b"", b"[1]", b"\"text\""] {
        let out = run(VERIFY, bad);
        assert_exit(&out, 2);
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).contains("malformed"), "{}", stderr(&out));
    }
    let out = run(
        &["verify-postback", "--private-key", PRIVATE],
        signed(Scheme::Postback).as_bytes(),
    );
    assert_exit(&out, 2);
    let out = run(
        &[VERIFY, &["--scheme", "sha256"]].concat(),
        signed(Scheme::Postback).as_bytes(),
    );
    assert_exit(&out, 2);
}

#[test]
fn verify_postback_with_the_request_scheme() {
    let body = signed(Scheme::Request);
    let out = run(
        &[VERIFY, &["--scheme", "request"]].concat(),
        body.as_bytes(),
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "valid\n");
    // The same body checked with the (P) algorithm fails, and vice versa.
    assert_exit(&run(VERIFY, body.as_bytes()), 1);
    let out = run(
        &[VERIFY, &["--scheme", "request"]].concat(),
        signed(Scheme::Postback).as_bytes(),
    );
    assert_exit(&out, 1);
    let tampered = body.replace(r#""label":"55""#, r#""label":"56""#);
    assert_exit(
        &run(
            &[VERIFY, &["--scheme", "request"]].concat(),
            tampered.as_bytes(),
        ),
        1,
    );
}

// ---- plugin-url ----

#[test]
fn plugin_url_with_every_parameter() {
    let hash = "ab".repeat(32);
    let out = run(
        &[
            "plugin-url",
            "--server",
            "example.com",
            "--label",
            "55",
            "--currency-code",
            "INR",
            "--lang",
            "en",
            "--wallet-type",
            "upi_l",
            "--custom-transaction-id",
            "dep 1/2",
            "--fixed-amount",
            "500.50",
            "--payment-url-success-id",
            "2",
            "--payment-url-pending-id",
            "3",
            "--payment-url-fail-id",
            "1",
            "--success-url",
            &hash,
            "--fail-url",
            &hash,
            "--pending-url",
            &hash,
        ],
        b"",
    );
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        format!(
            "https://plugin.example.com/?label=55&currency_code=INR&lang=en&wallet_type=upi_l\
             &custom_transaction_id=dep+1%2F2&fixed_amount=500.50&payment_url_success_id=2\
             &payment_url_pending_id=3&payment_url_fail_id=1&success_url={hash}&fail_url={hash}&pending_url={hash}\n"
        )
    );
}

#[test]
fn plugin_url_with_a_base_url() {
    let out = run(
        &[
            "plugin-url",
            "--base-url",
            "http://127.0.0.1:9000/plugin/",
            "--label",
            "a&b",
            "--lang",
            "hi",
        ],
        b"",
    );
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "http://127.0.0.1:9000/plugin/?label=a%26b&lang=hi\n"
    );
}

#[test]
fn plugin_url_refuses_bad_values_with_exit_2() {
    let cases: [&[&str]; 7] = [
        &["plugin-url", "--label", "55"],
        &["plugin-url", "--server", "example.com"],
        &[
            "plugin-url",
            "--server",
            "example.com",
            "--label",
            "55",
            "--lang",
            "ru",
        ],
        &["plugin-url", "--server", "example.com", "--label", " 55"],
        &[
            "plugin-url",
            "--server",
            "example.com",
            "--label",
            "55",
            "--fixed-amount",
            "-1",
        ],
        &[
            "plugin-url",
            "--server",
            "example.com",
            "--label",
            "55",
            "--currency-code",
            "inr",
        ],
        &["plugin-url", "--base-url", "not a url", "--label", "55"],
    ];
    for args in cases {
        let out = run(args, b"");
        assert_exit(&out, 2);
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
}

// ---- qr ----

fn decode_png(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[test]
fn qr_png_decodes_back_to_the_input() {
    let out = run(
        &["qr", "--format", "png"],
        format!("{SEED_QR}\n").as_bytes(),
    );
    assert_exit(&out, 0);
    assert!(out.stdout.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(decode_png(&out.stdout), SEED_QR);
    assert!(out.stderr.is_empty());
}

#[test]
fn qr_svg_is_the_library_rendering() {
    let out = run(
        &["qr", "--format", "svg"],
        format!("{SEED_QR}\r\n").as_bytes(),
    );
    assert_exit(&out, 0);
    let svg = stdout(&out);
    assert_eq!(svg, qr::to_svg(SEED_QR).unwrap());
    assert!(svg.contains("<svg") && svg.ends_with("</svg>"));
}

#[test]
fn qr_refuses_bad_input_with_exit_2() {
    assert_exit(&run(&["qr", "--format", "png"], b"\n"), 2);
    assert_exit(
        &run(&["qr", "--format", "png"], "a".repeat(3000).as_bytes()),
        2,
    );
    assert_exit(&run(&["qr", "--format", "png"], b"\xff\xfe"), 2);
    assert_exit(&run(&["qr", "--format", "gif"], SEED_QR.as_bytes()), 2);
    assert_exit(&run(&["qr"], SEED_QR.as_bytes()), 2);
}

// ---- deep-links ----

#[test]
fn deep_links_prints_json() {
    let out = run(&["deep-links"], format!("{SEED_QR}\n").as_bytes());
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rest = SEED_QR.strip_prefix("upi://").unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "generic": SEED_QR,
            "paytm": format!("paytmmp://{rest}"),
            "phonepe": format!("phonepe://{rest}"),
            "gpay": format!("tez://upi/{rest}"),
        })
    );
}

#[test]
fn deep_links_refuses_non_upi_input_with_exit_2() {
    let out = run(&["deep-links"], b"https://example.com/pay\n");
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("upi://"));
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    assert_exit(&run(&["frobnicate"], b""), 2);
    assert_exit(&run(&[], b""), 2);
    let help = run(&["--help"], b"");
    assert_exit(&help, 0);
    for sub in ["sign", "verify-postback", "plugin-url", "qr", "deep-links"] {
        assert!(stdout(&help).contains(sub), "{sub}");
    }
}
