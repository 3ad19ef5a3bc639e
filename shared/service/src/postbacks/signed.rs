//! What a verified postback proves, read only from what its signature covers.
//!
//! Under the (P) scheme the signature covers `additional_data` alone: every top-level field
//! (`direction`, `label`, `amount`, `currency_code`, `wallet_type`, `created_datetime`) is
//! whatever the sender wrote, so nothing here decides money from them. Under (W) the whole
//! body is signed, and a body fetched by our own authenticated lookup is the gateway's word;
//! in those two cases the top level is trusted as well ([`Trust::Whole`]).
//!
//! The entries decide the kind: an entry with `withdrawal_id`/`withdrawal_status` is a
//! withdrawal result, whatever `direction` says. A body whose `direction` contradicts its
//! entries, or that mixes both kinds, is refused: the gateway never sends one, so it is a
//! tampering (or a gateway fault a person must see).

use paykassma::php::{JsonFlags, PhpValue, encode};
use paykassma::postback::{Direction, Postback, PostbackEntry};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// How much of a body is vouched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Only `additional_data` (the (P) scheme).
    Entries,
    /// The whole body: signed under (W), or fetched from the gateway by us.
    Whole,
}

/// What a verified postback is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// Withdrawal results, one per entry (applied by `withdrawals::apply_outgoing`).
    Withdrawal,
    /// Payments, one per entry, each booked on its own.
    Deposits(Vec<DepositEntry>),
}

/// One payment, from signed data only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositEntry {
    /// The gateway's transaction number.
    pub transaction_id: Option<String>,
    /// `plugin_custom_order_id`: our deposit id when the payment was made on our order.
    pub order_id: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub wallet_type: Option<String>,
    /// The payer's label when it is vouched for ([`Trust::Whole`]); `None` under (P).
    pub signed_label: Option<String>,
    /// The top-level label as sent: a hint for an operator, never an owner.
    pub claimed_label: String,
    /// sha256 of the entry as signed: the identity of an entry that names no transaction.
    pub fingerprint: String,
}

/// Why a verified body is refused outright (answered 422, counted as `PostbackRefused`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("an ingoing postback whose entries are withdrawal results")]
    WithdrawalEntriesInDeposit,
    #[error("an outgoing postback whose entries are payments")]
    DepositEntriesInWithdrawal,
    #[error("a postback mixing payments and withdrawal results")]
    MixedEntries,
    #[error("a postback with payment entries and an unknown direction {0:?}")]
    UnknownDirection(String),
    #[error("a postback without signed entries")]
    NoEntries,
}

fn is_withdrawal(e: &PostbackEntry) -> bool {
    e.withdrawal_id.is_some() || e.withdrawal_status.is_some()
}

/// Reads what `p` (decoded from `body`) proves under `trust`.
pub fn classify(p: &Postback, body: &PhpValue, trust: Trust) -> Result<Signed, Refusal> {
    let withdrawals = p
        .additional_data
        .iter()
        .filter(|e| is_withdrawal(e))
        .count();
    let all = p.additional_data.len();
    if withdrawals > 0 && withdrawals < all {
        return Err(Refusal::MixedEntries);
    }
    if all > 0 && withdrawals == all {
        return match p.direction {
            // Under (P) an attacker flips `direction` to pass a withdrawal off as a payment.
            Direction::Ingoing => Err(Refusal::WithdrawalEntriesInDeposit),
            Direction::Outgoing | Direction::Other(_) => Ok(Signed::Withdrawal),
        };
    }
    match &p.direction {
        Direction::Ingoing => {}
        Direction::Outgoing if all > 0 => return Err(Refusal::DepositEntriesInWithdrawal),
        // A withdrawal report without entries settles nothing; apply_outgoing records nothing.
        Direction::Outgoing => return Ok(Signed::Withdrawal),
        Direction::Other(d) => return Err(Refusal::UnknownDirection(d.clone())),
    }
    let whole = trust == Trust::Whole;
    if all == 0 {
        if !whole {
            return Err(Refusal::NoEntries);
        }
        // A wholly signed body without entries: the top level is the one payment it reports.
        return Ok(Signed::Deposits(vec![DepositEntry {
            transaction_id: None,
            order_id: None,
            amount: Some(p.amount),
            currency: Some(p.currency_code.clone()).filter(|c| !c.is_empty()),
            wallet_type: Some(p.wallet_type.clone()).filter(|w| !w.is_empty()),
            signed_label: Some(p.label.clone()),
            claimed_label: p.label.clone(),
            fingerprint: fingerprint(body),
        }]));
    }
    let raw_entries = match body.get("additional_data") {
        Some(PhpValue::List(items)) => items.as_slice(),
        _ => &[],
    };
    // The top-level amount and currency describe the whole body: they stand in for an
    // entry's own only when vouched for and there is a single entry.
    let single = whole && all == 1;
    let entries = p
        .additional_data
        .iter()
        .enumerate()
        .map(|(i, e)| DepositEntry {
            transaction_id: e.transaction_id.clone(),
            order_id: e.plugin_custom_order_id.clone(),
            amount: e.amount.or(single.then_some(p.amount)),
            currency: e
                .currency_code
                .clone()
                .or_else(|| single.then(|| p.currency_code.clone()))
                .filter(|c| !c.is_empty()),
            wallet_type: e
                .wallet_type
                .clone()
                .or_else(|| whole.then(|| p.wallet_type.clone()))
                .filter(|w| !w.is_empty()),
            signed_label: whole.then(|| p.label.clone()),
            claimed_label: p.label.clone(),
            fingerprint: raw_entries.get(i).map(fingerprint).unwrap_or_default(),
        })
        .collect();
    Ok(Signed::Deposits(entries))
}

fn fingerprint(v: &PhpValue) -> String {
    hex::encode(Sha256::digest(encode(v, JsonFlags::UNESCAPED).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use paykassma::php::parse;

    fn read(body: &str, trust: Trust) -> Result<Signed, Refusal> {
        let v = parse(body.as_bytes()).unwrap();
        let p = Postback::from_php(&v).unwrap();
        classify(&p, &v, trust)
    }

    fn body(direction: &str, entries: &str) -> String {
        format!(
            r#"{{"amount":"500","currency_code":"INR","label":"u1","direction":"{direction}","wallet_type":"upi_l","additional_data":[{entries}]}}"#
        )
    }

    const WITHDRAWAL: &str =
        r#"{"amount":"500","currency_code":"INR","withdrawal_id":"w1","withdrawal_status":1}"#;
    const PAYMENT: &str = r#"{"amount":"500","currency_code":"INR","transaction_id":"t1"}"#;

    #[test]
    fn entries_decide_the_kind_whatever_direction_says() {
        for trust in [Trust::Entries, Trust::Whole] {
            assert_eq!(
                read(&body("ingoing", WITHDRAWAL), trust),
                Err(Refusal::WithdrawalEntriesInDeposit)
            );
            assert_eq!(
                read(&body("outgoing", WITHDRAWAL), trust),
                Ok(Signed::Withdrawal)
            );
            assert_eq!(read(&body("x", WITHDRAWAL), trust), Ok(Signed::Withdrawal));
            assert_eq!(
                read(&body("outgoing", PAYMENT), trust),
                Err(Refusal::DepositEntriesInWithdrawal)
            );
            assert_eq!(
                read(&body("ingoing", &format!("{PAYMENT},{WITHDRAWAL}")), trust),
                Err(Refusal::MixedEntries)
            );
            assert!(matches!(
                read(&body("x", PAYMENT), trust),
                Err(Refusal::UnknownDirection(_))
            ));
        }
    }

    #[test]
    fn under_p_the_top_level_never_stands_in_for_an_entry() {
        let Ok(Signed::Deposits(e)) = read(
            &body("ingoing", r#"{"transaction_id":"t1"}"#),
            Trust::Entries,
        ) else {
            panic!("not a deposit")
        };
        assert_eq!(e[0].amount, None);
        assert_eq!(e[0].currency, None);
        assert_eq!(e[0].signed_label, None);
        assert_eq!(e[0].claimed_label, "u1");
        assert_eq!(
            read(&body("ingoing", ""), Trust::Entries),
            Err(Refusal::NoEntries)
        );
    }

    #[test]
    fn under_w_a_single_entry_takes_the_signed_top_level() {
        let Ok(Signed::Deposits(e)) =
            read(&body("ingoing", r#"{"transaction_id":"t1"}"#), Trust::Whole)
        else {
            panic!("not a deposit")
        };
        assert_eq!(e[0].amount, Some(Decimal::from(500)));
        assert_eq!(e[0].currency.as_deref(), Some("INR"));
        assert_eq!(e[0].signed_label.as_deref(), Some("u1"));
        // Two entries: the top-level sum is not either entry's amount.
        let Ok(Signed::Deposits(e)) = read(
            &body(
                "ingoing",
                r#"{"transaction_id":"t1"},{"transaction_id":"t2"}"#,
            ),
            Trust::Whole,
        ) else {
            panic!("not a deposit")
        };
        assert!(e.iter().all(|e| e.amount.is_none() && e.currency.is_none()));
        assert_ne!(e[0].fingerprint, e[1].fingerprint);
        let Ok(Signed::Deposits(e)) = read(&body("ingoing", ""), Trust::Whole) else {
            panic!("not a deposit")
        };
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].transaction_id, None);
    }
}
