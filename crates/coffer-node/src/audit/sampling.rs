//! Sampling of the audit records of unauthenticated callers.
//!
//! Anyone can send requests without valid credentials; one record each would let them grow
//! the audit table without bound. Within each [`WINDOW`], the first [`SAMPLED_PER_WINDOW`]
//! such records are written as they are; the rest are counted, and when the window closes one
//! summary record says how many were left out and which source sent the most.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The length of a sampling window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Records of unauthenticated callers written one by one per window.
pub const SAMPLED_PER_WINDOW: u32 = 20;
/// Sources counted per window for the summary; further ones count only in the total.
const MAX_SOURCES: usize = 1024;

/// What a closed window left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppressed {
    /// Records not written.
    pub count: u64,
    /// The source that sent the most of them, and how many.
    pub top_source: Option<(IpAddr, u64)>,
    /// The window's length.
    pub window: Duration,
}

/// The sampler's state.
#[derive(Debug)]
pub struct Sampler {
    started: Instant,
    written: u32,
    suppressed: u64,
    sources: HashMap<IpAddr, u64>,
}

impl Sampler {
    /// A sampler whose first window starts at `now`.
    pub fn new(now: Instant) -> Self {
        Self {
            started: now,
            written: 0,
            suppressed: 0,
            sources: HashMap::new(),
        }
    }

    /// Whether a record from `source` at `now` is written; when this closes a window that
    /// left records out, also its summary.
    pub fn admit(&mut self, now: Instant, source: Option<IpAddr>) -> (bool, Option<Suppressed>) {
        let summary = self.close_if_due(now);
        if self.written < SAMPLED_PER_WINDOW {
            self.written += 1;
            return (true, summary);
        }
        self.suppressed += 1;
        if let Some(source) = source
            && (self.sources.len() < MAX_SOURCES || self.sources.contains_key(&source))
        {
            *self.sources.entry(source).or_insert(0) += 1;
        }
        (false, summary)
    }

    /// The summary of the current window once it is over, starting the next.
    pub fn close_if_due(&mut self, now: Instant) -> Option<Suppressed> {
        if now.duration_since(self.started) < WINDOW {
            return None;
        }
        let summary = (self.suppressed > 0).then(|| Suppressed {
            count: self.suppressed,
            top_source: self
                .sources
                .iter()
                .max_by_key(|(ip, count)| (**count, std::cmp::Reverse(**ip)))
                .map(|(ip, count)| (*ip, *count)),
            window: now.duration_since(self.started),
        });
        *self = Self::new(now);
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_writes_the_sample_and_one_summary_per_window() {
        let t0 = Instant::now();
        let mut sampler = Sampler::new(t0);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let mut written = 0;
        for n in 0..10_000u32 {
            let source = if n % 10 == 0 { b } else { a };
            let (write, summary) = sampler.admit(t0, Some(source));
            assert_eq!(summary, None);
            written += u32::from(write);
        }
        assert_eq!(written, SAMPLED_PER_WINDOW);
        let summary = sampler.close_if_due(t0 + WINDOW).expect("a summary");
        assert_eq!(summary.count, 10_000 - u64::from(SAMPLED_PER_WINDOW));
        assert_eq!(summary.top_source.map(|(ip, _)| ip), Some(a));
        // The next window samples afresh and has nothing to summarize yet.
        assert_eq!(sampler.admit(t0 + WINDOW, Some(a)), (true, None));
        assert_eq!(sampler.close_if_due(t0 + WINDOW * 2), None);
    }

    #[test]
    fn a_quiet_window_has_no_summary() {
        let t0 = Instant::now();
        let mut sampler = Sampler::new(t0);
        for _ in 0..SAMPLED_PER_WINDOW {
            assert!(sampler.admit(t0, None).0);
        }
        assert_eq!(sampler.close_if_due(t0 + WINDOW), None);
    }
}
