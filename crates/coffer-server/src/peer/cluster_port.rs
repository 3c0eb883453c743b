//! The cluster port: node-to-node traffic over TLS with the cluster CA.
//!
//! Peers present their node certificates (mutual TLS), and each route admits callers by the
//! key of that certificate, pinned in the membership, never by the CA's signature alone:
//!
//! | route                                   | who may call                                   |
//! |-----------------------------------------|------------------------------------------------|
//! | `/raft/*`, `/cluster/*`                 | see `coffer_cluster::PeerRoute::callers`       |
//! | `POST /node/leader-action`              | any member (a command run on the leader)       |
//! | `POST /node/removed`                    | the current leader                             |
//! | `POST /node/master-key`                 | the current leader (a rotation's new key)      |
//! | `POST /node/master-key-versions`        | the current leader                             |
//! | `POST /node/settings-taken-up`          | any member (a `deploy` asking when it applied) |
//! | `POST /join/complete`                   | a member relaying it, or the pending joiner    |
//! | `GET /join/cluster-info`, `POST /join/request` | anyone: the join token authenticates   |

use super::join;
use super::refusal::Refusal;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{IncomingStream, Listener};
use axum::{Json, Router};
use coffer_node::Node;
use coffer_node::master_keys;
use coffer_node::membership::{self, LeaderAction};
use coffer_node::peer_access::{self, NodeRouteCallers};
use coffer_peer::PresentedKey;
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
    /// The key of the certificate it presented (one from the cluster CA), if any.
    pub(crate) key: Option<PresentedKey>,
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
                            let key = PresentedKey::of(tls.get_ref().1);
                            let _ = tx.send((tls, PeerInfo { addr, key })).await;
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
            key: None,
        })
    }
}

/// Every cluster-port route, each with the callers it admits (see the module's table).
pub(crate) fn router(node: Arc<Node>) -> Router {
    let only = |callers| axum::middleware::from_fn_with_state((node.clone(), callers), admit);
    Router::new()
        .merge(coffer_peer::raft_router(node.cluster.clone()))
        .route(
            "/node/leader-action",
            post(leader_action).route_layer(only(NodeRouteCallers::AnyMember)),
        )
        .route(
            "/node/removed",
            post(removed).route_layer(only(NodeRouteCallers::Leader)),
        )
        .route(
            master_keys::OFFER_ROUTE,
            post(take_master_key).route_layer(only(NodeRouteCallers::Leader)),
        )
        .route(
            master_keys::HELD_ROUTE,
            post(held_master_keys).route_layer(only(NodeRouteCallers::Leader)),
        )
        .route(
            coffer_node::config::TAKE_UP_ROUTE,
            post(settings_taken_up).route_layer(only(NodeRouteCallers::AnyMember)),
        )
        .route(
            "/join/complete",
            post(join::complete).route_layer(only(NodeRouteCallers::MemberOrJoiner)),
        )
        .route("/join/cluster-info", get(join::cluster_info))
        .route("/join/request", post(join::request))
        .with_state(node)
        .layer(axum::middleware::from_fn(pass_on_key))
        .layer(axum::middleware::from_fn(
            crate::http::early_answer::drain_unread_body,
        ))
}

/// Hands the presented certificate's key to the routes, as `coffer_peer::raft_router` expects.
async fn pass_on_key(
    ConnectInfo(peer): ConnectInfo<PeerInfo>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(key) = peer.key {
        request.extensions_mut().insert(key);
    }
    next.run(request).await
}

/// Lets through only the callers `callers` admits.
async fn admit(
    State((node, callers)): State<(Arc<Node>, NodeRouteCallers)>,
    ConnectInfo(peer): ConnectInfo<PeerInfo>,
    request: Request,
    next: Next,
) -> Response {
    let presented = peer.key.as_ref().map(|PresentedKey(key)| key);
    match peer_access::authorize(&node, callers, presented) {
        Ok(_) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(peer = %peer.addr, path = %request.uri().path(), %refusal, "cluster-port request refused");
            Refusal::from(refusal).into_response()
        }
    }
}

async fn leader_action(
    State(node): State<Arc<Node>>,
    Json(action): Json<LeaderAction>,
) -> Json<Result<serde_json::Value, coffer_admin::AdminError>> {
    Json(membership::run_on_leader(&node, action).await)
}

/// A new master key from the leader during a rotation. The body is read, used and wiped here.
async fn take_master_key(State(node): State<Arc<Node>>, body: axum::body::Bytes) -> Response {
    let body = zeroize::Zeroizing::new(body.to_vec());
    let offer: master_keys::MasterKeyOffer = match serde_json::from_slice(&body) {
        Ok(offer) => offer,
        Err(_) => return (StatusCode::BAD_REQUEST, "not a master key offer").into_response(),
    };
    match master_keys::accept_offer(&node, &offer) {
        Ok(held) => Json(held).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

async fn settings_taken_up(
    State(node): State<Arc<Node>>,
    Json(question): Json<coffer_node::config::TakeUpQuestion>,
) -> Json<coffer_node::config::TakeUpAnswer> {
    Json(coffer_node::config::taken_up(node.settings.clone(), question).await)
}

async fn held_master_keys(State(node): State<Arc<Node>>) -> Json<master_keys::HeldVersions> {
    Json(master_keys::held(&node))
}

async fn removed(State(node): State<Arc<Node>>) -> StatusCode {
    membership::mark_removed(&node);
    StatusCode::NO_CONTENT
}
