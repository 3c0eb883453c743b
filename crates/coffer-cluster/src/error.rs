//! Why the cluster could not do what was asked. A command that [`State::apply`] refused is not
//! an error here: [`Cluster::propose`](crate::Cluster::propose) returns it as the inner result.
//!
//! [`State::apply`]: coffer_core::State::apply

use coffer_store::NodeInfo;
use openraft::error::{ChangeMembershipError, Fatal, InitializeError, QuorumNotEnough};
use std::time::Duration;

/// A cluster failure, sorted by what the caller can do: forward or retry (`NotLeader`,
/// `NoLeader`, `NoQuorum`, `MembershipChangeInProgress`), report an outcome that is not known
/// (`WriteTimedOut`, `ForwardFailed`, `LeaderFailed`), or give up because the node is stopping
/// or broken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// This node is not the leader; the write must go to `leader_id` (at `leader_addr`, its
    /// cluster address), or wait for an election when no leader is known.
    #[error("this node is not the leader (leader: {leader_id:?})")]
    NotLeader {
        /// The leader this node knows of.
        leader_id: Option<u64>,
        /// The leader's cluster address.
        leader_addr: Option<String>,
    },
    /// No leader became known before the deadline: an election is under way, or this node is
    /// cut off from a quorum (or not yet a member).
    #[error("no cluster leader is known (waited {waited:?})")]
    NoLeader {
        /// How long it waited.
        waited: Duration,
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
    /// The write was not confirmed in time. It may still be committed and applied later (it
    /// may sit in the leader's log until a quorum answers again): the outcome is unknown.
    #[error("the write was not confirmed within {waited:?}; it may still be applied")]
    WriteTimedOut {
        /// How long it waited.
        waited: Duration,
    },
    /// The forwarded write reached (or may have reached) the leader but no answer came back:
    /// the outcome is unknown.
    #[error("the write forwarded to leader {leader_id} got no answer; it may have been applied")]
    ForwardFailed {
        /// The leader it was sent to.
        leader_id: u64,
        /// What went wrong.
        #[source]
        source: PeerError,
    },
    /// The leader took the forwarded write but failed while committing it (it stopped or
    /// broke): the outcome is unknown.
    #[error("leader {leader_id} failed while committing the write: {message}")]
    LeaderFailed {
        /// The leader.
        leader_id: u64,
        /// What the leader reported.
        message: String,
    },
    /// The write was committed (with `index`) but this node did not apply it within the
    /// deadline, so a read here might not see it yet.
    #[error("the write was committed at index {index} but not applied here within {waited:?}")]
    NotAppliedLocally {
        /// The log index of the write.
        index: u64,
        /// How long it waited.
        waited: Duration,
    },
    /// An operation did not finish in time.
    #[error("{what} did not finish within {waited:?}")]
    Timeout {
        /// What was waited for.
        what: &'static str,
        /// How long it waited.
        waited: Duration,
    },
    /// Another membership change (join, promotion, removal) is under way on this node or in
    /// the cluster; retry when it is done.
    #[error("another membership change is in progress; retry when it has finished")]
    MembershipChangeInProgress,
    /// A learner was added but did not catch up with the leader in time. It stays a learner;
    /// remove it or try the promotion later.
    #[error("node {node_id} did not catch up with the leader within {waited:?}")]
    LearnerNotCaughtUp {
        /// The learner.
        node_id: u64,
        /// How long it waited.
        waited: Duration,
    },
    /// The node is not in the current membership.
    #[error("node {node_id} is not a member of the cluster")]
    UnknownNode {
        /// The node asked for.
        node_id: u64,
    },
    /// No member has this cluster address.
    #[error("no member has the cluster address {addr}")]
    UnknownAddress {
        /// The address asked for.
        addr: String,
    },
    /// A request to another node failed.
    #[error("request to {peer} failed")]
    Peer {
        /// The node asked.
        peer: Box<NodeInfo>,
        /// What went wrong.
        #[source]
        source: PeerError,
    },
    /// A peer refused or failed to rebuild its state.
    #[error("node {node_id} could not rebuild its state: {message}")]
    ResyncFailed {
        /// The node.
        node_id: u64,
        /// What it reported.
        message: String,
    },
    /// The store failed.
    #[error("storage failure")]
    Store(#[source] coffer_store::StoreError),
    /// Raft has been shut down.
    #[error("the Raft node has stopped")]
    Shutdown,
    /// Raft stopped on a storage failure or a panic; the node must restart.
    #[error("the Raft node failed")]
    Fatal(#[source] Box<Fatal<u64>>),
    /// The built-in Raft settings were rejected.
    #[error("invalid Raft settings")]
    Config(#[source] Box<openraft::ConfigError>),
    /// The first membership could not be written.
    #[error("cannot initialize the cluster membership")]
    Initialize(#[source] Box<InitializeError<u64, NodeInfo>>),
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
            other => Self::Fatal(Box::new(other)),
        }
    }
}

impl From<ChangeMembershipError<u64>> for ClusterError {
    fn from(error: ChangeMembershipError<u64>) -> Self {
        match error {
            ChangeMembershipError::InProgress(_) => Self::MembershipChangeInProgress,
            other => Self::Membership(other),
        }
    }
}

/// Why a request to another node over the cluster transport failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// This node runs without a cluster transport (the single-node mode).
    #[error("this node has no cluster transport")]
    NoTransport,
    /// The peer's name is not a valid TLS server name.
    #[error("{name:?} is not a valid TLS server name")]
    BadName {
        /// The name.
        name: String,
    },
    /// The peer's cluster address does not form a valid URI.
    #[error("{addr:?} is not a valid peer address")]
    BadAddress {
        /// The address.
        addr: String,
    },
    /// No connection could be made (refused, unreachable, TLS handshake failed): the request
    /// was not sent.
    #[error("cannot connect")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No complete answer within the deadline; the request may have been processed.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed while the request was under way; it may have been processed.
    #[error("the request failed")]
    Request(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The answer's body could not be read.
    #[error("the answer could not be read")]
    Body(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The peer answered with an HTTP error (for instance, it refused this node's certificate).
    #[error("the peer answered HTTP {status}: {body}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// The request could not be encoded.
    #[error("the request could not be encoded")]
    Encode(#[source] serde_json::Error),
    /// The answer could not be decoded.
    #[error("the answer could not be decoded")]
    Decode(#[source] serde_json::Error),
}

impl PeerError {
    /// True when the request certainly did not reach the peer, so sending it again (to this
    /// peer or another) cannot apply it twice.
    pub fn not_sent(&self) -> bool {
        matches!(
            self,
            Self::NoTransport | Self::BadName { .. } | Self::BadAddress { .. } | Self::Connect(_)
        )
    }
}

/// A request to the cluster port that [`Cluster::answer_peer`](crate::Cluster::answer_peer)
/// did not take; nothing was done. An HTTP server answers it with [`PeerRefusal::status`] and
/// [`PeerRefusal::message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerRefusal {
    /// The body does not decode (HTTP 400).
    #[error("{0}")]
    Malformed(String),
    /// The caller may not call the route: its certificate is no current member's, or the route
    /// is not one that member may call (HTTP 403).
    #[error("{0}")]
    NotAllowed(String),
}

impl PeerRefusal {
    /// What was wrong with the request.
    pub fn message(&self) -> &str {
        match self {
            Self::Malformed(message) | Self::NotAllowed(message) => message,
        }
    }

    /// The HTTP status that answers it: 400 or 403.
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) => 400,
            Self::NotAllowed(_) => 403,
        }
    }
}
