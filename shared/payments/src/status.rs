//! Deposit and withdrawal state machines. Each has its allowed transitions as data
//! (`TRANSITIONS`) and `is_terminal()`; the [`StateMachine`] trait reads the table once for
//! both: `can_transition`, and a checked `transition` that returns an error for an illegal move.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal {machine} transition {from} -> {to}")]
pub struct TransitionError {
    pub machine: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

/// A state of a machine whose moves are a table of (from, allowed tos).
pub trait StateMachine: Copy + Eq + 'static {
    /// The machine's name in a [`TransitionError`].
    const MACHINE: &'static str;
    /// The allowed moves: every state once, with the states it may move to.
    const TRANSITIONS: &'static [(Self, &'static [Self])];

    /// The state's stored name.
    fn name(self) -> &'static str;

    fn can_transition(self, to: Self) -> bool {
        Self::TRANSITIONS
            .iter()
            .any(|(from, tos)| *from == self && tos.contains(&to))
    }

    fn transition(self, to: Self) -> Result<Self, TransitionError> {
        if self.can_transition(to) {
            Ok(to)
        } else {
            Err(TransitionError {
                machine: Self::MACHINE,
                from: self.name(),
                to: to.name(),
            })
        }
    }
}

/// Where a deposit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositStatus {
    /// Created at the gateway; waiting for the user to pay.
    Pending,
    /// Activation submitted (UTR sent) or the gateway is checking it.
    Processing,
    /// The gateway answered `possible_transaction_created`: not seen yet, may still arrive.
    Possible,
    /// The payment was below the method's minimum deposit and went into the user's savings at
    /// the gateway ("stockpiling"): no postback until the savings reach the minimum, then one
    /// postback credits each saved payment. Never expires: the gateway holds the money.
    Saving,
    /// Credited with the ordered amount.
    Credited,
    /// Credited with what was paid, which differs from the order (amount or currency).
    AmountMismatch,
    /// Definitively failed (e.g. activation refused); nothing was credited.
    Rejected,
    /// No payment arrived in time. Terminal for reconciliation, but a later valid postback still
    /// credits it: money received is never dropped.
    Expired,
}

impl DepositStatus {
    pub const ALL: [Self; 8] = [
        Self::Pending,
        Self::Processing,
        Self::Possible,
        Self::Saving,
        Self::Credited,
        Self::AmountMismatch,
        Self::Rejected,
        Self::Expired,
    ];

    /// No more work for reconciliation (the deposit leaves the open-work index).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Credited | Self::AmountMismatch | Self::Rejected | Self::Expired
        )
    }

    /// Whether a postback may still credit this deposit (and move it).
    pub fn accepts_credit(self) -> bool {
        self.can_transition(Self::Credited)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Possible => "possible",
            Self::Saving => "saving",
            Self::Credited => "credited",
            Self::AmountMismatch => "amount_mismatch",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a withdrawal is. The user's money is debited (held) from `Pending` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalStatus {
    /// Debited and recorded; known not to have reached the gateway (never sent, or the
    /// connection was refused). Safe to send.
    Pending,
    /// The gateway accepted it (`{"status":"ok"}`); its result comes by postback.
    Submitted,
    /// Being sent, or the send's outcome is not known (timeout, 5xx, a crash mid-call): the
    /// gateway may have it. Only the gateway's own word settles it; nothing is refunded or
    /// re-sent on a guess.
    Unknown,
    /// Paid out (postback `withdrawal_status` 1). The held money is released.
    Processed,
    /// Not paid (refused at submission or postback status 5). The money is refunded.
    Rejected,
}

impl WithdrawalStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Submitted,
        Self::Unknown,
        Self::Processed,
        Self::Rejected,
    ];

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Processed | Self::Rejected)
    }

    /// The states a withdrawal can be finished or refunded from.
    pub fn open_states() -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(|s| !s.is_terminal())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Submitted => "submitted",
            Self::Unknown => "unknown",
            Self::Processed => "processed",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl StateMachine for DepositStatus {
    const MACHINE: &'static str = "deposit";

    /// The allowed moves, as data. `Processing -> Pending` lets a user retry an activation the
    /// gateway refused as malformed; `Expired -> Credited|AmountMismatch` is a late payment;
    /// `Saving` leaves only by the savings postback (never expired, never rejected: the gateway
    /// holds the money).
    const TRANSITIONS: &'static [(Self, &'static [Self])] = {
        use DepositStatus::*;
        &[
            (
                Pending,
                &[
                    Processing,
                    Possible,
                    Credited,
                    AmountMismatch,
                    Rejected,
                    Expired,
                ],
            ),
            (
                Processing,
                &[
                    Pending,
                    Possible,
                    Saving,
                    Credited,
                    AmountMismatch,
                    Rejected,
                    Expired,
                ],
            ),
            (
                Possible,
                &[
                    Processing,
                    Saving,
                    Credited,
                    AmountMismatch,
                    Rejected,
                    Expired,
                ],
            ),
            (Saving, &[Credited, AmountMismatch]),
            (Expired, &[Credited, AmountMismatch]),
            (Credited, &[]),
            (AmountMismatch, &[]),
            (Rejected, &[]),
        ]
    };

    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl StateMachine for WithdrawalStatus {
    const MACHINE: &'static str = "withdrawal";

    /// The allowed moves, as data.
    /// - `Pending -> Processed`: a postback is authoritative and can arrive before we recorded
    ///   the submission (crash between the gateway's answer and our write).
    /// - `Submitted -> Unknown` is NOT allowed: once the gateway acknowledged the withdrawal it
    ///   exists there, and only its result (Processed/Rejected) can follow. A lost postback is
    ///   found by reconciliation asking for it, not by forgetting what we know.
    /// - `Unknown -> Pending` only for the sender that marked it `Unknown` before its call and
    ///   then saw the call never leave (connection refused): provably not sent.
    const TRANSITIONS: &'static [(Self, &'static [Self])] = {
        use WithdrawalStatus::*;
        &[
            (Pending, &[Submitted, Unknown, Processed, Rejected]),
            (Unknown, &[Pending, Submitted, Processed, Rejected]),
            (Submitted, &[Processed, Rejected]),
            (Processed, &[]),
            (Rejected, &[]),
        ]
    };

    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for DepositStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for WithdrawalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deposit_state_is_in_the_table_once_and_terminals_mostly_stay() {
        for s in DepositStatus::ALL {
            assert_eq!(
                DepositStatus::TRANSITIONS
                    .iter()
                    .filter(|(f, _)| *f == s)
                    .count(),
                1,
                "{s}"
            );
            assert_eq!(DepositStatus::parse(s.as_str()), Some(s));
            assert!(!s.can_transition(s), "{s} -> itself");
        }
        for s in [
            DepositStatus::Credited,
            DepositStatus::AmountMismatch,
            DepositStatus::Rejected,
        ] {
            assert!(s.is_terminal());
            assert!(
                DepositStatus::ALL.iter().all(|to| !s.can_transition(*to)),
                "{s} must have no way out"
            );
        }
    }

    #[test]
    fn an_expired_deposit_still_takes_a_late_payment_but_nothing_else() {
        let e = DepositStatus::Expired;
        assert!(e.is_terminal());
        assert!(e.accepts_credit());
        assert_eq!(
            e.transition(DepositStatus::AmountMismatch),
            Ok(DepositStatus::AmountMismatch)
        );
        assert_eq!(
            e.transition(DepositStatus::Pending),
            Err(TransitionError {
                machine: "deposit",
                from: "expired",
                to: "pending"
            })
        );
        assert!(!DepositStatus::Credited.accepts_credit());
        assert!(
            DepositStatus::Pending
                .transition(DepositStatus::Processing)
                .is_ok()
        );
        assert!(!DepositStatus::Pending.is_terminal());
    }

    #[test]
    fn saved_money_leaves_savings_only_by_a_credit() {
        let s = DepositStatus::Saving;
        assert!(!s.is_terminal(), "reconciliation keeps looking it up");
        assert!(s.accepts_credit());
        assert!(s.can_transition(DepositStatus::AmountMismatch));
        for never in [
            DepositStatus::Expired,
            DepositStatus::Rejected,
            DepositStatus::Pending,
        ] {
            assert!(!s.can_transition(never), "saving -> {never}");
        }
        assert!(DepositStatus::Processing.can_transition(s));
        assert!(DepositStatus::Possible.can_transition(s));
        assert!(
            !DepositStatus::Pending.can_transition(s),
            "only after an activation"
        );
    }

    #[test]
    fn withdrawal_machine() {
        use WithdrawalStatus::*;
        for s in WithdrawalStatus::ALL {
            assert_eq!(
                WithdrawalStatus::TRANSITIONS
                    .iter()
                    .filter(|(f, _)| *f == s)
                    .count(),
                1
            );
            assert_eq!(WithdrawalStatus::parse(s.as_str()), Some(s));
        }
        assert!(
            Pending.can_transition(Submitted)
                && Pending.can_transition(Unknown)
                && Pending.can_transition(Rejected)
        );
        assert!(
            Unknown.can_transition(Submitted)
                && Unknown.can_transition(Processed)
                && Unknown.can_transition(Rejected)
                && Unknown.can_transition(Pending)
        );
        assert!(Submitted.transition(Pending).is_err());
        assert!(Submitted.can_transition(Processed) && Submitted.can_transition(Rejected));
        assert!(Submitted.transition(Unknown).is_err());
        assert!(Processed.transition(Rejected).is_err());
        assert!(Rejected.transition(Processed).is_err());
        assert_eq!(
            WithdrawalStatus::open_states().collect::<Vec<_>>(),
            vec![Pending, Submitted, Unknown]
        );
    }
}
