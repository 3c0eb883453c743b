//! A status summary of this node's Raft state.

use coffer_store::NodeInfo;
use openraft::{RaftMetrics, ServerState};

/// What `status` shows about this node's place in the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterMetrics {
    /// This node's id.
    pub id: u64,
    /// What this node is doing.
    pub role: Role,
    /// The leader this node knows of.
    pub leader: Option<u64>,
    /// The current Raft term.
    pub term: u64,
    /// Index of the last entry applied to the state, as Raft last reported it; it may trail a
    /// just-acknowledged write; for read-your-writes use `StateHandle::last_applied`.
    pub last_applied: Option<u64>,
    /// Index of the last entry in this node's log.
    pub last_log_index: Option<u64>,
    /// The voters of the current membership.
    pub voters: Vec<u64>,
    /// The learners of the current membership.
    pub learners: Vec<u64>,
    /// Index of the last entry in this node's current snapshot.
    pub snapshot_index: Option<u64>,
    /// Index of the last entry purged from this node's log.
    pub purged_index: Option<u64>,
}

/// This node's Raft role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Takes writes and replicates them.
    Leader,
    /// Votes and follows a leader.
    Follower,
    /// Asking for votes.
    Candidate,
    /// Receives the log but does not vote.
    Learner,
    /// Raft has stopped.
    Shutdown,
}

impl From<&RaftMetrics<u64, NodeInfo>> for ClusterMetrics {
    fn from(metrics: &RaftMetrics<u64, NodeInfo>) -> Self {
        Self {
            id: metrics.id,
            role: match metrics.state {
                ServerState::Leader => Role::Leader,
                ServerState::Follower => Role::Follower,
                ServerState::Candidate => Role::Candidate,
                ServerState::Learner => Role::Learner,
                ServerState::Shutdown => Role::Shutdown,
            },
            leader: metrics.current_leader,
            term: metrics.current_term,
            last_applied: metrics.last_applied.map(|log_id| log_id.index),
            last_log_index: metrics.last_log_index,
            voters: metrics.membership_config.membership().voter_ids().collect(),
            learners: metrics
                .membership_config
                .membership()
                .learner_ids()
                .collect(),
            snapshot_index: metrics.snapshot.map(|log_id| log_id.index),
            purged_index: metrics.purged.map(|log_id| log_id.index),
        }
    }
}
