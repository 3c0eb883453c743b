//! The cluster port: node-to-node traffic over TLS with the cluster CA.
//!
//! Peers authenticate with their node certificates (mutual TLS); every route demands one except
//! the two a joining node uses before it has a certificate (`/join/cluster-info`, whose answer is
//! authenticated by the join token instead, and `/join/request`, which carries the token).

use super::join;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{IncomingStream, Listener};
use axum::{Json, Router};
use coffer_node::Node;
use coffer_node::membership::{self, LeaderAction};
use rustls::ServerConfig;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Who is on the other end of a cluster-port connection.
#[derive(Clone, Debug)]
pub(crate) struct PeerInfo {
    /// Its address.
    pub(crate) addr: SocketAddr,
    /// True when it presented a certificate from the cluster CA.
    pub(crate) authenticated: bool,
}

impl Connected<IncomingStream<'_, ClusterListener>> for PeerInfo {
    fn connect_info(stream: IncomingStream<'_, ClusterListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// The cluster port's listener: TCP accept, then the TLS handshake in its own task.
pub(crate) struct ClusterListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, PeerInfo)>,
}

impl ClusterListener {
    /// Starts accepting on `tcp` with `config`.
    pub(crate) fn start(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(256);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                // Stop (and release the port) as soon as the server side is gone.
                let accepted = tokio::select! {
                    accepted = tcp.accept() => accepted,
                    () = tx.closed() => return,
                };
                let Ok((stream, addr)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                if tx.is_closed() {
                    return;
                }
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => {
                            let authenticated = tls
                                .get_ref()
                                .1
                                .peer_certificates()
                                .is_some_and(|c| !c.is_empty());
                            let _ = tx
                                .send((
                                    tls,
                                    PeerInfo {
                                        addr,
                                        authenticated,
                                    },
                                ))
                                .await;
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(peer = %addr, %error, "cluster-port handshake failed")
                        }
                        Err(_) => tracing::debug!(peer = %addr, "cluster-port handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local, ready })
    }
}

impl Listener for ClusterListener {
    type Io = TlsStream<TcpStream>;
    type Addr = PeerInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(PeerInfo {
            addr: self.local,
            authenticated: false,
        })
    }
}

/// Every cluster-port route.
pub(crate) fn router(node: Arc<Node>) -> Router {
    let members_only = Router::new()
        .merge(coffer_peer::raft_router(node.cluster.clone()))
        .route("/node/leader-action", post(leader_action))
        .route("/node/removed", post(removed))
        .route("/join/complete", post(join::complete))
        .with_state(node.clone())
        .layer(axum::middleware::from_fn(require_member));
    let open = Router::new()
        .route("/join/cluster-info", get(join::cluster_info))
        .route("/join/request", post(join::request))
        .with_state(node);
    members_only.merge(open)
}

/// Refuses connections without a node certificate.
async fn require_member(
    ConnectInfo(peer): ConnectInfo<PeerInfo>,
    request: Request,
    next: Next,
) -> Response {
    if !peer.authenticated {
        tracing::warn!(peer = %peer.addr, path = %request.uri().path(), "cluster-port request without a node certificate refused");
        return (
            StatusCode::FORBIDDEN,
            "a node certificate from the cluster CA is required",
        )
            .into_response();
    }
    next.run(request).await
}

async fn leader_action(
    State(node): State<Arc<Node>>,
    Json(action): Json<LeaderAction>,
) -> Json<Result<serde_json::Value, coffer_admin::AdminError>> {
    Json(membership::run_on_leader(&node, action).await)
}

async fn removed(State(node): State<Arc<Node>>) -> StatusCode {
    membership::mark_removed(&node);
    StatusCode::NO_CONTENT
}
