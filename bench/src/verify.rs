//! Signature verification per postback beside raw hashing of the same bytes.
//!
//! The body is the gateway's own deposit postback example (`fixtures/postback_upi_hb.json`,
//! with its full `converted_amount` map of ~170 currencies), re-signed with the sandbox's
//! keys so that it verifies. (P) hashes `md5(additional_data as JSON)` and then
//! `sha1(access_key . private_key . md5hex)`: the "raw" row does exactly those two hashes on
//! precomputed bytes; what the signature check adds is re-escaping `additional_data` from its
//! received text the way PHP does, and the full verification the one parse of the body (which
//! also finds that text) on top. A second baseline hashes the whole body.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context;
use md5::Md5;
use paykassma::php::{self, JsonFlags, PhpValue};
use paykassma::signature::{
    PostbackKeys, Scheme, check_parsed_postback, parse_body, sign_postback_body, verify_postback,
};
use sha1::{Digest, Sha1};

/// The gateway's example deposit postback (seed document), as received.
const SEED: &str = include_str!("../fixtures/postback_upi_hb.json");

/// Nanoseconds per operation of each measured step.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub body_bytes: usize,
    pub hashed_bytes: usize,
    pub iterations: u32,
    /// `check_parsed_postback` on a body already parsed: the check's own work.
    pub check_ns: f64,
    pub verify_ns: f64,
    pub parse_ns: f64,
    pub raw_p_hashes_ns: f64,
    pub raw_whole_body_ns: f64,
    /// Thread CPU time (true) or wall time.
    pub cpu_time: bool,
}

/// The seed postback signed with `keys` (its `access_key` replaced by ours), compact as the
/// gateway sends it.
pub fn seed_body(keys: &PostbackKeys, scheme: Scheme) -> anyhow::Result<String> {
    let mut body = php::parse(SEED.as_bytes()).context("seed postback")?;
    body.insert("access_key", PhpValue::string(keys.access_key.expose()));
    Ok(sign_postback_body(keys, scheme, &body)?)
}

fn md5_sha1(keys: &PostbackKeys, bytes: &[u8]) -> String {
    let md5 = hex::encode(Md5::digest(bytes));
    let mut h = Sha1::new();
    h.update(keys.access_key.expose().as_bytes());
    h.update(keys.private_key.expose().as_bytes());
    h.update(md5.as_bytes());
    hex::encode(h.finalize())
}

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, first field):
/// unlike wall time it does not grow while other processes hold the cores.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Median over `rounds` of the mean time per call of `f` over `iterations` calls: this
/// thread's CPU time when the kernel reports it, else wall time.
fn ns_per_op(iterations: u32, rounds: usize, mut f: impl FnMut()) -> f64 {
    // Warm-up: caches, allocator.
    for _ in 0..(iterations / 10).max(10) {
        f();
    }
    let mut per_round: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let cpu = thread_cpu_ns();
            let t = Instant::now();
            for _ in 0..iterations {
                f();
            }
            let wall = elapsed_ns(t.elapsed());
            let spent = match (cpu, thread_cpu_ns()) {
                (Some(a), Some(b)) if b > a => (b - a) as f64,
                _ => wall,
            };
            spent / f64::from(iterations.max(1))
        })
        .collect();
    per_round.sort_by(f64::total_cmp);
    per_round[per_round.len() / 2]
}

fn elapsed_ns(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// Whether [`ns_per_op`] measures CPU time here.
pub fn measures_cpu_time() -> bool {
    thread_cpu_ns().is_some()
}

/// Measures verification of the seed postback and its baselines.
pub fn run(keys: &PostbackKeys, iterations: u32) -> anyhow::Result<VerifyReport> {
    let scheme = Scheme::Postback;
    let body = seed_body(keys, scheme)?;
    let raw = body.as_bytes();
    let parsed = verify_postback(raw, keys, scheme).context("the seed must verify")?;
    let data = parsed
        .get("additional_data")
        .context("seed has additional_data")?;
    // The exact bytes (P) feeds to md5.
    let hashed = php::encode(data, JsonFlags::UNESCAPED);
    let expected = parsed
        .get("signature")
        .and_then(PhpValue::as_str)
        .context("signed")?
        .to_string();
    anyhow::ensure!(
        md5_sha1(keys, hashed.as_bytes()) == expected,
        "the raw baseline must compute the same signature"
    );
    let rounds = 5;
    let body = parse_body(raw).context("the seed parses")?;
    let check_ns = ns_per_op(iterations, rounds, || {
        let _ = black_box(check_parsed_postback(black_box(raw), &body, keys, scheme));
    });
    let verify_ns = ns_per_op(iterations, rounds, || {
        let _ = black_box(verify_postback(black_box(raw), keys, scheme));
    });
    let parse_ns = ns_per_op(iterations, rounds, || {
        let _ = black_box(php::parse(black_box(raw)));
    });
    let raw_p_hashes_ns = ns_per_op(iterations, rounds, || {
        black_box(md5_sha1(keys, black_box(hashed.as_bytes())));
    });
    let raw_whole_body_ns = ns_per_op(iterations, rounds, || {
        black_box(md5_sha1(keys, black_box(raw)));
    });
    Ok(VerifyReport {
        body_bytes: raw.len(),
        hashed_bytes: hashed.len(),
        iterations,
        check_ns,
        verify_ns,
        parse_ns,
        raw_p_hashes_ns,
        raw_whole_body_ns,
        cpu_time: measures_cpu_time(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_verifies_and_baseline_matches_signature() {
        let keys = paykassma_sandbox::SandboxConfig::default().postback_keys;
        let r = run(&keys, 10).unwrap();
        assert!(r.body_bytes > 3000, "full converted_amount map kept");
        assert!(r.hashed_bytes < r.body_bytes);
        assert!(r.verify_ns > 0.0 && r.raw_p_hashes_ns > 0.0);
        // Verification does the (P) hashing and more; the full verify also parses.
        assert!(r.check_ns > r.raw_p_hashes_ns);
        assert!(r.verify_ns > r.check_ns);
    }
}
