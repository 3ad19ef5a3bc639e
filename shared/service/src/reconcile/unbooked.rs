//! Unbooked payments whose payer the gateway had not confirmed when they arrived
//! (`awaiting_gateway_confirmation`): each run applies their kept (verified, redacted) body
//! again, which asks the gateway again; a confirmed one is credited and leaves the open list.

use paykassma::php::parse;
use payments::store::PageRequest;

use super::{MAX_ITEMS, PAGE, ReconcileSummary};
use crate::Deps;
use crate::http::ApiError;
use crate::postbacks::{ApplyOutcome, EntryEffect, Source, UnbookedReason, apply_verified};

pub(super) async fn retry_awaiting(
    deps: &Deps,
    summary: &mut ReconcileSummary,
) -> Result<(), ApiError> {
    let mut page = PageRequest::first(PAGE);
    let mut seen = 0;
    loop {
        let p = deps.store.list_unbooked(&page).await?;
        for u in &p.items {
            if u.reason != UnbookedReason::AwaitingGateway.as_str() {
                continue;
            }
            let body = match parse(u.raw_body.as_bytes()) {
                Ok(b) => b,
                Err(e) => {
                    summary
                        .errors
                        .push(format!("unbooked {}: unreadable: {e}", u.key));
                    continue;
                }
            };
            let outcome = match apply_verified(deps, &body, Source::Stored).await {
                Ok(ApplyOutcome::Deposit(items)) => {
                    items.into_iter().find(|i| i.key == u.key).map(|i| i.effect)
                }
                Ok(ApplyOutcome::Withdrawal(_)) => None,
                Err(e) => {
                    summary.errors.push(format!("unbooked {}: {e}", u.key));
                    continue;
                }
            };
            summary.add(match outcome {
                Some(EntryEffect::Credited | EntryEffect::Duplicate) => "unbooked_booked",
                Some(EntryEffect::Awaiting) => "unbooked_awaiting",
                Some(EntryEffect::Unbooked(_)) | None => "unbooked_left",
            });
        }
        seen += p.items.len();
        match p.next {
            Some(next) if seen < MAX_ITEMS => page.cursor = Some(next),
            _ => return Ok(()),
        }
    }
}
