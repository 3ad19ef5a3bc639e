//! Latency samples and what the report shows of them: nearest-rank percentiles and
//! throughput over the wall time of a run.

use std::time::Duration;

/// One measured run: every operation's latency, how many failed, and the wall time.
#[derive(Debug, Clone)]
pub struct Run {
    /// Sorted ascending.
    latencies: Vec<Duration>,
    pub errors: usize,
    pub wall: Duration,
}

impl Run {
    pub fn new(mut latencies: Vec<Duration>, errors: usize, wall: Duration) -> Self {
        latencies.sort_unstable();
        Self {
            latencies,
            errors,
            wall,
        }
    }

    /// Two runs as one (e.g. halves run in turn with another workload): samples joined,
    /// errors and wall times added.
    pub fn merge(mut self, other: Run) -> Run {
        self.latencies.extend(other.latencies);
        self.latencies.sort_unstable();
        self.errors += other.errors;
        self.wall += other.wall;
        self
    }

    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    /// Nearest-rank percentile (`p` in 0..=100); zero for an empty run.
    pub fn pct(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    /// Operations per second over the run's wall time.
    pub fn throughput(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.latencies.len() as f64 / secs
        } else {
            0.0
        }
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// `a / b` with two decimals and an `x`, or `-` when `b` is zero.
pub fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let run = Run::new(
            samples.into_iter().rev().collect(),
            0,
            Duration::from_secs(2),
        );
        assert_eq!(run.pct(50.0), Duration::from_millis(50));
        assert_eq!(run.pct(99.0), Duration::from_millis(99));
        assert_eq!(run.pct(100.0), Duration::from_millis(100));
        assert_eq!(run.pct(0.0), Duration::from_millis(1));
        assert!((run.throughput() - 50.0).abs() < 1e-9);
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
        let other = Run::new(vec![Duration::from_millis(500)], 2, Duration::from_secs(2));
        let merged = run.merge(other);
        assert_eq!(merged.count(), 101);
        assert_eq!(merged.errors, 2);
        assert_eq!(merged.pct(100.0), Duration::from_millis(500));
        assert!((merged.throughput() - 101.0 / 4.0).abs() < 1e-9);
        assert_eq!(ratio(3.0, 2.0), "1.50x");
        assert_eq!(ratio(3.0, 0.0), "-");
    }
}
