//! Postback delivery: one background task per postback POSTs the signed text to the configured
//! URL until the answer is HTTP 200 with `{"status":"ok"}`, backing off exponentially, and
//! records every attempt.
//!
//! Faults with target `postback`: `drop` (the postback is never delivered, only stored and
//! recorded once with status `"dropped"`), `duplicate` (two deliveries run at once), and
//! `http500` / `timeout` (that attempt fails inside the sandbox without reaching the receiver,
//! recorded as `"fault:http500"` / `"fault:timeout"`, and is retried).

use std::time::Duration;

use time::OffsetDateTime;

use crate::state::{Attempt, AttemptStatus, FaultMode, SharedRef, StoredPostback};

/// Stores `postback` and starts delivering it.
pub fn publish(shared: &SharedRef, postback: StoredPostback) {
    let (id, text) = (postback.id, postback.text.clone());
    let fault = {
        let mut state = shared.lock();
        state.postbacks.push(postback);
        state.take_fault(|f| {
            f.target == "postback" && matches!(f.mode, FaultMode::Drop | FaultMode::Duplicate)
        })
    };
    match fault {
        Some(FaultMode::Drop) => {
            let url = shared.postback_url().unwrap_or_default();
            record(
                shared,
                id,
                0,
                url,
                &text,
                AttemptStatus::Other("dropped".into()),
                false,
            );
        }
        Some(FaultMode::Duplicate) => {
            spawn(shared, id, text.clone());
            spawn(shared, id, text);
        }
        _ => spawn(shared, id, text),
    }
}

fn spawn(shared: &SharedRef, id: u64, text: String) {
    let task = tokio::spawn(deliver(shared.clone(), id, text));
    shared.track(task.abort_handle());
}

fn record(
    shared: &SharedRef,
    postback_id: u64,
    attempt: u32,
    url: String,
    body: &str,
    status: AttemptStatus,
    ok: bool,
) {
    tracing::info!(postback_id, attempt, status = ?status, ok, "postback delivery attempt");
    shared.lock().attempts.push(Attempt {
        postback_id,
        attempt,
        url,
        body: body.to_string(),
        status,
        ok,
        at: OffsetDateTime::now_utc(),
    });
}

async fn deliver(shared: SharedRef, id: u64, text: String) {
    let policy = shared.config.retry.clone();
    let mut delay = policy.initial;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let ok = try_once(&shared, id, attempt, &text).await;
        if ok || (policy.max_attempts != 0 && attempt >= policy.max_attempts) {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = delay
            .saturating_mul(2)
            .min(policy.max.max(Duration::from_millis(1)));
    }
}

/// One attempt; true when the receiver acknowledged.
async fn try_once(shared: &SharedRef, id: u64, attempt: u32, text: &str) -> bool {
    let url = shared.postback_url();
    let injected = shared.lock().take_fault(|f| {
        f.target == "postback" && matches!(f.mode, FaultMode::Http500 | FaultMode::Timeout)
    });
    let Some(url) = url else {
        record(
            shared,
            id,
            attempt,
            String::new(),
            text,
            AttemptStatus::Other("error: no postback_url configured".into()),
            false,
        );
        return false;
    };
    if let Some(mode) = injected {
        let status = if mode == FaultMode::Timeout {
            "fault:timeout"
        } else {
            "fault:http500"
        };
        record(
            shared,
            id,
            attempt,
            url,
            text,
            AttemptStatus::Other(status.into()),
            false,
        );
        return false;
    }
    let sent = shared
        .http
        .post(&url)
        .header("content-type", "application/json")
        .timeout(shared.config.retry.attempt_timeout)
        .body(text.to_string())
        .send()
        .await;
    let (status, ok) = match sent {
        Ok(resp) => {
            let code = resp.status().as_u16();
            let body = resp.bytes().await.unwrap_or_default();
            (
                AttemptStatus::Http(code),
                code == 200 && acknowledged(&body),
            )
        }
        Err(e) if e.is_timeout() => (AttemptStatus::Other("error: timeout".into()), false),
        Err(e) => (
            AttemptStatus::Other(format!("error: {}", without_url(&e))),
            false,
        ),
    };
    record(shared, id, attempt, url, text, status, ok);
    ok
}

/// The receiver's answer is `{"status":"ok"}` (other fields tolerated).
fn acknowledged(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(|s| s == "ok"))
        .unwrap_or(false)
}

fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<postback_url>");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_status_ok_acknowledges() {
        assert!(acknowledged(br#"{"status":"ok"}"#));
        assert!(acknowledged(br#"{ "status" : "ok", "extra": 1 }"#));
        assert!(!acknowledged(br#"{"status":"error"}"#));
        assert!(!acknowledged(b"ok"));
        assert!(!acknowledged(b""));
    }
}
