//! The openraft type configuration shared by the store and the cluster.

use crate::node_info::NodeInfo;
use crate::response::CommandResponse;
use coffer_core::Command;
use openraft::TokioRuntime;
use std::io::Cursor;

openraft::declare_raft_types!(
    /// Coffer's Raft types: [`Command`]s in the log, a [`CommandResponse`] back from the state
    /// machine, `u64` node ids with [`NodeInfo`] (name and addresses), snapshots as bytes.
    pub TypeConfig:
        D = Command,
        R = CommandResponse,
        NodeId = u64,
        Node = NodeInfo,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = TokioRuntime,
);

/// A Raft log entry of Coffer.
pub type Entry = openraft::Entry<TypeConfig>;

/// A Raft log id of Coffer.
pub type LogId = openraft::LogId<u64>;

/// A membership config together with the log id that introduced it.
pub type StoredMembership = openraft::StoredMembership<u64, NodeInfo>;

/// The metadata of a Coffer snapshot.
pub type SnapshotMeta = openraft::SnapshotMeta<u64, NodeInfo>;
