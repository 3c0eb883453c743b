//! When this node last heard from a leader, for the read lease.
//!
//! A follower (or learner) records the time of every AppendEntries from the current leader that
//! it accepted (heartbeats included). A leader records, per peer, the time and term of every
//! AppendEntries answer that did not reject its vote; it holds the lease while a majority of
//! each voter configuration (itself included) answered recently.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The contact times of one node; shared by the network (leader side) and the cluster router
/// (follower side).
#[derive(Debug, Default)]
pub(crate) struct Contacts {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The last AppendEntries accepted from a leader.
    leader: Option<Instant>,
    /// Per peer: the term of the acknowledged AppendEntries and when the answer came.
    acks: HashMap<u64, (u64, Instant)>,
}

impl Contacts {
    /// This node accepted an AppendEntries from the leader.
    pub(crate) fn leader_heard(&self) {
        self.lock().leader = Some(Instant::now());
    }

    /// `peer` acknowledged this node's AppendEntries sent as leader of `term`.
    pub(crate) fn peer_acked(&self, peer: u64, term: u64) {
        self.lock().acks.insert(peer, (term, Instant::now()));
    }

    /// Time since the last AppendEntries accepted from a leader.
    pub(crate) fn since_leader_heard(&self) -> Option<Duration> {
        self.lock().leader.map(|at| at.elapsed())
    }

    /// Time since `peer` last acknowledged an AppendEntries of this node as leader of `term`.
    pub(crate) fn since_peer_ack(&self, peer: u64, term: u64) -> Option<Duration> {
        self.lock()
            .acks
            .get(&peer)
            .filter(|(acked_term, _)| *acked_term == term)
            .map(|(_, at)| at.elapsed())
    }

    /// As leader `me` of `term`: how long ago a majority of every configuration in `configs`
    /// (counting `me` as just heard) last acknowledged it. `None` when some configuration has
    /// no such majority at all, or there are no configurations.
    pub(crate) fn since_quorum_ack(
        &self,
        me: u64,
        term: u64,
        configs: &[BTreeSet<u64>],
    ) -> Option<Duration> {
        if configs.is_empty() {
            return None;
        }
        let inner = self.lock();
        let now = Instant::now();
        let mut oldest = Duration::ZERO;
        for voters in configs {
            let mut ages: Vec<Duration> = voters
                .iter()
                .filter_map(|voter| {
                    if *voter == me {
                        return Some(Duration::ZERO);
                    }
                    inner
                        .acks
                        .get(voter)
                        .filter(|(acked_term, _)| *acked_term == term)
                        .map(|(_, at)| now.saturating_duration_since(*at))
                })
                .collect();
            let majority = voters.len() / 2 + 1;
            if ages.len() < majority {
                return None;
            }
            ages.sort();
            oldest = oldest.max(ages[majority - 1]);
        }
        Some(oldest)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_voter_always_has_a_quorum() {
        let contacts = Contacts::default();
        let configs = [BTreeSet::from([1])];
        assert_eq!(
            contacts.since_quorum_ack(1, 3, &configs),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_quorum_needs_a_majority_acknowledged_in_the_current_term() {
        let contacts = Contacts::default();
        let configs = [BTreeSet::from([1, 2, 3])];
        assert_eq!(contacts.since_quorum_ack(1, 5, &configs), None);
        contacts.peer_acked(2, 4);
        assert_eq!(
            contacts.since_quorum_ack(1, 5, &configs),
            None,
            "an answer from an older term does not count"
        );
        contacts.peer_acked(2, 5);
        assert!(contacts.since_quorum_ack(1, 5, &configs).is_some());
        let joint = [BTreeSet::from([1, 2, 3]), BTreeSet::from([3, 4, 5])];
        assert_eq!(
            contacts.since_quorum_ack(1, 5, &joint),
            None,
            "every configuration of a joint membership needs its majority"
        );
    }

    #[test]
    fn no_leader_contact_until_one_is_heard() {
        let contacts = Contacts::default();
        assert_eq!(contacts.since_leader_heard(), None);
        contacts.leader_heard();
        assert!(contacts.since_leader_heard().is_some());
    }
}
