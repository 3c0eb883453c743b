//! Looking at the cluster: members, status, replica digests, peer pings, log compaction.

use super::Cluster;
use crate::error::{ClusterError, PeerError};
use crate::metrics::ClusterMetrics;
use crate::status::{ClusterStatus, MemberRole, MemberStatus, PingReport};
use crate::wire::{self, DigestReply, PingReply};
use coffer_core::RecordKey;
use coffer_crypto::{DigestAlgorithm, Hasher};
use coffer_store::NodeInfo;
use openraft::ServerState;
use openraft::metrics::WaitError;
use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a peer query (digest, ping) may take.
const PEER_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long [`Cluster::compact_log`] waits for the snapshot and the purge.
const COMPACT_DEADLINE: Duration = Duration::from_secs(30);

impl Cluster {
    /// Every member of the current membership (the latest one in the log, committed or not):
    /// id, info, voter or learner; sorted by id.
    pub fn members(&self) -> Vec<(u64, NodeInfo, MemberRole)> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        membership
            .nodes()
            .map(|(id, info)| {
                let role = if voters.contains(id) {
                    MemberRole::Voter
                } else {
                    MemberRole::Learner
                };
                (*id, info.clone(), role)
            })
            .collect()
    }

    /// The member (voter or learner of the latest membership) admitted with the certificate
    /// key whose id is `key`, if any. A removed node is no member: its key names nobody.
    ///
    /// A joining node has no membership until the leader's first entries reach it; until then
    /// the one member it knows is the node that admitted it ([`Cluster::admitted_by`]).
    pub fn member_with_key(&self, key: &[u8; 32]) -> Option<u64> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let membership = metrics.membership_config.membership();
        if membership.nodes().next().is_none() {
            let admitted_by = *self
                .shared
                .admitted_by
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            return admitted_by
                .filter(|(_, pinned)| pinned == key)
                .map(|(id, _)| id);
        }
        membership
            .nodes()
            .find(|(_, info)| info.holds_cert_key(key))
            .map(|(id, _)| *id)
    }

    /// While this node has no membership yet (it is joining), the certificate key id of the
    /// node that admitted it: the one peer it may call, and only by that key.
    pub fn admitting_key(&self) -> Option<[u8; 32]> {
        let metrics = self.raft.metrics();
        if metrics
            .borrow()
            .membership_config
            .membership()
            .nodes()
            .next()
            .is_some()
        {
            return None;
        }
        self.shared
            .admitted_by
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map(|(_, key)| key)
    }

    /// Records that node `node_id`, whose certificate key has the id `key`, admitted this
    /// node: a joining node takes the leader's first Raft messages from it alone, and learns
    /// the other members from the membership those messages carry.
    pub fn admitted_by(&self, node_id: u64, key: [u8; 32]) {
        *self
            .shared
            .admitted_by
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((node_id, key));
    }

    /// An id no member uses: one more than the highest member id (and this node's own id).
    /// Ids of removed nodes may come back; give each joining node a fresh one from the leader.
    pub fn next_node_id(&self) -> u64 {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let highest = metrics
            .membership_config
            .membership()
            .nodes()
            .map(|(id, _)| *id)
            .max()
            .unwrap_or(0)
            .max(self.node_id);
        highest + 1
    }

    /// The cluster as this node sees it; see [`ClusterStatus`] for what a follower knows.
    pub fn status(&self) -> ClusterStatus {
        let last_leader_contact = self.last_leader_contact();
        let lease_valid = last_leader_contact.is_some_and(|since| since < self.shared.lease);
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let summary = ClusterMetrics::from(&*metrics);
        let leading = metrics.state == ServerState::Leader;
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        let members = membership
            .nodes()
            .map(|(id, info)| {
                let matched_index = if !leading {
                    None
                } else if *id == self.node_id {
                    metrics.last_log_index
                } else {
                    metrics
                        .replication
                        .as_ref()
                        .and_then(|replication| replication.get(id).cloned().flatten())
                        .map(|log_id| log_id.index)
                };
                let lag = if leading {
                    metrics
                        .last_log_index
                        .map(|last| last.saturating_sub(matched_index.unwrap_or(0)))
                } else {
                    None
                };
                let last_contact = if !leading {
                    None
                } else if *id == self.node_id {
                    Some(Duration::ZERO)
                } else {
                    self.shared
                        .contacts
                        .since_peer_ack(*id, metrics.current_term)
                };
                MemberStatus {
                    id: *id,
                    info: info.clone(),
                    role: if voters.contains(id) {
                        MemberRole::Voter
                    } else {
                        MemberRole::Learner
                    },
                    matched_index,
                    lag,
                    last_contact,
                }
            })
            .collect();
        ClusterStatus {
            node_id: self.node_id,
            role: summary.role,
            leader: summary.leader,
            term: summary.term,
            applied_index: self.store.state().last_applied().map(|log_id| log_id.index),
            last_log_index: summary.last_log_index,
            last_leader_contact,
            lease_valid,
            members,
        }
    }

    /// A SHA-256 over every record of the applied state ([`State::records`], in key order:
    /// for each, the 17-byte key, the value's length as a big-endian `u64`, the value), with the
    /// applied log index it was taken at (0 before the first entry); both are read under one
    /// guard. Two replicas at the same index must have the same digest.
    ///
    /// [`State::records`]: coffer_core::State::records
    pub fn state_digest(&self) -> (u64, [u8; 32]) {
        let state = self.store.state();
        let (index, records) = {
            let guard = state.read();
            (
                guard.last_applied().map_or(0, |log_id| log_id.index),
                guard.records(),
            )
        };
        (index, records_digest(&records))
    }

    /// Asks member `node_id` for its [`Cluster::state_digest`] over `/cluster/digest`. To
    /// compare replicas, compare digests taken at the same index (ask again while the indexes
    /// differ, or compare when no writes are under way).
    pub async fn peer_digest(&self, node_id: u64) -> Result<(u64, [u8; 32]), ClusterError> {
        if node_id == self.node_id {
            return Ok(self.state_digest());
        }
        let peer = self
            .leader_view_of(node_id)
            .ok_or(ClusterError::UnknownNode { node_id })?;
        let reply: DigestReply = self
            .transport()
            .map_err(|source| peer_error(&peer, source))?
            .get(&peer, wire::DIGEST, PEER_QUERY_TIMEOUT)
            .await
            .map_err(|source| peer_error(&peer, source))?;
        let mut digest = [0u8; 32];
        hex::decode_to_slice(&reply.digest, &mut digest).map_err(|_| {
            peer_error(
                &peer,
                PeerError::Status {
                    status: 200,
                    body: format!("malformed digest {:?}", reply.digest),
                },
            )
        })?;
        Ok((reply.applied_index, digest))
    }

    /// Pings the member whose cluster address is `cluster_addr` (`/cluster/ping`): its node
    /// id, its clock, the round trip and the estimated clock offset. Its certificate is checked
    /// against the member's name; an address no member has gives
    /// [`ClusterError::UnknownAddress`] (use [`Cluster::peer_ping_named`] for a node that is not
    /// a member).
    pub async fn peer_ping(&self, cluster_addr: &str) -> Result<PingReport, ClusterError> {
        let name = {
            let metrics = self.raft.metrics();
            let metrics = metrics.borrow();
            metrics
                .membership_config
                .membership()
                .nodes()
                .find(|(_, info)| info.cluster_addr == cluster_addr)
                .map(|(_, info)| info.name.clone())
        };
        let name = name.ok_or_else(|| ClusterError::UnknownAddress {
            addr: cluster_addr.to_owned(),
        })?;
        self.peer_ping_named(&name, cluster_addr).await
    }

    /// Pings the cluster port of the node `name` at `cluster_addr` (`/cluster/ping`), like
    /// [`Cluster::peer_ping`]. It need not be a member, but it must present a certificate for
    /// `name` from the cluster CA.
    pub async fn peer_ping_named(
        &self,
        name: &str,
        cluster_addr: &str,
    ) -> Result<PingReport, ClusterError> {
        let peer = NodeInfo::new(name, cluster_addr, "");
        let transport = self
            .transport()
            .map_err(|source| peer_error(&peer, source))?;
        let sent_ms = unix_ms();
        let sent = Instant::now();
        let reply: PingReply = transport
            .get(&peer, wire::PING, PEER_QUERY_TIMEOUT)
            .await
            .map_err(|source| peer_error(&peer, source))?;
        let round_trip = sent.elapsed();
        let midpoint = i128::from(sent_ms) + (round_trip.as_millis() / 2) as i128;
        let offset = i128::from(reply.unix_ms) - midpoint;
        Ok(PingReport {
            node_id: reply.node_id,
            peer_unix_ms: reply.unix_ms,
            round_trip,
            clock_offset_ms: i64::try_from(offset).unwrap_or(i64::MAX),
        })
    }

    /// Builds a snapshot of the applied state and purges the log up to it; returns the
    /// snapshot's last index (`None` when nothing was applied yet).
    ///
    /// Afterwards any member whose log ends before that index — a new node, one that was down
    /// a long time, or one whose store was reset with
    /// [`Store::reset_replica`](coffer_store::Store::reset_replica) — is brought up to date by
    /// installing the snapshot instead of replaying the log. This does not touch a member that
    /// already has the log: a replica that diverged with a complete log is repaired by
    /// removing it, resetting its store and adding it again (see `reset_replica`).
    pub async fn compact_log(&self) -> Result<Option<u64>, ClusterError> {
        let Some(applied) = self.raft.metrics().borrow().last_applied.map(|l| l.index) else {
            return Ok(None);
        };
        self.raft.trigger().snapshot().await?;
        let metrics = self
            .raft
            .wait(Some(COMPACT_DEADLINE))
            .metrics(
                |m| m.snapshot.is_some_and(|s| s.index >= applied),
                "snapshot built",
            )
            .await
            .map_err(|error| wait_error(error, "building a snapshot", COMPACT_DEADLINE))?;
        let Some(upto) = metrics.snapshot.map(|s| s.index) else {
            return Ok(None);
        };
        self.raft.trigger().purge_log(upto).await?;
        self.raft
            .wait(Some(COMPACT_DEADLINE))
            .metrics(
                |m| m.purged.is_some_and(|p| p.index >= upto),
                "log purged up to the snapshot",
            )
            .await
            .map_err(|error| wait_error(error, "purging the log", COMPACT_DEADLINE))?;
        tracing::info!(node_id = self.node_id, upto, "log compacted");
        Ok(Some(upto))
    }

    /// The voter and learner ids of the current membership.
    pub(super) fn member_ids(&self) -> (BTreeSet<u64>, BTreeSet<u64>) {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let membership = metrics.membership_config.membership();
        (
            membership.voter_ids().collect(),
            membership.learner_ids().collect(),
        )
    }

    /// The info of member `node_id` in the current membership.
    pub(super) fn leader_view_of(&self, node_id: u64) -> Option<NodeInfo> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        self.node_info_in(&metrics, node_id)
    }

    fn transport(&self) -> Result<&crate::transport::Transport, PeerError> {
        self.shared.transport.as_ref().ok_or(PeerError::NoTransport)
    }
}

fn peer_error(peer: &NodeInfo, source: PeerError) -> ClusterError {
    ClusterError::Peer {
        peer: Box::new(peer.clone()),
        source,
    }
}

fn wait_error(error: WaitError, what: &'static str, waited: Duration) -> ClusterError {
    match error {
        WaitError::Timeout(..) => ClusterError::Timeout { what, waited },
        WaitError::ShuttingDown => ClusterError::Shutdown,
    }
}

/// The hash [`Cluster::state_digest`] takes over `records`, in the order given.
fn records_digest(records: &[(RecordKey, Vec<u8>)]) -> [u8; 32] {
    let mut hasher = Hasher::new(DigestAlgorithm::Sha256);
    for (key, value) in records {
        hasher.update(&key.to_bytes());
        hasher.update(&(value.len() as u64).to_be_bytes());
        hasher.update(value);
    }
    let mut digest = [0; 32];
    digest.copy_from_slice(&hasher.finish());
    digest
}

/// This node's wall clock in milliseconds since the Unix epoch.
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::{AccountId, GroupId, Table};

    /// SHA-256 of `01 ‖ 00…01 ‖ 00000000 00000003 ‖ "abc" ‖ 02 ‖ 00…02 ‖ 00000000 00000000`.
    const EXPECTED: &str = "568621c18f637f8dd94953da7702cd10be8fe19adbc1cc709363428adaaa5c4c";

    #[test]
    fn no_records_digest_to_the_sha256_of_nothing() {
        assert_eq!(
            hex::encode(records_digest(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn each_record_is_hashed_as_key_length_and_value() {
        let records = [
            (
                RecordKey::new(Table::Accounts, AccountId::from_u128(1).uuid()),
                b"abc".to_vec(),
            ),
            (
                RecordKey::new(Table::Groups, GroupId::from_u128(2).uuid()),
                Vec::new(),
            ),
        ];
        assert_eq!(hex::encode(records_digest(&records)), EXPECTED);
    }
}
