//! What the gateway's status codes mean for our records, in one place: each status type of the
//! `paykassma` client converts (`From`) into the decision a use case acts on, so no use case
//! reads a gateway code itself and a new code is a change here, with its test.
//!
//! The conversions target decision types of this crate rather than `payments`' states: the
//! orphan rule allows `From<paykassma::X> for payments::Y` only in one of those two crates,
//! and neither may know the other (`paykassma` is a standalone client, `payments` the pure
//! domain). The decisions also say more than a target state does: a payout "not final" keeps
//! the code the gateway sent.

use paykassma::client::UpiSStatus;
use paykassma::postback::PayoutStatus;
use payments::DepositStatus;

/// What an `outgoing` postback's `withdrawal_status` asks of our withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayoutVerdict {
    /// 1: paid out; the withdrawal is finished (the hold becomes a payout).
    Paid,
    /// 5: refused; the hold is refunded.
    Refused,
    /// Any other code: recorded, the withdrawal stays as it is.
    NotFinal { code: i64 },
}

impl From<PayoutStatus> for PayoutVerdict {
    fn from(status: PayoutStatus) -> Self {
        match status {
            PayoutStatus::Processed => Self::Paid,
            PayoutStatus::Rejected => Self::Refused,
            PayoutStatus::Other(code) => Self::NotFinal { code },
        }
    }
}

/// What the UPI_S status endpoint asks of a pending QR deposit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpiSVerdict {
    /// Not paid and never will be: the deposit moves to `to`, telling the user `message`.
    Close {
        to: DepositStatus,
        message: &'static str,
    },
    /// Paid or still being confirmed: the postback decides; the deposit stays as stored.
    Wait,
}

impl From<UpiSStatus> for UpiSVerdict {
    fn from(status: UpiSStatus) -> Self {
        match status {
            UpiSStatus::Failed => Self::Close {
                to: DepositStatus::Rejected,
                message: "the UPI payment failed",
            },
            // A paid order is credited by its postback only, never from this answer.
            UpiSStatus::Success | UpiSStatus::Processing => Self::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_codes_1_and_5_settle_a_payout() {
        assert_eq!(
            PayoutVerdict::from(PayoutStatus::from_code(1)),
            PayoutVerdict::Paid
        );
        assert_eq!(
            PayoutVerdict::from(PayoutStatus::from_code(5)),
            PayoutVerdict::Refused
        );
        for code in [0, 2, 3, 4, 6, -1] {
            assert_eq!(
                PayoutVerdict::from(PayoutStatus::from_code(code)),
                PayoutVerdict::NotFinal { code }
            );
        }
    }

    #[test]
    fn only_a_failed_upi_s_order_closes_the_deposit() {
        assert!(matches!(
            UpiSVerdict::from(UpiSStatus::Failed),
            UpiSVerdict::Close {
                to: DepositStatus::Rejected,
                ..
            }
        ));
        assert_eq!(UpiSVerdict::from(UpiSStatus::Success), UpiSVerdict::Wait);
        assert_eq!(UpiSVerdict::from(UpiSStatus::Processing), UpiSVerdict::Wait);
    }
}
