//! How Raft reaches its peers: openraft's network traits over the [`Transport`].
//!
//! Each RPC is one JSON POST to the peer's cluster port (routes in [`crate::wire`]); a snapshot
//! is sent whole in one request. Failures are mapped as openraft expects: no connection (or an
//! HTTP error status, such as a refused certificate) is `Unreachable`, so replication backs off;
//! no answer in time is `Timeout`; a connection lost mid-request is a `NetworkError`, retried
//! at once; a refusal by the peer's Raft is a `RemoteError`.
//!
//! A node started without a transport (the single-node mode) gets connections whose every RPC
//! fails with `Unreachable`; a lone voter never calls them.

use crate::contacts::Contacts;
use crate::error::PeerError;
use crate::transport::Transport;
use crate::wire::{self, SnapshotRequest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use coffer_store::{NodeInfo, TypeConfig};
use openraft::error::{
    Fatal, InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, ReplicationClosed,
    StreamingError, Timeout, Unreachable,
};
use openraft::network::{RPCOption, RPCTypes};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{OptionalSend, RaftNetwork, RaftNetworkFactory, Snapshot, Vote};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Hands out a connection per peer; connections to one peer share its pooled client.
#[derive(Clone, Debug)]
pub(crate) struct Network {
    my_id: u64,
    transport: Option<Transport>,
    contacts: Arc<Contacts>,
}

impl Network {
    /// A network over `transport`, or one that never connects when `None`.
    pub(crate) fn new(my_id: u64, transport: Option<Transport>, contacts: Arc<Contacts>) -> Self {
        Self {
            my_id,
            transport,
            contacts,
        }
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: u64, node: &NodeInfo) -> PeerConnection {
        PeerConnection {
            my_id: self.my_id,
            target,
            node: node.clone(),
            transport: self.transport.clone(),
            contacts: Arc::clone(&self.contacts),
        }
    }
}

/// Raft's view of one peer.
#[derive(Debug)]
pub(crate) struct PeerConnection {
    my_id: u64,
    target: u64,
    node: NodeInfo,
    transport: Option<Transport>,
    contacts: Arc<Contacts>,
}

impl PeerConnection {
    async fn post<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
        timeout: Duration,
    ) -> Result<Resp, PeerError> {
        let Some(transport) = &self.transport else {
            tracing::trace!(target_node = self.target, "no cluster transport");
            return Err(PeerError::NoTransport);
        };
        transport.post(&self.node, path, body, timeout).await
    }

    /// Maps a transport failure of an RPC of kind `action`.
    fn rpc_error<E: std::error::Error>(
        &self,
        action: RPCTypes,
        error: PeerError,
    ) -> RPCError<u64, NodeInfo, E> {
        tracing::debug!(target_node = self.target, ?action, %error, "cluster RPC failed");
        match error {
            PeerError::Timeout(timeout) => RPCError::Timeout(Timeout {
                action,
                id: self.my_id,
                target: self.target,
                timeout,
            }),
            PeerError::Request(_) | PeerError::Body(_) | PeerError::Decode(_) => {
                RPCError::Network(NetworkError::new(&error))
            }
            _ => RPCError::Unreachable(Unreachable::new(&error)),
        }
    }
}

impl RaftNetwork<TypeConfig> for PeerConnection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, NodeInfo, RaftError<u64>>> {
        let term = rpc.vote.leader_id.term;
        let answer: Result<AppendEntriesResponse<u64>, RaftError<u64>> = self
            .post(wire::APPEND, &rpc, option.hard_ttl())
            .await
            .map_err(|error| self.rpc_error(RPCTypes::AppendEntries, error))?;
        let response = answer.map_err(|error| {
            RPCError::RemoteError(RemoteError::new_with_node(
                self.target,
                self.node.clone(),
                error,
            ))
        })?;
        if !matches!(response, AppendEntriesResponse::HigherVote(_)) {
            self.contacts.peer_acked(self.target, term);
        }
        Ok(response)
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, NodeInfo, RaftError<u64, InstallSnapshotError>>,
    > {
        // Snapshots go whole through `full_snapshot`; openraft never sends chunks then.
        Err(RPCError::Unreachable(Unreachable::new(&ChunkedSnapshots)))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, NodeInfo, RaftError<u64>>> {
        let answer: Result<VoteResponse<u64>, RaftError<u64>> = self
            .post(wire::VOTE, &rpc, option.hard_ttl())
            .await
            .map_err(|error| self.rpc_error(RPCTypes::Vote, error))?;
        answer.map_err(|error| {
            RPCError::RemoteError(RemoteError::new_with_node(
                self.target,
                self.node.clone(),
                error,
            ))
        })
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote<u64>,
        snapshot: Snapshot<TypeConfig>,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<u64>, StreamingError<TypeConfig, Fatal<u64>>> {
        let bytes = snapshot.snapshot.into_inner();
        tracing::info!(
            target_node = self.target,
            meta = %snapshot.meta,
            bytes = bytes.len(),
            "sending snapshot"
        );
        let request = SnapshotRequest {
            vote,
            meta: snapshot.meta,
            data: BASE64.encode(bytes),
        };
        let send = self.post::<_, Result<SnapshotResponse<u64>, Fatal<u64>>>(
            wire::SNAPSHOT,
            &request,
            option.hard_ttl(),
        );
        let answer = tokio::select! {
            answer = send => answer,
            closed = cancel => return Err(StreamingError::Closed(closed)),
        };
        let answer = answer.map_err(|error| {
            match self.rpc_error::<Fatal<u64>>(RPCTypes::InstallSnapshot, error) {
                RPCError::Timeout(timeout) => StreamingError::Timeout(timeout),
                RPCError::Network(network) => StreamingError::Network(network),
                RPCError::Unreachable(unreachable) => StreamingError::Unreachable(unreachable),
                RPCError::PayloadTooLarge(too_large) => {
                    StreamingError::Unreachable(Unreachable::new(&too_large))
                }
                RPCError::RemoteError(remote) => StreamingError::RemoteError(remote),
            }
        })?;
        answer.map_err(|fatal| {
            StreamingError::RemoteError(RemoteError::new_with_node(
                self.target,
                self.node.clone(),
                fatal,
            ))
        })
    }
}

/// Why the chunked snapshot RPC is never used.
#[derive(Debug, thiserror::Error)]
#[error("snapshots are sent whole, not in chunks")]
struct ChunkedSnapshots;
