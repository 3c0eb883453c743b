//! The server side of the cluster port, without a transport: [`PeerRoute`] names each route
//! and [`Cluster::answer_peer`] answers a request's body on it.

use crate::cluster::Cluster;
use crate::cluster::forward::COMMIT_DEADLINE;
use crate::error::{ClusterError, PeerRefusal};
use crate::transport::PeerMethod;
use crate::wire::{
    self, DigestReply, PingReply, ProposeReply, ProposeRequest, ResyncReply, ResyncRequest,
    SnapshotRequest,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use coffer_store::TypeConfig;
use openraft::Snapshot;
use openraft::error::{Fatal, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::Cursor;

/// Largest request body on the cluster routes (AppendEntries batches, forwarded writes).
const RPC_BODY_LIMIT: usize = 64 << 20;

/// Largest snapshot request (base64 of the whole snapshot).
const SNAPSHOT_BODY_LIMIT: usize = 1 << 30;

/// A route of the cluster port. Every body is JSON; every handled request answers HTTP 200, a
/// refusal by Raft being an `Err` inside (serde's `{"Ok": …}` / `{"Err": …}`):
///
/// | route                   | request body                                   | answer                                   |
/// |-------------------------|------------------------------------------------|------------------------------------------|
/// | `POST /raft/append`     | openraft `AppendEntriesRequest`                | `Result<AppendEntriesResponse, RaftError>` |
/// | `POST /raft/vote`       | openraft `VoteRequest`                         | `Result<VoteResponse, RaftError>`        |
/// | `POST /raft/snapshot`   | `{"vote", "meta", "data": base64}` (whole)     | `Result<SnapshotResponse, Fatal>`        |
/// | `POST /cluster/propose` | `{"command": Command}`                         | `{"status": "applied", "outcome", "log_index"}`, `{"status": "not_leader", "leader_id"}`, `{"status": "timed_out", "waited_ms"}` or `{"status": "failed", "message"}` |
/// | `POST /cluster/resync`  | `{"meta", "data": base64}` (leader's snapshot) | `{"status": "rebuilt", "applied_index"}` or `{"status": "failed", "message"}` |
/// | `GET /cluster/digest`   | —                                              | `{"node_id", "applied_index", "digest": hex SHA-256}` |
/// | `GET /cluster/ping`     | —                                              | `{"node_id", "unix_ms"}`                 |
///
/// `/raft/*` carry Raft between nodes; `/cluster/propose` takes a write forwarded by
/// [`Cluster::propose_anywhere`] (this node must lead); `/cluster/resync` serves
/// [`Cluster::resync`]; `/cluster/digest` and `/cluster/ping` serve [`Cluster::peer_digest`]
/// and [`Cluster::peer_ping`]. Any other status means the request was not handled: a
/// malformed body (HTTP 400) or a caller the route refuses (HTTP 403), each with the
/// [`PeerRefusal`] message.
///
/// Who may call each route is [`PeerRoute::callers`]; [`Cluster::answer_peer`] enforces it
/// from the key of the certificate the caller presented, which must be a current member's
/// (see [`NodeInfo::cert_key`](coffer_store::NodeInfo::cert_key)). Serve them only on the
/// cluster port, behind TLS that requires a client certificate and passes on the key of the one
/// presented. Request bodies are limited to [`PeerRoute::body_limit`] (64 MiB,
/// 1 GiB for snapshots and re-syncs); an outer limit must not be lower, and an outer request
/// timeout must allow at least 60 s (a re-sync) on these routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerRoute {
    /// `POST /raft/append`: Raft's AppendEntries.
    Append,
    /// `POST /raft/vote`: Raft's RequestVote.
    Vote,
    /// `POST /raft/snapshot`: a whole Raft snapshot to install.
    Snapshot,
    /// `POST /cluster/propose`: a write forwarded to the leader.
    Propose,
    /// `POST /cluster/resync`: the leader's snapshot to rebuild this replica from.
    Resync,
    /// `GET /cluster/digest`: this replica's state digest.
    Digest,
    /// `GET /cluster/ping`: this node's id and clock.
    Ping,
}

/// Who may call a [`PeerRoute`]. Every caller must first be a current member: the key of its
/// certificate is pinned in the membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerCallers {
    /// Any current member, voter or learner.
    AnyMember,
    /// Only the member that the request's Raft vote names: the leader sending entries or a
    /// snapshot, the candidate asking for a vote. A member speaks in Raft only for itself.
    VoteOwner,
    /// Only the member this node knows as the current leader.
    Leader,
}

impl PeerRoute {
    /// Every route.
    pub const ALL: [PeerRoute; 7] = [
        Self::Append,
        Self::Vote,
        Self::Snapshot,
        Self::Propose,
        Self::Resync,
        Self::Digest,
        Self::Ping,
    ];

    /// The route's path.
    pub fn path(self) -> &'static str {
        match self {
            Self::Append => wire::APPEND,
            Self::Vote => wire::VOTE,
            Self::Snapshot => wire::SNAPSHOT,
            Self::Propose => wire::PROPOSE,
            Self::Resync => wire::RESYNC,
            Self::Digest => wire::DIGEST,
            Self::Ping => wire::PING,
        }
    }

    /// The route's HTTP method.
    pub fn method(self) -> PeerMethod {
        match self {
            Self::Digest | Self::Ping => PeerMethod::Get,
            Self::Append | Self::Vote | Self::Snapshot | Self::Propose | Self::Resync => {
                PeerMethod::Post
            }
        }
    }

    /// Who may call the route:
    ///
    /// | route                                     | callers                    |
    /// |-------------------------------------------|----------------------------|
    /// | `/raft/append`, `/raft/vote`, `/raft/snapshot` | the member the vote names |
    /// | `/cluster/resync`                         | the current leader         |
    /// | `/cluster/propose`, `/cluster/digest`, `/cluster/ping` | any member    |
    pub fn callers(self) -> PeerCallers {
        match self {
            Self::Append | Self::Vote | Self::Snapshot => PeerCallers::VoteOwner,
            Self::Resync => PeerCallers::Leader,
            Self::Propose | Self::Digest | Self::Ping => PeerCallers::AnyMember,
        }
    }

    /// The largest request body the route takes, in bytes: 64 MiB, 1 GiB for snapshots and
    /// re-syncs (a whole snapshot in base64).
    pub fn body_limit(self) -> usize {
        match self {
            Self::Snapshot | Self::Resync => SNAPSHOT_BODY_LIMIT,
            Self::Append | Self::Vote | Self::Propose | Self::Digest | Self::Ping => RPC_BODY_LIMIT,
        }
    }
}

impl Cluster {
    /// Answers a peer's request on `route`: finds the member whose certificate key has the id
    /// `caller_key` (see `coffer_crypto::certificate_key_id`), checks that it may call the
    /// route ([`PeerRoute::callers`]), decodes the JSON `body`, does what the route does (see
    /// [`PeerRoute`]) and gives the JSON answer. The body of a `GET` route is ignored.
    ///
    /// A caller that is no current member, or not one the route takes, gives
    /// [`PeerRefusal::NotAllowed`]; a body that does not decode, or a snapshot whose data is
    /// not base64, gives [`PeerRefusal::Malformed`]. Nothing was done then. The server must
    /// have applied [`PeerRoute::body_limit`].
    pub async fn answer_peer(
        &self,
        route: PeerRoute,
        caller_key: &[u8; 32],
        body: &[u8],
    ) -> Result<Vec<u8>, PeerRefusal> {
        let caller = self.member_with_key(caller_key).ok_or_else(|| {
            PeerRefusal::NotAllowed(format!(
                "{}: the certificate presented is not a current member's",
                route.path()
            ))
        })?;
        match route {
            PeerRoute::Append => {
                let rpc: AppendEntriesRequest<TypeConfig> = decode(route, body)?;
                check_vote_owner(route, rpc.vote.leader_id().voted_for(), caller)?;
                encode(&self.answer_append(rpc).await)
            }
            PeerRoute::Vote => {
                let rpc: VoteRequest<u64> = decode(route, body)?;
                check_vote_owner(route, rpc.vote.leader_id().voted_for(), caller)?;
                encode(&self.answer_vote(rpc).await)
            }
            PeerRoute::Snapshot => {
                let request: SnapshotRequest = decode(route, body)?;
                check_vote_owner(route, request.vote.leader_id().voted_for(), caller)?;
                encode(&self.answer_snapshot(request).await?)
            }
            PeerRoute::Propose => encode(&self.answer_propose(decode(route, body)?).await),
            PeerRoute::Resync => {
                if !self.is_leader_known_as(caller) {
                    return Err(PeerRefusal::NotAllowed(format!(
                        "{}: only the current leader may re-sync this replica; node {caller} is not it",
                        route.path()
                    )));
                }
                encode(&self.answer_resync(decode(route, body)?).await)
            }
            PeerRoute::Digest => encode(&self.answer_digest()),
            PeerRoute::Ping => encode(&self.answer_ping()),
        }
    }

    async fn answer_append(
        &self,
        rpc: AppendEntriesRequest<TypeConfig>,
    ) -> Result<AppendEntriesResponse<u64>, RaftError<u64>> {
        let answer = self.raft.append_entries(rpc).await;
        if let Ok(response) = &answer
            && !matches!(response, AppendEntriesResponse::HigherVote(_))
        {
            self.shared.contacts.leader_heard();
        }
        answer
    }

    async fn answer_vote(
        &self,
        rpc: VoteRequest<u64>,
    ) -> Result<VoteResponse<u64>, RaftError<u64>> {
        self.raft.vote(rpc).await
    }

    async fn answer_snapshot(
        &self,
        request: SnapshotRequest,
    ) -> Result<Result<SnapshotResponse<u64>, Fatal<u64>>, PeerRefusal> {
        let data = BASE64.decode(request.data.as_bytes()).map_err(|error| {
            PeerRefusal::Malformed(format!("snapshot data is not base64: {error}"))
        })?;
        tracing::info!(meta = %request.meta, bytes = data.len(), "snapshot received");
        let vote = request.vote;
        let snapshot = Snapshot {
            meta: request.meta,
            snapshot: Box::new(Cursor::new(data)),
        };
        let answer = self.raft.install_full_snapshot(vote, snapshot).await;
        if let Ok(response) = &answer
            && response.vote == vote
        {
            self.shared.contacts.leader_heard();
        }
        Ok(answer)
    }

    async fn answer_propose(&self, request: ProposeRequest<'static>) -> ProposeReply {
        let command = request.command.into_owned();
        match self.propose_bounded(command, COMMIT_DEADLINE).await {
            Ok((outcome, log_index)) => ProposeReply::Applied { outcome, log_index },
            Err(ClusterError::NotLeader { leader_id, .. }) => ProposeReply::NotLeader { leader_id },
            Err(ClusterError::WriteTimedOut { waited }) => ProposeReply::TimedOut {
                waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            },
            Err(error) => ProposeReply::Failed {
                message: error_chain(&error),
            },
        }
    }

    async fn answer_resync(&self, request: ResyncRequest) -> ResyncReply {
        match BASE64.decode(request.data.as_bytes()) {
            Err(error) => ResyncReply::Failed {
                message: format!("snapshot data is not base64: {error}"),
            },
            Ok(data) => match self.rebuild_from(request.meta, data).await {
                Ok(applied_index) => ResyncReply::Rebuilt { applied_index },
                Err(error) => ResyncReply::Failed {
                    message: error_chain(&error),
                },
            },
        }
    }

    fn answer_digest(&self) -> DigestReply {
        let (applied_index, digest) = self.state_digest();
        DigestReply {
            node_id: self.node_id,
            applied_index,
            digest: hex::encode(digest),
        }
    }

    fn answer_ping(&self) -> PingReply {
        PingReply {
            node_id: self.node_id,
            unix_ms: crate::cluster::unix_ms(),
        }
    }
}

/// Refuses a Raft message that `caller` sent in the name of another node (`named`).
fn check_vote_owner(route: PeerRoute, named: Option<u64>, caller: u64) -> Result<(), PeerRefusal> {
    if named == Some(caller) {
        return Ok(());
    }
    Err(PeerRefusal::NotAllowed(format!(
        "{}: node {caller} may send Raft messages only in its own name, not node {}'s",
        route.path(),
        named.map_or_else(|| "no".to_owned(), |id| id.to_string())
    )))
}

/// The request on `route` in `body`.
fn decode<T: DeserializeOwned>(route: PeerRoute, body: &[u8]) -> Result<T, PeerRefusal> {
    serde_json::from_slice(body).map_err(|error| {
        PeerRefusal::Malformed(format!(
            "the body is not a valid {} request: {error}",
            route.path()
        ))
    })
}

/// The JSON answer. The answers are plain data, so this fails only on a bug; the peer is then
/// told so rather than left without an answer.
fn encode<T: Serialize>(answer: &T) -> Result<Vec<u8>, PeerRefusal> {
    serde_json::to_vec(answer).map_err(|error| {
        tracing::error!(%error, "a cluster-port answer could not be encoded");
        PeerRefusal::Malformed(format!("the answer could not be encoded: {error}"))
    })
}

/// An error and its sources, for a peer's message.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_its_own_path() {
        let paths: std::collections::BTreeSet<_> =
            PeerRoute::ALL.iter().map(|route| route.path()).collect();
        assert_eq!(paths.len(), PeerRoute::ALL.len());
    }

    #[test]
    fn only_snapshots_and_resyncs_take_large_bodies() {
        let large: Vec<PeerRoute> = PeerRoute::ALL
            .into_iter()
            .filter(|route| route.body_limit() > RPC_BODY_LIMIT)
            .collect();
        assert_eq!(large, [PeerRoute::Snapshot, PeerRoute::Resync]);
    }
}
