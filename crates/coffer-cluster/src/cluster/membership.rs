//! Membership changes: add a learner, promote it, remove a node. One at a time per node.

use super::{Cluster, client_write_error};
use crate::error::ClusterError;
use coffer_store::NodeInfo;
use openraft::{ChangeMembers, ServerState};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// How long a new learner may take to catch up with the leader.
const CATCH_UP_DEADLINE: Duration = Duration::from_secs(60);

/// How long a membership entry may take to be committed.
const COMMIT_DEADLINE: Duration = Duration::from_secs(30);

/// The right to change the membership, held for the whole of a change (for a join: from the
/// token check to the promotion). Only one exists per node at a time: while it lives,
/// [`Cluster::try_begin_membership_change`] and the [`Cluster`] shortcuts fail with
/// [`ClusterError::MembershipChangeInProgress`]. Dropping it ends the change.
///
/// Every change must run on the leader (else [`ClusterError::NotLeader`]); openraft refuses a
/// change while another one is still being committed anywhere in the cluster, which is reported
/// as [`ClusterError::MembershipChangeInProgress`] too.
pub struct MembershipChange {
    cluster: Cluster,
    _guard: OwnedMutexGuard<()>,
}

impl Cluster {
    /// Starts a membership change, or fails at once with
    /// [`ClusterError::MembershipChangeInProgress`] while another one is under way on this node.
    pub fn try_begin_membership_change(&self) -> Result<MembershipChange, ClusterError> {
        let guard = std::sync::Arc::clone(&self.shared.membership_lock)
            .try_lock_owned()
            .map_err(|_| ClusterError::MembershipChangeInProgress)?;
        Ok(MembershipChange {
            cluster: self.clone(),
            _guard: guard,
        })
    }

    /// [`MembershipChange::add_learner`] as a change of its own.
    pub async fn add_learner(&self, node_id: u64, info: NodeInfo) -> Result<(), ClusterError> {
        self.try_begin_membership_change()?
            .add_learner(node_id, info)
            .await
    }

    /// [`MembershipChange::promote`] as a change of its own.
    pub async fn promote(&self, node_id: u64) -> Result<(), ClusterError> {
        self.try_begin_membership_change()?.promote(node_id).await
    }

    /// [`MembershipChange::add_voter`] as a change of its own.
    pub async fn add_voter(&self, node_id: u64, info: NodeInfo) -> Result<(), ClusterError> {
        self.try_begin_membership_change()?
            .add_voter(node_id, info)
            .await
    }

    /// [`MembershipChange::remove_node`] as a change of its own.
    pub async fn remove_node(&self, node_id: u64) -> Result<(), ClusterError> {
        self.try_begin_membership_change()?
            .remove_node(node_id)
            .await
    }
}

impl MembershipChange {
    /// Adds `node_id` as a learner (or updates its info if it is a member already) and returns
    /// once the leader has replicated to it everything up to the entry that added it: the
    /// learner has caught up and can be promoted. Leader only.
    ///
    /// A learner that does not catch up within 60 s gives
    /// [`ClusterError::LearnerNotCaughtUp`]; it stays a learner.
    pub async fn add_learner(&self, node_id: u64, info: NodeInfo) -> Result<(), ClusterError> {
        let raft = &self.cluster.raft;
        tracing::info!(node_id, node = %info, "adding a learner");
        let response =
            tokio::time::timeout(COMMIT_DEADLINE, raft.add_learner(node_id, info, false))
                .await
                .map_err(|_| ClusterError::WriteTimedOut {
                    waited: COMMIT_DEADLINE,
                })?
                .map_err(client_write_error)?;
        let membership_index = response.log_id.index;
        let deadline = tokio::time::Instant::now() + CATCH_UP_DEADLINE;
        let mut metrics = raft.metrics();
        loop {
            {
                let current = metrics.borrow_and_update();
                if current.state != ServerState::Leader {
                    return Err(ClusterError::NotLeader {
                        leader_id: current.current_leader,
                        leader_addr: None,
                    });
                }
                let matched = current
                    .replication
                    .as_ref()
                    .and_then(|replication| replication.get(&node_id).cloned().flatten());
                if matched.is_some_and(|log_id| log_id.index >= membership_index) {
                    tracing::info!(node_id, ?matched, "learner caught up");
                    return Ok(());
                }
            }
            match tokio::time::timeout_at(deadline, metrics.changed()).await {
                Err(_) => {
                    return Err(ClusterError::LearnerNotCaughtUp {
                        node_id,
                        waited: CATCH_UP_DEADLINE,
                    });
                }
                Ok(Err(_)) => return Err(ClusterError::Shutdown),
                Ok(Ok(())) => {}
            }
        }
    }

    /// Makes the learner `node_id` a voter, keeping every other member as it is. Leader only.
    /// A node that is a voter already is left alone.
    pub async fn promote(&self, node_id: u64) -> Result<(), ClusterError> {
        let (voters, learners) = self.cluster.member_ids();
        if voters.contains(&node_id) {
            return Ok(());
        }
        if !learners.contains(&node_id) {
            return Err(ClusterError::UnknownNode { node_id });
        }
        tracing::info!(node_id, "promoting a learner to voter");
        self.change(ChangeMembers::AddVoterIds(BTreeSet::from([node_id])))
            .await
    }

    /// Adds `node_id` as a learner, waits for it to catch up, then promotes it. Leader only. A
    /// node that is a voter already with the same info is left alone.
    pub async fn add_voter(&self, node_id: u64, info: NodeInfo) -> Result<(), ClusterError> {
        let (voters, _) = self.cluster.member_ids();
        let known = self.cluster.leader_view_of(node_id);
        if voters.contains(&node_id) && known.as_ref() == Some(&info) {
            return Ok(());
        }
        self.add_learner(node_id, info).await?;
        self.promote(node_id).await
    }

    /// Removes `node_id` from the membership, as a voter or a learner. Leader only. The cluster
    /// keeps serving as long as the remaining voters form a quorum; removing the leader itself
    /// makes it step down once the change is committed.
    pub async fn remove_node(&self, node_id: u64) -> Result<(), ClusterError> {
        let (voters, learners) = self.cluster.member_ids();
        let change = if voters.contains(&node_id) {
            ChangeMembers::RemoveVoters(BTreeSet::from([node_id]))
        } else if learners.contains(&node_id) {
            ChangeMembers::RemoveNodes(BTreeSet::from([node_id]))
        } else {
            return Err(ClusterError::UnknownNode { node_id });
        };
        tracing::info!(node_id, "removing a node");
        self.change(change).await
    }

    /// Commits a membership change; members dropped from the voters are removed altogether.
    async fn change(&self, change: ChangeMembers<u64, NodeInfo>) -> Result<(), ClusterError> {
        tokio::time::timeout(
            COMMIT_DEADLINE,
            self.cluster.raft.change_membership(change, false),
        )
        .await
        .map_err(|_| ClusterError::WriteTimedOut {
            waited: COMMIT_DEADLINE,
        })?
        .map_err(client_write_error)?;
        Ok(())
    }
}

impl std::fmt::Debug for MembershipChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MembershipChange")
            .field("node_id", &self.cluster.node_id)
            .finish()
    }
}
