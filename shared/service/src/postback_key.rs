//! Dedupe keys for postbacks: the identity of a payment (or a withdrawal's result) that makes
//! crediting exactly-once, whatever body the gateway sends on its retries.
//!
//! Deposits (`in:`), in order of preference:
//! 1. `in:tx:<transaction_id>`: the gateway's transaction id (sorted and hashed when one postback
//!    carries several, as a savings payout does). It names one payment.
//! 2. `in:stockpiling:<stockpiling_id>`: only when no entry has a transaction id. Not first: the
//!    gateway's own examples show one `stockpiling_id` (1430926) on two different payments, so
//!    keying by it could swallow a second, real payment as a "duplicate".
//! 3. `in:order:<plugin_custom_order_id>`: our own deposit id (it never repeats).
//! 4. `in:body:<sha1>` of label, amount, currency, wallet type and `created_datetime`: a body
//!    with no id at all; repeats of the same postback hash alike.
//!
//! Withdrawals (`out:`): `out:<withdrawal_id>:<withdrawal_status>`, so a final status is applied
//! once and a different later status is still recorded.

use paykassma::postback::{Postback, WithdrawalStatus};
use sha1::{Digest, Sha1};

/// Keys longer than this are replaced by their hash (DynamoDB key size, log readability).
const MAX_KEY: usize = 200;

fn bounded(prefix: &str, id: &str) -> String {
    let key = format!("{prefix}{id}");
    if key.len() <= MAX_KEY {
        key
    } else {
        format!("{prefix}sha1:{}", sha1_hex(id))
    }
}

fn sha1_hex(s: &str) -> String {
    hex::encode(Sha1::digest(s.as_bytes()))
}

/// The dedupe key of an `ingoing` postback.
pub fn deposit_key(p: &Postback) -> String {
    let mut tx: Vec<&str> = p
        .additional_data
        .iter()
        .filter_map(|e| e.transaction_id.as_deref())
        .collect();
    tx.sort_unstable();
    tx.dedup();
    match tx.as_slice() {
        [one] => return bounded("in:tx:", one),
        [] => {}
        many => return format!("in:tx:sha1:{}", sha1_hex(&many.join(","))),
    }
    if let Some(id) = p
        .additional_data
        .iter()
        .find_map(|e| e.stockpiling_id.as_deref())
    {
        return bounded("in:stockpiling:", id);
    }
    if let Some(id) = p
        .additional_data
        .iter()
        .find_map(|e| e.plugin_custom_order_id.as_deref())
    {
        return bounded("in:order:", id);
    }
    let fingerprint = format!(
        "{}\n{}\n{}\n{}\n{}",
        p.label,
        p.amount.normalize(),
        p.currency_code,
        p.wallet_type,
        p.created_datetime.as_deref().unwrap_or("")
    );
    format!("in:body:{}", sha1_hex(&fingerprint))
}

/// The dedupe key of an `outgoing` postback's result for one withdrawal.
pub fn withdrawal_key(withdrawal_id: &str, status: WithdrawalStatus) -> String {
    let code = match status {
        WithdrawalStatus::Processed => 1,
        WithdrawalStatus::Rejected => 5,
        WithdrawalStatus::Other(c) => c,
    };
    bounded("out:", &format!("{withdrawal_id}:{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use paykassma::php::parse;

    fn pb(entries: &str) -> Postback {
        let body = format!(
            r#"{{"amount":"500","currency_code":"INR","label":"u1","direction":"ingoing","wallet_type":"upi_l","created_datetime":"2026-01-01 10:00:00","additional_data":[{entries}]}}"#
        );
        Postback::from_php(&parse(body.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn prefers_transaction_then_stockpiling_then_order() {
        // The seeds' two example postbacks: one stockpiling_id, two different payments.
        let upi_s = deposit_key(&pb(
            r#"{"stockpiling_id":1430926,"transaction_id":"322712363408"}"#,
        ));
        let upi_hb = deposit_key(&pb(
            r#"{"stockpiling_id":1430926,"transaction_id":"355015818634"}"#,
        ));
        assert_ne!(upi_s, upi_hb);
        assert_eq!(upi_s, "in:tx:322712363408");
        assert_eq!(
            deposit_key(&pb(
                r#"{"stockpiling_id":77,"transaction_id":""},{"stockpiling_id":77}"#
            )),
            "in:stockpiling:77"
        );
        assert_eq!(
            deposit_key(&pb(
                r#"{"transaction_id":"t1","plugin_custom_order_id":"d1"}"#
            )),
            "in:tx:t1"
        );
        let a = deposit_key(&pb(r#"{"transaction_id":"t2"},{"transaction_id":"t1"}"#));
        let b = deposit_key(&pb(r#"{"transaction_id":"t1"},{"transaction_id":"t2"}"#));
        assert_eq!(a, b);
        assert!(a.starts_with("in:tx:sha1:"));
        assert_eq!(
            deposit_key(&pb(
                r#"{"transaction_id":"","plugin_custom_order_id":"d1"}"#
            )),
            "in:order:d1"
        );
    }

    #[test]
    fn a_body_without_ids_hashes_its_identity() {
        let a = deposit_key(&pb(r#"{"comment":"x"}"#));
        assert!(a.starts_with("in:body:"));
        assert_eq!(
            a,
            deposit_key(&pb(r#"{"comment":"y"}"#)),
            "same payment facts, same key"
        );
    }

    #[test]
    fn long_ids_are_hashed_and_withdrawal_keys_carry_the_status() {
        let long = "x".repeat(300);
        let k = deposit_key(&pb(&format!(r#"{{"transaction_id":"{long}"}}"#)));
        assert!(k.len() < 100 && k.starts_with("in:tx:sha1:"));
        assert_eq!(
            withdrawal_key("w1", WithdrawalStatus::Processed),
            "out:w1:1"
        );
        assert_eq!(withdrawal_key("w1", WithdrawalStatus::Rejected), "out:w1:5");
        assert_eq!(withdrawal_key("w1", WithdrawalStatus::Other(3)), "out:w1:3");
    }
}
