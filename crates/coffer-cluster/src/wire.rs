//! The cluster port's routes and their JSON payloads; the table is in
//! [`PeerRoute`](crate::PeerRoute)'s documentation.

use coffer_core::{ApplyError, Command};
use coffer_store::SnapshotMeta;
use openraft::Vote;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

pub(crate) const APPEND: &str = "/raft/append";
pub(crate) const VOTE: &str = "/raft/vote";
pub(crate) const SNAPSHOT: &str = "/raft/snapshot";
pub(crate) const PROPOSE: &str = "/cluster/propose";
pub(crate) const RESYNC: &str = "/cluster/resync";
pub(crate) const DIGEST: &str = "/cluster/digest";
pub(crate) const PING: &str = "/cluster/ping";

/// A whole snapshot, sent in one request.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SnapshotRequest {
    /// The sending leader's vote.
    pub(crate) vote: Vote<u64>,
    /// What the snapshot holds.
    pub(crate) meta: SnapshotMeta,
    /// The snapshot bytes, standard base64.
    pub(crate) data: String,
}

/// A write forwarded to the leader.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ProposeRequest<'a> {
    pub(crate) command: Cow<'a, Command>,
}

/// What the leader did with a forwarded write.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum ProposeReply {
    /// Committed and applied on the leader at `log_index`; `outcome` is what
    /// `State::apply` said.
    Applied {
        outcome: Result<(), ApplyError>,
        log_index: u64,
    },
    /// The node is not (or no longer) the leader; nothing was written.
    NotLeader { leader_id: Option<u64> },
    /// The leader did not commit it within its deadline: the outcome is unknown.
    TimedOut { waited_ms: u64 },
    /// The leader failed while committing: the outcome is unknown.
    Failed { message: String },
}

/// The leader's snapshot, to rebuild a diverged replica's state from.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ResyncRequest {
    pub(crate) meta: SnapshotMeta,
    /// The snapshot bytes, standard base64.
    pub(crate) data: String,
}

/// What a replica did with a [`ResyncRequest`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum ResyncReply {
    /// The state was rebuilt; it is now at `applied_index`.
    Rebuilt { applied_index: u64 },
    /// Nothing changed.
    Failed { message: String },
}

/// A replica's state digest.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DigestReply {
    pub(crate) node_id: u64,
    /// The applied log index the digest was taken at (0 before the first entry).
    pub(crate) applied_index: u64,
    /// SHA-256, lowercase hex.
    pub(crate) digest: String,
}

/// A node's clock.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PingReply {
    pub(crate) node_id: u64,
    /// The node's wall clock, milliseconds since the Unix epoch.
    pub(crate) unix_ms: u64,
}
