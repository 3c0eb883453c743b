//! Why the cluster could not do what was asked. A command that [`State::apply`] refused is not
//! an error here: [`Cluster::propose`](crate::Cluster::propose) returns it as the inner result.
//!
//! [`State::apply`]: coffer_core::State::apply

use openraft::BasicNode;
use openraft::error::{ChangeMembershipError, Fatal, InitializeError, QuorumNotEnough};
use std::time::Duration;

/// A cluster failure, sorted by what the caller can do: forward or retry (`NotLeader`,
/// `NoQuorum`), or give up because the node is stopping or broken (the rest).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// This node is not the leader; the write must go to `leader_id` (at `leader_addr`), or
    /// wait for an election when no leader is known.
    #[error("this node is not the leader (leader: {leader_id:?})")]
    NotLeader {
        /// The leader this node knows of.
        leader_id: Option<u64>,
        /// The leader's advertised address.
        leader_addr: Option<String>,
    },
    /// This node leads but could not confirm it with a quorum (linearizable reads).
    #[error("leadership could not be confirmed by a quorum")]
    NoQuorum(#[source] QuorumNotEnough<u64>),
    /// The node did not become a leader with everything applied before the deadline.
    #[error("this node did not become leader within {waited:?}")]
    NoLeadership {
        /// How long it waited.
        waited: Duration,
    },
    /// Raft has been shut down.
    #[error("the Raft node has stopped")]
    Shutdown,
    /// Raft stopped on a storage failure or a panic; the node must restart.
    #[error("the Raft node failed")]
    Fatal(#[source] Fatal<u64>),
    /// The built-in Raft settings were rejected.
    #[error("invalid Raft settings")]
    Config(#[source] openraft::ConfigError),
    /// The first membership could not be written.
    #[error("cannot initialize the cluster membership")]
    Initialize(#[source] InitializeError<u64, BasicNode>),
    /// A membership change was refused.
    #[error("membership change refused")]
    Membership(#[source] ChangeMembershipError<u64>),
    /// Raft's task failed while shutting down.
    #[error("the Raft task failed while shutting down")]
    ShutdownFailed(#[source] tokio::task::JoinError),
}

impl From<Fatal<u64>> for ClusterError {
    fn from(fatal: Fatal<u64>) -> Self {
        match fatal {
            Fatal::Stopped => Self::Shutdown,
            other => Self::Fatal(other),
        }
    }
}
