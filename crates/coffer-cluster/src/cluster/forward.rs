//! Writes through any node: proposed here on the leader, forwarded to the leader elsewhere, and
//! acknowledged once applied on this node.

use super::{Cluster, client_write_error};
use crate::error::{ClusterError, PeerError};
use crate::wire::{self, ProposeReply, ProposeRequest};
use coffer_core::{ApplyError, Command};
use coffer_store::NodeInfo;
use openraft::ServerState;
use openraft::metrics::WaitError;
use std::borrow::Cow;
use std::time::Duration;

/// How long a write waits for a leader to be known.
const LEADER_WAIT: Duration = Duration::from_secs(3);

/// How long the leader waits for a write to be committed and applied.
pub(crate) const COMMIT_DEADLINE: Duration = Duration::from_secs(5);

/// Time allowed on top of [`COMMIT_DEADLINE`] for the forwarded request's round trip.
const FORWARD_MARGIN: Duration = Duration::from_secs(1);

/// How long this node waits to apply a write the leader acknowledged.
const LOCAL_APPLY_DEADLINE: Duration = Duration::from_secs(5);

/// What one try at a write gave.
enum Attempt {
    /// Committed; `index` is set when it was committed elsewhere and must be applied here.
    Written {
        outcome: Result<(), ApplyError>,
        index: Option<u64>,
    },
    /// Certainly not written: the node tried was not the leader, or could not be reached.
    NotWritten(ClusterError),
}

impl Cluster {
    /// Proposes `command` wherever the leader is, and returns once it is committed and applied
    /// on this node, so a read here afterwards sees it.
    ///
    /// On the leader it is proposed locally. Elsewhere it is posted to the leader's
    /// `/cluster/propose`, which proposes it and answers with the outcome and the log index;
    /// this node then waits until it has applied that index. When the node tried turns out not
    /// to be the leader, or cannot be reached at all (so nothing was written), it is tried once
    /// more with the next leader.
    ///
    /// Bounded: no leader known within 3 s gives [`ClusterError::NoLeader`]; a leader that does
    /// not commit within 5 s gives [`ClusterError::WriteTimedOut`]. Errors that leave the
    /// outcome unknown ([`ClusterError::WriteTimedOut`], [`ClusterError::ForwardFailed`],
    /// [`ClusterError::LeaderFailed`]) are never retried here: the command may have been
    /// applied.
    pub async fn propose_anywhere(
        &self,
        command: Command,
    ) -> Result<Result<(), ApplyError>, ClusterError> {
        let mut excluded = None;
        let mut last_error = None;
        for _ in 0..2 {
            let (leader_id, leader) = match self.wait_for_leader(excluded, LEADER_WAIT).await {
                Ok(leader) => leader,
                // The first failure says more than "no other leader came up".
                Err(error) => return Err(last_error.unwrap_or(error)),
            };
            let attempt = if leader_id == self.node_id {
                self.propose_here(&command).await?
            } else {
                self.forward(leader_id, &leader, &command).await?
            };
            match attempt {
                Attempt::Written { outcome, index } => {
                    if let Some(index) = index {
                        self.wait_applied(index).await?;
                    }
                    return Ok(outcome);
                }
                Attempt::NotWritten(error) => {
                    tracing::debug!(leader_id, %error, "write not taken; trying the next leader");
                    excluded = Some(leader_id);
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or(ClusterError::NoLeader {
            waited: LEADER_WAIT,
        }))
    }

    /// Proposes on this node with a deadline; the outcome and the entry's log index.
    pub(crate) async fn propose_bounded(
        &self,
        command: Command,
        deadline: Duration,
    ) -> Result<(Result<(), ApplyError>, u64), ClusterError> {
        match tokio::time::timeout(deadline, self.raft.client_write(command)).await {
            Err(_) => Err(ClusterError::WriteTimedOut { waited: deadline }),
            Ok(Ok(response)) => Ok((response.data.outcome, response.log_id.index)),
            Ok(Err(error)) => Err(client_write_error(error)),
        }
    }

    /// Waits until a leader other than `excluded` is known, for at most `max_wait`.
    pub(crate) async fn wait_for_leader(
        &self,
        excluded: Option<u64>,
        max_wait: Duration,
    ) -> Result<(u64, NodeInfo), ClusterError> {
        let deadline = tokio::time::Instant::now() + max_wait;
        let mut metrics = self.raft.metrics();
        loop {
            {
                let current = metrics.borrow_and_update();
                if current.state == ServerState::Shutdown {
                    return Err(ClusterError::Shutdown);
                }
                if let Some(leader) = current.current_leader.filter(|l| Some(*l) != excluded)
                    && let Some(info) = self.node_info_in(&current, leader)
                {
                    return Ok((leader, info));
                }
            }
            match tokio::time::timeout_at(deadline, metrics.changed()).await {
                Err(_) => return Err(ClusterError::NoLeader { waited: max_wait }),
                Ok(Err(_)) => return Err(ClusterError::Shutdown),
                Ok(Ok(())) => {}
            }
        }
    }

    async fn propose_here(&self, command: &Command) -> Result<Attempt, ClusterError> {
        match self.propose_bounded(command.clone(), COMMIT_DEADLINE).await {
            Ok((outcome, _)) => Ok(Attempt::Written {
                outcome,
                index: None,
            }),
            Err(error @ ClusterError::NotLeader { .. }) => Ok(Attempt::NotWritten(error)),
            Err(error) => Err(error),
        }
    }

    async fn forward(
        &self,
        leader_id: u64,
        leader: &NodeInfo,
        command: &Command,
    ) -> Result<Attempt, ClusterError> {
        let not_leader = || ClusterError::NotLeader {
            leader_id: Some(leader_id),
            leader_addr: Some(leader.cluster_addr.clone()),
        };
        let Some(transport) = &self.shared.transport else {
            return Ok(Attempt::NotWritten(not_leader()));
        };
        let request = ProposeRequest {
            command: Cow::Borrowed(command),
        };
        let reply = transport
            .post::<_, ProposeReply>(
                leader,
                wire::PROPOSE,
                &request,
                COMMIT_DEADLINE + FORWARD_MARGIN,
            )
            .await;
        match reply {
            Ok(ProposeReply::Applied { outcome, log_index }) => Ok(Attempt::Written {
                outcome,
                index: Some(log_index),
            }),
            Ok(ProposeReply::NotLeader { leader_id }) => {
                Ok(Attempt::NotWritten(ClusterError::NotLeader {
                    leader_id,
                    leader_addr: None,
                }))
            }
            Ok(ProposeReply::TimedOut { waited_ms }) => Err(ClusterError::WriteTimedOut {
                waited: Duration::from_millis(waited_ms),
            }),
            Ok(ProposeReply::Failed { message }) => {
                Err(ClusterError::LeaderFailed { leader_id, message })
            }
            Err(PeerError::Timeout(waited)) => Err(ClusterError::WriteTimedOut { waited }),
            Err(error) if error.not_sent() => Ok(Attempt::NotWritten(ClusterError::Peer {
                peer: Box::new(leader.clone()),
                source: error,
            })),
            Err(error @ PeerError::Status { .. }) => Err(ClusterError::Peer {
                peer: Box::new(leader.clone()),
                source: error,
            }),
            Err(error) => Err(ClusterError::ForwardFailed {
                leader_id,
                source: error,
            }),
        }
    }

    /// Waits until this node has applied `index`.
    async fn wait_applied(&self, index: u64) -> Result<(), ClusterError> {
        self.raft
            .wait(Some(LOCAL_APPLY_DEADLINE))
            .applied_index_at_least(Some(index), "forwarded write applied here")
            .await
            .map(|_| ())
            .map_err(|error| match error {
                WaitError::Timeout(..) => ClusterError::NotAppliedLocally {
                    index,
                    waited: LOCAL_APPLY_DEADLINE,
                },
                WaitError::ShuttingDown => ClusterError::Shutdown,
            })
    }
}
