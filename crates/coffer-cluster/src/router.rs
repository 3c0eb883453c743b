//! The server side of the cluster port: Raft RPCs, forwarded writes, digests and pings.

use crate::cluster::Cluster;
use crate::cluster::forward::COMMIT_DEADLINE;
use crate::error::ClusterError;
use crate::wire::{
    self, DigestReply, PingReply, ProposeReply, ProposeRequest, ResyncReply, ResyncRequest,
    SnapshotRequest,
};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use coffer_store::TypeConfig;
use openraft::Snapshot;
use openraft::error::{Fatal, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use std::io::Cursor;

/// Largest request body on the cluster routes (AppendEntries batches, forwarded writes).
const RPC_BODY_LIMIT: usize = 64 << 20;

/// Largest snapshot request (base64 of the whole snapshot).
const SNAPSHOT_BODY_LIMIT: usize = 1 << 30;

/// The cluster port's routes for `cluster`. Every body is JSON; every handled request answers
/// HTTP 200, a refusal by Raft being an `Err` inside (serde's `{"Ok": …}` / `{"Err": …}`):
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
/// and [`Cluster::peer_ping`]. Any other status means the request was not handled (a
/// malformed body, or the daemon refused the caller).
///
/// Serve it only on the cluster port, behind TLS that requires a client certificate issued by
/// the cluster CA: the routes trust their caller completely. Request bodies are limited to
/// 64 MiB (1 GiB for snapshots); an outer limit must not be lower, and an outer request
/// timeout must allow at least 60 s (a re-sync) on these routes.
///
/// The router needs no state from the caller; it is generic over the state type `S` so it can
/// be merged into the daemon's own cluster-port router before that one's `with_state`.
pub fn raft_router<S>(cluster: Cluster) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(wire::APPEND, post(append))
        .route(wire::VOTE, post(vote))
        .route(
            wire::SNAPSHOT,
            post(snapshot).layer(DefaultBodyLimit::max(SNAPSHOT_BODY_LIMIT)),
        )
        .route(wire::PROPOSE, post(propose))
        .route(
            wire::RESYNC,
            post(resync).layer(DefaultBodyLimit::max(SNAPSHOT_BODY_LIMIT)),
        )
        .route(wire::DIGEST, get(digest))
        .route(wire::PING, get(ping))
        .layer(DefaultBodyLimit::max(RPC_BODY_LIMIT))
        .with_state(cluster)
}

async fn append(
    State(cluster): State<Cluster>,
    Json(rpc): Json<AppendEntriesRequest<TypeConfig>>,
) -> Json<Result<AppendEntriesResponse<u64>, RaftError<u64>>> {
    let answer = cluster.raft.append_entries(rpc).await;
    if let Ok(response) = &answer
        && !matches!(response, AppendEntriesResponse::HigherVote(_))
    {
        cluster.shared.contacts.leader_heard();
    }
    Json(answer)
}

async fn vote(
    State(cluster): State<Cluster>,
    Json(rpc): Json<VoteRequest<u64>>,
) -> Json<Result<VoteResponse<u64>, RaftError<u64>>> {
    Json(cluster.raft.vote(rpc).await)
}

async fn snapshot(
    State(cluster): State<Cluster>,
    Json(request): Json<SnapshotRequest>,
) -> Result<Json<Result<SnapshotResponse<u64>, Fatal<u64>>>, (StatusCode, String)> {
    let data = BASE64.decode(request.data.as_bytes()).map_err(|error| {
        (
            StatusCode::BAD_REQUEST,
            format!("snapshot data is not base64: {error}"),
        )
    })?;
    tracing::info!(meta = %request.meta, bytes = data.len(), "snapshot received");
    let vote = request.vote;
    let snapshot = Snapshot {
        meta: request.meta,
        snapshot: Box::new(Cursor::new(data)),
    };
    let answer = cluster.raft.install_full_snapshot(vote, snapshot).await;
    if let Ok(response) = &answer
        && response.vote == vote
    {
        cluster.shared.contacts.leader_heard();
    }
    Ok(Json(answer))
}

async fn propose(
    State(cluster): State<Cluster>,
    Json(request): Json<ProposeRequest<'static>>,
) -> Json<ProposeReply> {
    let command = request.command.into_owned();
    let reply = match cluster.propose_bounded(command, COMMIT_DEADLINE).await {
        Ok((outcome, log_index)) => ProposeReply::Applied { outcome, log_index },
        Err(ClusterError::NotLeader { leader_id, .. }) => ProposeReply::NotLeader { leader_id },
        Err(ClusterError::WriteTimedOut { waited }) => ProposeReply::TimedOut {
            waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
        },
        Err(error) => ProposeReply::Failed {
            message: error_chain(&error),
        },
    };
    Json(reply)
}

async fn resync(
    State(cluster): State<Cluster>,
    Json(request): Json<ResyncRequest>,
) -> Json<ResyncReply> {
    let reply = match BASE64.decode(request.data.as_bytes()) {
        Err(error) => ResyncReply::Failed {
            message: format!("snapshot data is not base64: {error}"),
        },
        Ok(data) => match cluster.rebuild_from(request.meta, data).await {
            Ok(applied_index) => ResyncReply::Rebuilt { applied_index },
            Err(error) => ResyncReply::Failed {
                message: error_chain(&error),
            },
        },
    };
    Json(reply)
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

async fn digest(State(cluster): State<Cluster>) -> Json<DigestReply> {
    let (applied_index, digest) = cluster.state_digest();
    Json(DigestReply {
        node_id: cluster.node_id,
        applied_index,
        digest: hex::encode(digest),
    })
}

async fn ping(State(cluster): State<Cluster>) -> Json<PingReply> {
    Json(PingReply {
        node_id: cluster.node_id,
        unix_ms: crate::cluster::unix_ms(),
    })
}
