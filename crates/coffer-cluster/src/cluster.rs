//! The handle the server uses for every replicated change and every read.

use crate::config::raft_config;
use crate::error::ClusterError;
use crate::metrics::ClusterMetrics;
use crate::network::Network;
use coffer_core::{ApplyError, Command};
use coffer_store::{StateHandle, Store, TypeConfig};
use openraft::error::{
    CheckIsLeaderError, ClientWriteError, ForwardToLeader, InitializeError, RaftError,
};
use openraft::metrics::WaitError;
use openraft::{BasicNode, Config, ServerState};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

type Raft = openraft::Raft<TypeConfig>;

/// How long [`Cluster::start_single`] waits for this node to lead with its log applied. A lone
/// voter elects itself at once; the deadline only catches a store whose membership names
/// other voters.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// How long [`Cluster::shutdown`] waits for Raft's background tasks to let go of the store.
const RELEASE_DEADLINE: Duration = Duration::from_secs(10);

/// This node's membership in the Raft cluster: propose commands, read the applied state, report
/// status. Cloning is cheap; every clone drives the same Raft node.
///
/// The store file stays open while any clone (or the [`Store`] it was started with) lives.
#[derive(Clone)]
pub struct Cluster {
    raft: Raft,
    store: Store,
    node_id: u64,
}

impl Cluster {
    /// Starts Raft on `store` as a one-voter cluster and returns once this node leads with
    /// every log entry applied.
    ///
    /// A new store gets the membership `{node_id: advertise_addr}`; a store that already has a
    /// membership keeps it (a restart), and its state is the one rebuilt by [`Store::open`].
    pub async fn start_single(
        store: Store,
        node_id: u64,
        advertise_addr: String,
    ) -> Result<Cluster, ClusterError> {
        Self::start_single_with(raft_config(), store, node_id, advertise_addr).await
    }

    async fn start_single_with(
        config: Config,
        store: Store,
        node_id: u64,
        advertise_addr: String,
    ) -> Result<Cluster, ClusterError> {
        let config = config.validate().map_err(ClusterError::Config)?;
        let raft = Raft::new(
            node_id,
            Arc::new(config),
            Network,
            store.log_store(),
            store.state_machine(),
        )
        .await?;
        let cluster = Cluster {
            raft,
            store,
            node_id,
        };
        if let Err(error) = cluster.lead_alone(advertise_addr).await {
            if let Err(shutdown) = cluster.shutdown().await {
                tracing::warn!(%shutdown, "Raft did not shut down cleanly after a failed start");
            }
            return Err(error);
        }
        Ok(cluster)
    }

    /// Proposes `command` and waits until it is committed and applied on this node.
    ///
    /// `Ok(Err(_))` is a refusal by [`State::apply`](coffer_core::State::apply): every replica
    /// refused alike and nothing changed. `Err(_)` means the command may not have been applied:
    /// this node is not the leader, or Raft stopped.
    pub async fn propose(&self, command: Command) -> Result<Result<(), ApplyError>, ClusterError> {
        match self.raft.client_write(command).await {
            Ok(response) => Ok(response.data.outcome),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))) => {
                Err(not_leader(forward))
            }
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(error))) => {
                Err(ClusterError::Membership(error))
            }
            Err(RaftError::Fatal(fatal)) => Err(fatal.into()),
        }
    }

    /// Returns once this node has confirmed with a quorum that it still leads and has applied
    /// everything committed before the call: a read of [`Cluster::state`] after it is
    /// linearizable. For admin reads that must be fresh.
    pub async fn ensure_linearizable(&self) -> Result<(), ClusterError> {
        match self.raft.ensure_linearizable().await {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(forward))) => {
                Err(not_leader(forward))
            }
            Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(error))) => {
                Err(ClusterError::NoQuorum(error))
            }
            Err(RaftError::Fatal(fatal)) => Err(fatal.into()),
        }
    }

    /// Stops Raft and waits (bounded) until its background tasks have released the store, so
    /// the file can be opened again once every `Cluster` clone and `Store` is dropped.
    pub async fn shutdown(&self) -> Result<(), ClusterError> {
        self.raft
            .shutdown()
            .await
            .map_err(ClusterError::ShutdownFailed)?;
        if tokio::time::timeout(RELEASE_DEADLINE, self.store.raft_released())
            .await
            .is_err()
        {
            tracing::warn!(
                node_id = self.node_id,
                "Raft tasks still hold the store after shutdown"
            );
        }
        tracing::info!(node_id = self.node_id, "Raft stopped");
        Ok(())
    }

    /// The applied state, for reads.
    pub fn state(&self) -> StateHandle {
        self.store.state()
    }

    /// The store, for its node-local values and audit log.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This node's id.
    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    /// A summary of this node's Raft state, for status reports.
    pub fn metrics(&self) -> ClusterMetrics {
        ClusterMetrics::from(&*self.raft.metrics().borrow())
    }

    /// True while this node can serve requests: it knows a leader (itself or another) and has
    /// not stopped. Health checks report this.
    pub fn is_serving(&self) -> bool {
        let metrics = self.raft.metrics().borrow().clone();
        metrics.current_leader.is_some() && metrics.state != ServerState::Shutdown
    }

    /// Initializes a new store's membership if needed, then waits to lead with all applied.
    async fn lead_alone(&self, advertise_addr: String) -> Result<(), ClusterError> {
        let node_id = self.node_id;
        if !self.raft.is_initialized().await? {
            tracing::info!(node_id, addr = %advertise_addr, "initializing a single-voter cluster");
            let members = BTreeMap::from([(node_id, BasicNode::new(advertise_addr))]);
            match self.raft.initialize(members).await {
                // Initialized meanwhile: the membership is already there.
                Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(RaftError::APIError(error)) => return Err(ClusterError::Initialize(error)),
                Err(RaftError::Fatal(fatal)) => return Err(fatal.into()),
            }
        }
        let metrics = self
            .raft
            .wait(Some(START_DEADLINE))
            .metrics(
                |m| {
                    m.state == ServerState::Leader
                        && m.current_leader == Some(node_id)
                        && m.last_applied.map(|log_id| log_id.index) == m.last_log_index
                },
                "leading with the whole log applied",
            )
            .await
            .map_err(|error| match error {
                WaitError::Timeout(..) => ClusterError::NoLeadership {
                    waited: START_DEADLINE,
                },
                WaitError::ShuttingDown => ClusterError::Shutdown,
            })?;
        tracing::info!(node_id, term = metrics.current_term, last_applied = ?metrics.last_applied, "leading");
        Ok(())
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node_id", &self.node_id)
            .field("store", &self.store.path())
            .finish()
    }
}

fn not_leader(forward: ForwardToLeader<u64, BasicNode>) -> ClusterError {
    ClusterError::NotLeader {
        leader_id: forward.leader_id,
        leader_addr: forward.leader_node.map(|node| node.addr),
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests;
