//! What happens when money moves: a deposit is credited (through the savings rule, onto the
//! merchant's gateway balance, then a postback), a withdrawal is settled (a postback with its
//! status; a rejection gives the balance back).

use rust_decimal::Decimal;

use crate::clock::gateway_now;
use crate::delivery;
use crate::postbacks::{self, Header};
use crate::state::{Credit, Direction, PayoutState, Savings, SharedRef, StoredPostback};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LedgerError {
    #[error("no such withdrawal")]
    UnknownWithdrawal,
    #[error("the withdrawal is already {0:?}")]
    AlreadyFinal(PayoutState),
    #[error("signing the postback failed: {0}")]
    Sign(String),
}

/// Credits a confirmed payment. Returns true when it produced a postback, false while the
/// label's savings are still below the method's minimum deposit.
pub fn credit(shared: &SharedRef, c: Credit) -> Result<bool, LedgerError> {
    let config = &shared.config;
    let postback = {
        let mut st = shared.lock();
        st.balance_mut(&c.wallet_type, &c.currency_code).amount += c.amount;
        let minimum = config
            .wallet(&c.wallet_type)
            .and_then(|w| w.minimum_deposit.get(&c.currency_code))
            .copied()
            .unwrap_or(Decimal::ZERO);
        let at = match st.savings.iter().position(|s| {
            s.label == c.label
                && s.wallet_type == c.wallet_type
                && s.currency_code == c.currency_code
        }) {
            Some(at) => at,
            None => {
                let stockpiling_id = st.next_id();
                st.savings.push(Savings {
                    label: c.label.clone(),
                    wallet_type: c.wallet_type.clone(),
                    currency_code: c.currency_code.clone(),
                    stockpiling_id,
                    entries: Vec::new(),
                });
                st.savings.len() - 1
            }
        };
        st.savings[at].entries.push(c);
        if st.savings[at].sum() < minimum {
            return Ok(false);
        }
        let savings = st.savings.remove(at);
        let id = st.next_postback_id();
        build_deposit(shared, id, &savings)?
    };
    delivery::publish(shared, postback);
    Ok(true)
}

fn build_deposit(
    shared: &SharedRef,
    id: u64,
    savings: &Savings,
) -> Result<StoredPostback, LedgerError> {
    let entries = savings
        .entries
        .iter()
        .map(|c| postbacks::deposit_entry(c, savings.stockpiling_id))
        .collect();
    let header = Header {
        wallet_type: &savings.wallet_type,
        amount: savings.sum(),
        currency_code: &savings.currency_code,
        label: &savings.label,
        direction: Direction::Ingoing,
        created_datetime: gateway_now(shared.config.gateway_utc_offset_hours),
    };
    postbacks::build(&shared.config, id, header, entries)
        .map_err(|e| LedgerError::Sign(e.to_string()))
}

/// Finishes a withdrawal as processed (paid) or rejected (balance returned), and sends the
/// outgoing postback.
pub fn settle_withdrawal(
    shared: &SharedRef,
    withdrawal_id: &str,
    processed: bool,
) -> Result<(), LedgerError> {
    let postback = {
        let mut st = shared.lock();
        // With repeated ids accepted as new payouts, one id may name several: the first one
        // still open is settled.
        let mine = |w: &&crate::state::Withdrawal| w.withdrawal_id == withdrawal_id;
        let at = st
            .withdrawals
            .iter()
            .position(|w| mine(&w) && w.status == PayoutState::New)
            .or_else(|| st.withdrawals.iter().position(|w| mine(&w)))
            .ok_or(LedgerError::UnknownWithdrawal)?;
        let status = st.withdrawals[at].status;
        if status != PayoutState::New {
            return Err(LedgerError::AlreadyFinal(status));
        }
        let w = &mut st.withdrawals[at];
        w.status = if processed {
            PayoutState::Processed
        } else {
            PayoutState::Rejected
        };
        let w = w.clone();
        if !processed {
            st.balance_mut(&w.payment_system, &w.currency_code).amount += w.amount;
        }
        let id = st.next_postback_id();
        let header = Header {
            wallet_type: &w.payment_system,
            amount: w.amount,
            currency_code: &w.currency_code,
            label: &w.label,
            direction: Direction::Outgoing,
            created_datetime: gateway_now(shared.config.gateway_utc_offset_hours),
        };
        postbacks::build(
            &shared.config,
            id,
            header,
            vec![postbacks::withdrawal_entry(&w)],
        )
        .map_err(|e| LedgerError::Sign(e.to_string()))?
    };
    delivery::publish(shared, postback);
    Ok(())
}
