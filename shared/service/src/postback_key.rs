//! Dedupe keys for postbacks: the identity of a payment (or a withdrawal's result) that makes
//! booking exactly-once, whatever body the gateway sends on its retries. Every key is built
//! from signed data only (an `additional_data` entry), never from a top-level field.
//!
//! Payments (`in:`), one per entry, in order of preference:
//! 1. `in:tx:<transaction_id>`: the gateway's transaction number. It names one payment, so
//!    each entry of a savings postback has its own key and is booked on its own.
//! 2. `in:order:<plugin_custom_order_id>`: our own deposit id (it never repeats).
//! 3. none: an entry naming neither cannot be told apart from a second real payment, so it is
//!    never credited automatically; it is kept as unbooked under
//!    `in:unidentified:<sha256 of the signed entry>` (repeats of the same entry hash alike).
//!
//! `stockpiling_id` is never a key: the gateway's own examples show one (1430926) on two
//! different payments. A body with no id at all is no longer hashed from its unsigned
//! fields: under (P) an attacker writes those.
//!
//! Withdrawals (`out:`): `out:<withdrawal_id>:<withdrawal_status>`, so a final status is applied
//! once and a different later status is still recorded.

use paykassma::postback::PayoutStatus;
use sha1::{Digest, Sha1};

/// Keys longer than this are replaced by their hash (DynamoDB key size, log readability).
const MAX_KEY: usize = 200;

fn bounded(prefix: &str, id: &str) -> String {
    let key = format!("{prefix}{id}");
    if key.len() <= MAX_KEY {
        key
    } else {
        format!("{prefix}sha1:{}", hex::encode(Sha1::digest(id.as_bytes())))
    }
}

/// The key of one payment entry: by its transaction number, else by our order id.
pub fn deposit_key(transaction_id: Option<&str>, order_id: Option<&str>) -> Option<String> {
    fn nonempty(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    if let Some(tx) = nonempty(transaction_id) {
        return Some(bounded("in:tx:", tx));
    }
    nonempty(order_id).map(|id| bounded("in:order:", id))
}

/// The key under which an entry naming no payment is kept unbooked.
pub fn unidentified_key(fingerprint: &str) -> String {
    bounded("in:unidentified:", fingerprint)
}

/// The dedupe key of an `outgoing` postback's result for one withdrawal.
pub fn withdrawal_key(withdrawal_id: &str, status: PayoutStatus) -> String {
    bounded("out:", &format!("{withdrawal_id}:{}", status.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_number_wins_then_our_order() {
        // The seeds' two example postbacks: one stockpiling_id, two different payments.
        assert_eq!(
            deposit_key(Some("322712363408"), Some("d1")).as_deref(),
            Some("in:tx:322712363408")
        );
        assert_ne!(
            deposit_key(Some("322712363408"), None),
            deposit_key(Some("355015818634"), None)
        );
        assert_eq!(
            deposit_key(Some(" "), Some("d1")).as_deref(),
            Some("in:order:d1")
        );
        assert_eq!(deposit_key(None, None), None);
        assert_eq!(deposit_key(Some(""), Some("")), None);
        assert_eq!(unidentified_key("ab12"), "in:unidentified:ab12");
    }

    #[test]
    fn long_ids_are_hashed_and_withdrawal_keys_carry_the_status() {
        let long = "x".repeat(300);
        let k = deposit_key(Some(&long), None).unwrap();
        assert!(k.len() < 100 && k.starts_with("in:tx:sha1:"));
        assert_eq!(withdrawal_key("w1", PayoutStatus::Processed), "out:w1:1");
        assert_eq!(withdrawal_key("w1", PayoutStatus::Rejected), "out:w1:5");
        assert_eq!(withdrawal_key("w1", PayoutStatus::Other(3)), "out:w1:3");
    }
}
