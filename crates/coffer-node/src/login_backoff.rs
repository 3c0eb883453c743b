//! Backoff after failed password logins, per source address and per claimed user.
//!
//! The first [`FREE_FAILURES`] failures cost nothing more; each further one doubles the time
//! during which that source (or that user's email, from anywhere) is refused at once — with
//! [`ServiceError::Busy`] and no password hash — up to [`MAX_BACKOFF`]. A success clears the
//! user's count; a quiet [`FORGET_AFTER`] clears any. The table is bounded: at most
//! [`MAX_ENTRIES`] sources and users are tracked, the least recently failed forgotten first.
//!
//! The state is this node's alone: a client spreading its guesses over the nodes gets each
//! node's allowance, which still bounds it to a handful of hashes per second per node.

use crate::{ServiceError, ServiceResult};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures before backoff starts.
pub const FREE_FAILURES: u32 = 5;
/// The longest a source or a user is refused after its latest failure.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A source or user without failures for this long starts afresh.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// The most sources and users tracked at once.
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Source(IpAddr),
    User(String),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    refused_until: Instant,
}

/// The backoff table of one node.
#[derive(Default)]
pub struct LoginBackoff {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl LoginBackoff {
    /// Refuses a login from `source` for `email` while either is backing off.
    pub fn check(&self, source: IpAddr, email: &str) -> ServiceResult<()> {
        self.check_at(source, email, Instant::now())
    }

    /// Counts a failed login from `source` for `email`.
    pub fn failed(&self, source: IpAddr, email: &str) {
        self.failed_at(source, email, Instant::now());
    }

    /// Clears the count of `email` after a successful login (the source keeps its own).
    pub fn succeeded(&self, email: &str) {
        self.lock().remove(&Key::User(normalized(email)));
    }

    fn check_at(&self, source: IpAddr, email: &str, now: Instant) -> ServiceResult<()> {
        let entries = self.lock();
        let wait = [Key::Source(source), Key::User(normalized(email))]
            .iter()
            .filter_map(|key| entries.get(key))
            .filter_map(|entry| entry.refused_until.checked_duration_since(now))
            .filter(|wait| !wait.is_zero())
            .max();
        match wait {
            Some(wait) => Err(ServiceError::Busy {
                what: "too many failed logins; wait before trying again",
                // Whole seconds, rounded up, as Retry-After carries them.
                retry_after: Duration::from_secs(
                    wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                ),
            }),
            None => Ok(()),
        }
    }

    fn failed_at(&self, source: IpAddr, email: &str, now: Instant) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            evict(&mut entries, now);
        }
        for key in [Key::Source(source), Key::User(normalized(email))] {
            let entry = entries.entry(key).or_insert(Entry {
                failures: 0,
                last_failure: now,
                refused_until: now,
            });
            if now.duration_since(entry.last_failure) > FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            entry.refused_until = now + backoff(entry.failures);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How long the `failures`-th failure refuses further attempts.
fn backoff(failures: u32) -> Duration {
    match failures.checked_sub(FREE_FAILURES + 1) {
        None => Duration::ZERO,
        Some(excess) => Duration::from_secs(1u64 << excess.min(6)).min(MAX_BACKOFF),
    }
}

/// Makes room: forgets quiet entries, then the least recently failed half.
fn evict(entries: &mut HashMap<Key, Entry>, now: Instant) {
    entries.retain(|_, entry| now.duration_since(entry.last_failure) <= FORGET_AFTER);
    if entries.len() >= MAX_ENTRIES {
        let mut ages: Vec<Instant> = entries.values().map(|e| e.last_failure).collect();
        ages.sort_unstable();
        let cutoff = ages[ages.len() / 2];
        entries.retain(|_, entry| entry.last_failure > cutoff);
    }
}

fn normalized(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_source_backs_off_after_its_free_failures_and_doubles() {
        let backoff = LoginBackoff::default();
        let t0 = Instant::now();
        for n in 0..FREE_FAILURES {
            backoff.check_at(A, &format!("u{n}@x"), t0).expect("free");
            backoff.failed_at(A, &format!("u{n}@x"), t0);
        }
        backoff
            .check_at(A, "other@x", t0)
            .expect("five failures are free");
        backoff.failed_at(A, "other@x", t0);
        let refused = backoff.check_at(A, "new@x", t0).expect_err("backing off");
        assert!(
            matches!(refused, ServiceError::Busy { retry_after, .. } if retry_after == Duration::from_secs(1))
        );
        backoff
            .check_at(B, "new@x", t0)
            .expect("another source is not affected");
        backoff
            .check_at(A, "new@x", t0 + Duration::from_secs(1))
            .expect("the wait is over");
        backoff.failed_at(A, "new@x", t0 + Duration::from_secs(1));
        let doubled = backoff
            .check_at(A, "newer@x", t0 + Duration::from_secs(1))
            .expect_err("backing off longer");
        assert!(
            matches!(doubled, ServiceError::Busy { retry_after, .. } if retry_after == Duration::from_secs(2))
        );
    }

    #[test]
    fn a_user_backs_off_from_every_source_until_a_success() {
        let backoff = LoginBackoff::default();
        let t0 = Instant::now();
        for n in 0..=FREE_FAILURES {
            let source = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 0, u8::try_from(n).unwrap()));
            backoff.failed_at(source, "Victim@X", t0);
        }
        assert!(backoff.check_at(B, "victim@x", t0).is_err());
        backoff.succeeded("victim@x");
        backoff.check_at(B, "victim@x", t0).expect("cleared");
    }

    #[test]
    fn backoff_is_capped_and_quiet_entries_are_forgotten() {
        assert_eq!(backoff(FREE_FAILURES), Duration::ZERO);
        assert_eq!(backoff(FREE_FAILURES + 1), Duration::from_secs(1));
        assert_eq!(backoff(FREE_FAILURES + 2), Duration::from_secs(2));
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
        let table = LoginBackoff::default();
        let t0 = Instant::now();
        for _ in 0..20 {
            table.failed_at(A, "u@x", t0);
        }
        let later = t0 + FORGET_AFTER + Duration::from_secs(1);
        table.failed_at(A, "u@x", later);
        table
            .check_at(A, "u@x", later)
            .expect("counting started afresh");
    }

    #[test]
    fn the_table_stays_bounded() {
        let table = LoginBackoff::default();
        let t0 = Instant::now();
        for n in 0..(MAX_ENTRIES as u32 + 500) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(n));
            table.failed_at(ip, "u@x", t0 + Duration::from_millis(u64::from(n)));
        }
        assert!(table.lock().len() <= MAX_ENTRIES);
    }
}
