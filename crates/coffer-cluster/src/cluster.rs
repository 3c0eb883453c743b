//! The handle the server uses for every replicated change and every read.

use crate::config::raft_config;
use crate::contacts::Contacts;
use crate::error::ClusterError;
use crate::metrics::ClusterMetrics;
use crate::network::Network;
use crate::transport::{PeerTransport, Transport};
use coffer_core::{ApplyError, Command};
use coffer_store::{NodeInfo, StateHandle, Store, TypeConfig};
use openraft::error::{
    CheckIsLeaderError, ClientWriteError, ForwardToLeader, InitializeError, RaftError,
};
use openraft::metrics::WaitError;
use openraft::{Config, RaftMetrics, ServerState};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(crate) mod forward;
mod inspect;
mod membership;
mod repair;

pub(crate) use inspect::unix_ms;

pub use membership::MembershipChange;

type Raft = openraft::Raft<TypeConfig>;

/// How long a start waits for this node to lead with its log applied, when it is the only
/// voter. A lone voter elects itself at once; the deadline only catches a store whose
/// membership names other voters.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// How long [`Cluster::shutdown`] waits for Raft's background tasks to let go of the store.
const RELEASE_DEADLINE: Duration = Duration::from_secs(10);

/// This node's membership in the Raft cluster: propose commands, read the applied state, change
/// the membership, report status. Cloning is cheap; every clone drives the same Raft node.
///
/// The store file stays open while any clone (or the [`Store`] it was started with) lives.
#[derive(Clone)]
pub struct Cluster {
    pub(crate) raft: Raft,
    store: Store,
    pub(crate) node_id: u64,
    pub(crate) shared: Arc<Shared>,
}

/// What every clone of one [`Cluster`] shares.
pub(crate) struct Shared {
    /// This node, as given at start.
    me: NodeInfo,
    /// `None` in the single-node mode.
    transport: Option<Transport>,
    /// Leader contact times, for the read lease.
    pub(crate) contacts: Arc<Contacts>,
    /// Held for the whole of a membership change.
    membership_lock: Arc<tokio::sync::Mutex<()>>,
    /// How long a leader contact keeps this node serving.
    lease: Duration,
    /// Set by [`Cluster::shutdown`].
    stopped: AtomicBool,
    /// The node that admitted this one, and its certificate key id: the only peer taken until
    /// this node has a membership of its own (see [`Cluster::admitted_by`]).
    admitted_by: std::sync::Mutex<Option<(u64, [u8; 32])>>,
}

/// When a start waits for this node to lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LeadWait {
    /// Always: the single-node mode.
    Always,
    /// When this node is the only voter (a new cluster, or a restarted one-node cluster).
    IfSoleVoter,
}

impl Cluster {
    /// Starts Raft on `store` as node `node_id`, reaching its peers through `transport`.
    ///
    /// - `bootstrap` and a new store: the membership `{node_id: me}` is written and this returns
    ///   once this node leads with everything applied (`sdkms-cluster create`).
    /// - A store that already has a membership (a restart): Raft resumes with it; when this node
    ///   is its only voter, this waits to lead as above, otherwise it returns at once and the
    ///   node rejoins its peers in the background.
    /// - No `bootstrap` and a new store (a joining node): Raft starts empty and waits for the
    ///   leader to add it ([`Cluster::add_voter`] on the leader) and replicate to it.
    ///
    /// Peers are addressed by their [`NodeInfo`]: the transport must reach
    /// [`NodeInfo::cluster_addr`] and authenticate the node there as [`NodeInfo::name`]. Their
    /// requests reach this node through [`Cluster::answer_peer`], which the caller serves on
    /// this node's cluster port.
    pub async fn start(
        store: Store,
        node_id: u64,
        me: NodeInfo,
        transport: Arc<dyn PeerTransport>,
        bootstrap: bool,
    ) -> Result<Cluster, ClusterError> {
        Self::start_with(
            raft_config(),
            store,
            node_id,
            me,
            Some(Transport::new(transport)),
            bootstrap,
            LeadWait::IfSoleVoter,
        )
        .await
    }

    /// Starts Raft on `store` as a one-voter cluster without a cluster transport (the
    /// single-node evaluation mode) and returns once this node leads with every log entry
    /// applied.
    ///
    /// A new store gets the membership `{node_id: advertise_addr}` (recorded as the node's API
    /// address); a store that already has a membership keeps it (a restart), and its state is
    /// the one rebuilt by [`Store::open`].
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
        let me = NodeInfo::new(format!("node-{node_id}"), "", advertise_addr);
        Self::start_with(config, store, node_id, me, None, true, LeadWait::Always).await
    }

    async fn start_with(
        config: Config,
        store: Store,
        node_id: u64,
        me: NodeInfo,
        transport: Option<Transport>,
        bootstrap: bool,
        lead_wait: LeadWait,
    ) -> Result<Cluster, ClusterError> {
        let config = config
            .validate()
            .map_err(|error| ClusterError::Config(Box::new(error)))?;
        let lease = crate::config::lease(&config);
        let contacts = Arc::new(Contacts::default());
        let network = Network::new(node_id, transport.clone(), Arc::clone(&contacts));
        let raft = Raft::new(
            node_id,
            Arc::new(config),
            network,
            store.log_store(),
            store.state_machine(),
        )
        .await?;
        let cluster = Cluster {
            raft,
            store,
            node_id,
            shared: Arc::new(Shared {
                me,
                transport,
                contacts,
                membership_lock: Arc::new(tokio::sync::Mutex::new(())),
                lease,
                stopped: AtomicBool::new(false),
                admitted_by: std::sync::Mutex::new(None),
            }),
        };
        if let Err(error) = cluster.come_up(bootstrap, lead_wait).await {
            if let Err(shutdown) = cluster.shutdown().await {
                tracing::warn!(%shutdown, "Raft did not shut down cleanly after a failed start");
            }
            return Err(error);
        }
        Ok(cluster)
    }

    /// Proposes `command` on this node, which must be the leader, and waits until it is
    /// committed and applied here.
    ///
    /// `Ok(Err(_))` is a refusal by [`State::apply`](coffer_core::State::apply): every replica
    /// refused alike and nothing changed. `Err(_)` means the command may not have been applied:
    /// this node is not the leader ([`ClusterError::NotLeader`]), or Raft stopped. There is no
    /// deadline: a leader that lost its quorum keeps waiting. Prefer
    /// [`Cluster::propose_anywhere`], which forwards and is bounded.
    pub async fn propose(&self, command: Command) -> Result<Result<(), ApplyError>, ClusterError> {
        match self.raft.client_write(command).await {
            Ok(response) => Ok(response.data.outcome),
            Err(error) => Err(client_write_error(error)),
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
    /// the file can be opened again once every `Cluster` clone and `Store` is dropped. Whatever
    /// serves [`Cluster::answer_peer`] holds a clone: stop serving it too.
    pub async fn shutdown(&self) -> Result<(), ClusterError> {
        self.shared.stopped.store(true, Ordering::SeqCst);
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

    /// This node as given at start.
    pub fn me(&self) -> &NodeInfo {
        &self.shared.me
    }

    /// A summary of this node's Raft state, for status reports.
    pub fn metrics(&self) -> ClusterMetrics {
        ClusterMetrics::from(&*self.raft.metrics().borrow())
    }

    /// True while this node may serve reads from its local state: it has heard from a leader
    /// within the lease ([`Cluster::lease`]) and has not stopped. Health checks report this.
    pub fn is_serving(&self) -> bool {
        // Read the state on its own: the metrics guard must be gone before the lease check
        // borrows the metrics again.
        let state = self.raft.metrics().borrow().state;
        !self.shared.stopped.load(Ordering::SeqCst)
            && state != ServerState::Shutdown
            && self.lease_valid()
    }

    /// True when this node heard from a leader within the lease: as a follower or learner, it
    /// accepted an AppendEntries (heartbeats included) that recently; as the leader, a majority
    /// of the voters (itself included) acknowledged it that recently. A lone voter always
    /// holds it.
    ///
    /// Known limit: a follower cut off together with a leader that lost its quorum (possible
    /// with five voters or more) keeps its lease while it hears that leader.
    pub fn lease_valid(&self) -> bool {
        self.last_leader_contact()
            .is_some_and(|since| since < self.shared.lease)
    }

    /// How long a leader contact keeps this node serving: twice the longest election timeout.
    pub fn lease(&self) -> Duration {
        self.shared.lease
    }

    /// Time since this node last heard from a leader: for a follower or learner, since the last
    /// AppendEntries it accepted; for the leader, since a majority of every voter configuration
    /// last acknowledged it (zero for a lone voter). `None` if never (since start).
    pub fn last_leader_contact(&self) -> Option<Duration> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        if metrics.state == ServerState::Leader && metrics.current_leader == Some(self.node_id) {
            self.shared.contacts.since_quorum_ack(
                self.node_id,
                metrics.current_term,
                metrics.membership_config.membership().get_joint_config(),
            )
        } else {
            self.shared.contacts.since_leader_heard()
        }
    }

    /// The leader this node knows of, with its node info.
    pub fn leader(&self) -> Option<(u64, NodeInfo)> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let leader = metrics.current_leader?;
        let info = self.node_info_in(&metrics, leader)?;
        Some((leader, info))
    }

    /// True when this node knows `node_id` as the current leader.
    pub fn is_leader_known_as(&self, node_id: u64) -> bool {
        self.raft.metrics().borrow().current_leader == Some(node_id)
    }

    /// The node info of `node_id` in the current membership (or this node's own).
    fn node_info_in(&self, metrics: &RaftMetrics<u64, NodeInfo>, node_id: u64) -> Option<NodeInfo> {
        metrics
            .membership_config
            .membership()
            .get_node(&node_id)
            .cloned()
            .or_else(|| (node_id == self.node_id).then(|| self.shared.me.clone()))
    }

    /// Initializes a new store's membership when bootstrapping, then waits to lead if asked.
    async fn come_up(&self, bootstrap: bool, lead_wait: LeadWait) -> Result<(), ClusterError> {
        let node_id = self.node_id;
        let mut initialized = false;
        if bootstrap && !self.raft.is_initialized().await? {
            let me = self.shared.me.clone();
            tracing::info!(node_id, node = %me, "initializing a single-voter cluster");
            let members = BTreeMap::from([(node_id, me)]);
            match self.raft.initialize(members).await {
                Ok(()) => initialized = true,
                // Initialized meanwhile: the membership is already there.
                Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(RaftError::APIError(error)) => {
                    return Err(ClusterError::Initialize(Box::new(error)));
                }
                Err(RaftError::Fatal(fatal)) => return Err(fatal.into()),
            }
        }
        let sole_voter = {
            let state = self.store.state();
            let guard = state.read();
            let voters: Vec<u64> = guard.membership().membership().voter_ids().collect();
            voters == [node_id]
        };
        let wait = match lead_wait {
            LeadWait::Always => true,
            LeadWait::IfSoleVoter => initialized || sole_voter,
        };
        if !wait {
            tracing::info!(node_id, "Raft started; joining or rejoining the cluster");
            return Ok(());
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

fn not_leader(forward: ForwardToLeader<u64, NodeInfo>) -> ClusterError {
    ClusterError::NotLeader {
        leader_id: forward.leader_id,
        leader_addr: forward.leader_node.map(|node| node.cluster_addr),
    }
}

fn client_write_error(error: RaftError<u64, ClientWriteError<u64, NodeInfo>>) -> ClusterError {
    match error {
        RaftError::APIError(ClientWriteError::ForwardToLeader(forward)) => not_leader(forward),
        RaftError::APIError(ClientWriteError::ChangeMembershipError(error)) => error.into(),
        RaftError::Fatal(fatal) => fatal.into(),
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests;
