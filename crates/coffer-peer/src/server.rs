//! The server side of the cluster port: [`raft_router`], the [`PeerRoute`]s served with axum,
//! each answered by [`Cluster::answer_peer`].

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use coffer_cluster::{Cluster, PeerMethod, PeerRoute};

/// The cluster port's routes for `cluster`, one per [`PeerRoute`] (the table is there), each
/// with the route's body limit. An answer is HTTP 200 with the JSON body; a request
/// [`Cluster::answer_peer`] could not take is HTTP 400 with the reason as text.
///
/// Serve it only on the cluster port, behind TLS that requires a client certificate issued by
/// the cluster CA: the routes trust their caller completely.
///
/// The router needs no state from the caller; it is generic over the state type `S` so it can
/// be merged into the daemon's own cluster-port router before that one's `with_state`.
pub fn raft_router<S>(cluster: Cluster) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut router = Router::new();
    for route in PeerRoute::ALL {
        let handler =
            move |State(cluster): State<Cluster>, body: Bytes| answer(cluster, route, body);
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

async fn answer(cluster: Cluster, route: PeerRoute, body: Bytes) -> Response {
    match cluster.answer_peer(route, &body).await {
        Ok(answer) => ([(header::CONTENT_TYPE, "application/json")], answer).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, error.message().to_owned()).into_response(),
    }
}
