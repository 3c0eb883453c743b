//! What `status` shows about the cluster, as seen from this node.

use crate::metrics::Role;
use coffer_store::NodeInfo;
use std::time::Duration;

/// The cluster as this node sees it.
///
/// A leader knows every member's replication progress. A follower or learner knows only its
/// own indexes, the leader's id and the membership: the `matched_index` and `lag` of every
/// member are `None` there (ask the leader for them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterStatus {
    /// This node's id.
    pub node_id: u64,
    /// This node's Raft role.
    pub role: Role,
    /// The leader this node knows of.
    pub leader: Option<u64>,
    /// The current Raft term.
    pub term: u64,
    /// The last log index applied to this node's state.
    pub applied_index: Option<u64>,
    /// The last index in this node's log.
    pub last_log_index: Option<u64>,
    /// Time since this node last heard from a leader (for a leader: since a quorum last
    /// acknowledged it).
    pub last_leader_contact: Option<Duration>,
    /// Whether this node may serve reads (see [`Cluster::lease_valid`](crate::Cluster::lease_valid)).
    pub lease_valid: bool,
    /// Every member of the current membership, by id.
    pub members: Vec<MemberStatus>,
}

/// One member of the membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberStatus {
    /// The member's id.
    pub id: u64,
    /// Its name and addresses.
    pub info: NodeInfo,
    /// Voter or learner.
    pub role: MemberRole,
    /// The last log index the leader knows to be replicated on this member (for the leader
    /// itself, its last log index). Only known when this node is the leader.
    pub matched_index: Option<u64>,
    /// How many entries this member is behind the leader's last log index. Only known when
    /// this node is the leader.
    pub lag: Option<u64>,
    /// Time since this member last acknowledged the leader's AppendEntries (heartbeats
    /// included); zero for the leader itself. Only known when this node is the leader.
    pub last_contact: Option<Duration>,
}

/// A member's place in the membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberRole {
    /// Votes and counts towards quorums.
    Voter,
    /// Receives the log but does not vote.
    Learner,
}

/// The answer of [`Cluster::peer_ping`](crate::Cluster::peer_ping).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingReport {
    /// The peer's node id.
    pub node_id: u64,
    /// The peer's wall clock when it answered, in milliseconds since the Unix epoch.
    pub peer_unix_ms: u64,
    /// Time from sending the request to receiving the answer (connection set-up included
    /// when there was no pooled connection).
    pub round_trip: Duration,
    /// Estimated `peer clock - local clock` in milliseconds, assuming the answer was made half
    /// way through the round trip.
    pub clock_offset_ms: i64,
}
