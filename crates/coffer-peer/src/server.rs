//! The server side of the cluster port: [`raft_router`], the [`PeerRoute`]s served with axum,
//! each answered by [`Cluster::answer_peer`].

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};
use coffer_cluster::{Cluster, PeerMethod, PeerRoute};

/// The key of the client certificate a cluster-port connection presented: what
/// [`raft_router`] knows its caller by. The server puts it into every request of the connection
/// as an extension (`axum::Extension`); a request without it is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresentedKey(pub [u8; 32]);

impl PresentedKey {
    /// The key of the leaf certificate the client of `connection` presented, if it presented
    /// one that parses.
    pub fn of(connection: &rustls::ServerConnection) -> Option<Self> {
        let leaf = connection.peer_certificates()?.first()?;
        coffer_crypto::certificate_key_id(leaf).ok().map(Self)
    }
}

/// The cluster port's routes for `cluster`, one per [`PeerRoute`] (the table is there), each
/// with the route's body limit. An answer is HTTP 200 with the JSON body; a request
/// [`Cluster::answer_peer`] did not take is answered with the refusal's status (400 for a
/// malformed body, 403 for a caller the route refuses) and its reason as text.
///
/// Serve it only on the cluster port, behind TLS that requires a client certificate and puts
/// its [`PresentedKey`] into each request: [`Cluster::answer_peer`] knows the caller by it.
///
/// The router needs no state from the caller; it is generic over the state type `S` so it can
/// be merged into the daemon's own cluster-port router before that one's `with_state`.
pub fn raft_router<S>(cluster: Cluster) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut router = Router::new();
    for route in PeerRoute::ALL {
        let handler = move |State(cluster): State<Cluster>,
                            presented: Option<Extension<PresentedKey>>,
                            body: Bytes| {
            answer(cluster, route, presented.map(|Extension(key)| key), body)
        };
        let method: MethodRouter<Cluster> = match route.method() {
            PeerMethod::Get => get(handler),
            PeerMethod::Post => post(handler),
        };
        router = router.route(
            route.path(),
            method.layer(DefaultBodyLimit::max(route.body_limit())),
        );
    }
    router.with_state(cluster)
}

async fn answer(
    cluster: Cluster,
    route: PeerRoute,
    presented: Option<PresentedKey>,
    body: Bytes,
) -> Response {
    let Some(PresentedKey(key)) = presented else {
        return (
            StatusCode::FORBIDDEN,
            "a node certificate is required on the cluster port",
        )
            .into_response();
    };
    match cluster.answer_peer(route, &key, &body).await {
        Ok(answer) => ([(header::CONTENT_TYPE, "application/json")], answer).into_response(),
        Err(refusal) => {
            tracing::warn!(route = route.path(), %refusal, "cluster-port request refused");
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, refusal.message().to_owned()).into_response()
        }
    }
}
