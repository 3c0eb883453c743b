//! Repairing a replica whose state diverged from the leader's.
//!
//! Replicas apply the same committed log, so their states agree unless applying went wrong on
//! one of them (a bug, a damaged disk). Compare [`Cluster::state_digest`] with
//! [`Cluster::peer_digest`] at the same applied index; when they differ, [`Cluster::resync`]
//! sends the leader's snapshot to the replica, which rebuilds its state from it and its own
//! log ([`Store::rebuild_state`](coffer_store::Store::rebuild_state)) without leaving the
//! cluster or restarting Raft.

use super::Cluster;
use crate::error::ClusterError;
use crate::wire::{self, ResyncReply, ResyncRequest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use coffer_store::{SnapshotMeta, TypeConfig};
use openraft::error::RaftError;
use openraft::metrics::WaitError;
use openraft::{ServerState, Snapshot};
use std::time::Duration;

/// How long building the reference snapshot may take.
const SNAPSHOT_DEADLINE: Duration = Duration::from_secs(30);

/// How long the replica may take to catch up with the snapshot and rebuild.
const REBUILD_DEADLINE: Duration = Duration::from_secs(10);

/// How long the whole request to the replica may take.
const RESYNC_TIMEOUT: Duration = Duration::from_secs(60);

impl Cluster {
    /// Rebuilds member `node_id`'s state from this leader's state: builds a snapshot of the
    /// applied state here and posts it to the member's `/cluster/resync`; the member waits
    /// until it has applied up to the snapshot, then replaces its state with the snapshot's
    /// brought forward by its own log entries after it, and builds a fresh snapshot of its own.
    /// Leader only. Compare digests again afterwards.
    ///
    /// A member whose log lacks the entries after the snapshot fails with
    /// [`ClusterError::ResyncFailed`]; such a member is repaired by removing it, resetting its
    /// store ([`Store::reset_replica`](coffer_store::Store::reset_replica)) and adding it again.
    pub async fn resync(&self, node_id: u64) -> Result<(), ClusterError> {
        if !self.is_leader() {
            let leader = self.leader();
            return Err(ClusterError::NotLeader {
                leader_id: leader.as_ref().map(|(id, _)| *id),
                leader_addr: leader.map(|(_, info)| info.cluster_addr),
            });
        }
        if node_id == self.node_id {
            return Ok(());
        }
        let peer = self
            .leader_view_of(node_id)
            .ok_or(ClusterError::UnknownNode { node_id })?;
        let snapshot = self.fresh_snapshot().await?;
        let request = ResyncRequest {
            meta: snapshot.meta,
            data: BASE64.encode(snapshot.snapshot.into_inner()),
        };
        let transport = self
            .shared
            .transport
            .as_ref()
            .ok_or_else(|| ClusterError::Peer {
                peer: Box::new(peer.clone()),
                source: crate::error::PeerError::NoTransport,
            })?;
        tracing::warn!(node_id, meta = %request.meta, "re-syncing a replica from this leader's snapshot");
        let reply: ResyncReply = transport
            .post(&peer, wire::RESYNC, &request, RESYNC_TIMEOUT)
            .await
            .map_err(|source| ClusterError::Peer {
                peer: Box::new(peer),
                source,
            })?;
        match reply {
            ResyncReply::Rebuilt { applied_index } => {
                tracing::info!(node_id, applied_index, "replica rebuilt");
                Ok(())
            }
            ResyncReply::Failed { message } => Err(ClusterError::ResyncFailed { node_id, message }),
        }
    }

    /// True while this node is the leader.
    pub fn is_leader(&self) -> bool {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        metrics.state == ServerState::Leader && metrics.current_leader == Some(self.node_id)
    }

    /// The replica's side of [`Cluster::resync`]: rebuilds this node's state from `data`.
    pub(crate) async fn rebuild_from(
        &self,
        meta: SnapshotMeta,
        data: Vec<u8>,
    ) -> Result<u64, ClusterError> {
        if let Some(last) = meta.last_log_id {
            self.raft
                .wait(Some(REBUILD_DEADLINE))
                .applied_index_at_least(Some(last.index), "caught up with the snapshot")
                .await
                .map_err(|error| match error {
                    WaitError::Timeout(..) => ClusterError::Timeout {
                        what: "catching up with the leader's snapshot",
                        waited: REBUILD_DEADLINE,
                    },
                    WaitError::ShuttingDown => ClusterError::Shutdown,
                })?;
        }
        let index = self
            .store
            .rebuild_state(&meta, data)
            .await
            .map_err(ClusterError::Store)?;
        // The current snapshot still holds the diverged state; replace it.
        self.raft.trigger().snapshot().await?;
        Ok(index)
    }

    /// A snapshot of everything applied here now.
    async fn fresh_snapshot(&self) -> Result<Snapshot<TypeConfig>, ClusterError> {
        let applied = self
            .raft
            .metrics()
            .borrow()
            .last_applied
            .map(|log_id| log_id.index);
        self.raft.trigger().snapshot().await?;
        self.raft
            .wait(Some(SNAPSHOT_DEADLINE))
            .metrics(
                |m| m.snapshot.map(|s| s.index) >= applied,
                "snapshot of the applied state",
            )
            .await
            .map_err(|error| match error {
                WaitError::Timeout(..) => ClusterError::Timeout {
                    what: "building a snapshot",
                    waited: SNAPSHOT_DEADLINE,
                },
                WaitError::ShuttingDown => ClusterError::Shutdown,
            })?;
        match self.raft.get_snapshot().await {
            Ok(Some(snapshot)) => Ok(snapshot),
            Ok(None) => Err(ClusterError::Timeout {
                what: "building a snapshot",
                waited: SNAPSHOT_DEADLINE,
            }),
            Err(RaftError::Fatal(fatal)) => Err(fatal.into()),
            Err(RaftError::APIError(never)) => match never {},
        }
    }
}
