//! Withdrawals held for a person: the gateway's answers left their outcome undecided (a
//! re-send refused, "not found" long after the send, an unknown outcome past its grace), or a
//! gateway status contradicted a settled one. Flagged by reconciliation and the postback path,
//! listed for an operator, closed exactly once. The rules of an item's life are here, so both
//! adapters keep them alike.

use async_trait::async_trait;

use super::keys::trunc_micros;
use super::{AttentionFlag, AttentionState, Page, PageRequest, StoreError, WithdrawalAttention};
use crate::ids::WithdrawalId;

/// The newest gateway answers an item keeps (older ones are dropped first).
pub const MAX_OBSERVATIONS: usize = 50;

#[async_trait]
pub trait AttentionStore: Send + Sync {
    /// Opens the item for `flag.withdrawal_id` (or reopens a closed one, starting a new
    /// `since`), sets its reason and appends the observation. Returns the item as stored.
    async fn flag_withdrawal(&self, flag: AttentionFlag)
    -> Result<WithdrawalAttention, StoreError>;

    async fn get_attention(
        &self,
        id: &WithdrawalId,
    ) -> Result<Option<WithdrawalAttention>, StoreError>;

    /// The open ones, longest waiting first.
    async fn list_attention(
        &self,
        page: &PageRequest,
    ) -> Result<Page<WithdrawalAttention>, StoreError>;

    /// Closes an open item with `state` (a `Closed` one): `NotFound`, or `StateConflict` when
    /// it is closed already (nothing changes then).
    async fn close_attention(
        &self,
        id: &WithdrawalId,
        state: AttentionState,
    ) -> Result<WithdrawalAttention, StoreError>;
}

/// The item after `flag`, from what was stored before (if anything).
pub fn flagged(before: Option<WithdrawalAttention>, flag: AttentionFlag) -> WithdrawalAttention {
    let at = trunc_micros(flag.at);
    let observation = format!("{} {}", crate::store::keys::sort_time(at), flag.observation);
    match before {
        Some(mut item) if item.state == AttentionState::Open => {
            item.reason = flag.reason;
            item.detail = flag.detail;
            if item.observations.last().map(|o| after_time(o)) != Some(flag.observation.as_str()) {
                item.observations.push(observation);
            }
            let excess = item.observations.len().saturating_sub(MAX_OBSERVATIONS);
            item.observations.drain(..excess);
            item.revision += 1;
            item
        }
        before => {
            let mut observations = before
                .as_ref()
                .map(|b| b.observations.clone())
                .unwrap_or_default();
            observations.push(observation);
            let excess = observations.len().saturating_sub(MAX_OBSERVATIONS);
            observations.drain(..excess);
            WithdrawalAttention {
                withdrawal_id: flag.withdrawal_id,
                label: flag.label,
                reason: flag.reason,
                detail: flag.detail,
                since: at,
                observations,
                state: AttentionState::Open,
                revision: before.map_or(0, |b| b.revision + 1),
            }
        }
    }
}

/// An observation's text without its time stamp.
fn after_time(observation: &str) -> &str {
    observation
        .split_once(' ')
        .map_or(observation, |(_, rest)| rest)
}

/// What a flag must carry.
pub fn validate_flag(flag: &AttentionFlag) -> Result<(), StoreError> {
    super::check_key("attention reason", &flag.reason)?;
    if flag.observation.len() > 2_000 || flag.detail.len() > 2_000 {
        return Err(StoreError::Invalid(
            "attention detail and observation are at most 2000 bytes".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Label;
    use crate::store::AttentionOutcome;

    fn flag(obs: &str, at: i64) -> AttentionFlag {
        AttentionFlag {
            withdrawal_id: WithdrawalId::parse("w1").unwrap(),
            label: Label::parse("u").unwrap(),
            reason: "resend_refused".into(),
            detail: "words".into(),
            observation: obs.into(),
            at: time::OffsetDateTime::from_unix_timestamp(at).unwrap(),
        }
    }

    #[test]
    fn an_item_keeps_its_since_and_the_newest_distinct_answers() {
        let a = flagged(None, flag("not found", 100));
        let b = flagged(Some(a.clone()), flag("not found", 200));
        assert_eq!(b.observations.len(), 1, "a repeated answer is kept once");
        assert_eq!(b.since, a.since);
        let mut c = b;
        for i in 0..(MAX_OBSERVATIONS + 5) {
            c = flagged(Some(c), flag(&format!("answer {i}"), 300 + i as i64));
        }
        assert_eq!(c.observations.len(), MAX_OBSERVATIONS);
        assert!(
            c.observations
                .last()
                .unwrap()
                .ends_with(&format!("answer {}", MAX_OBSERVATIONS + 4))
        );
        let closed = WithdrawalAttention {
            state: AttentionState::Closed {
                outcome: AttentionOutcome::Paid,
                by: "op".into(),
                note: "n".into(),
                at: c.since,
            },
            ..c
        };
        let reopened = flagged(Some(closed.clone()), flag("contradicted", 10_000));
        assert_eq!(reopened.state, AttentionState::Open);
        assert!(reopened.since > closed.since);
        assert_eq!(reopened.revision, closed.revision + 1);
    }
}
