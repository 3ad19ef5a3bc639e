//! A closed-loop load generator: `concurrency` workers take operation indices `0..n` from a
//! shared counter and time each operation, so at most `concurrency` are in flight at once.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::stats::Run;

/// Runs `op(i)` for every `i` in `0..n` with `concurrency` workers; `op` answers whether the
/// operation succeeded. Failed operations are counted, not timed.
pub async fn run<F, Fut>(n: usize, concurrency: usize, op: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency.max(1));
    for _ in 0..concurrency.max(1) {
        let op = op.clone();
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                if op(i).await {
                    latencies.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(n);
    let mut errors = 0;
    for w in workers {
        // A panicking worker loses its share: what it did not report is counted as failed.
        if let Ok((l, e)) = w.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let wall = started.elapsed();
    let missing = n.saturating_sub(latencies.len() + errors);
    Run::new(latencies, errors + missing, wall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_index_runs_once_and_failures_are_counted() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        let run = run(100, 8, move |i| {
            let s = s.clone();
            async move {
                s.lock().map(|mut v| v.push(i)).ok();
                i % 10 != 0
            }
        })
        .await;
        let mut seen = seen.lock().map(|v| v.clone()).unwrap_or_default();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert_eq!(run.count(), 90);
        assert_eq!(run.errors, 10);
    }
}
