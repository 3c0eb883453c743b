//! Two nodes in one process, joined by a `PeerTransport` that calls the other node's
//! `Cluster::answer_peer` directly: the cluster needs nothing from a network but that seam.

#![allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

use coffer_cluster::{
    Cluster, NodeInfo, PeerError, PeerMethod, PeerRequest, PeerRoute, PeerTransport,
};
use coffer_core::{Account, AccountId, Command, UnixTime};
use coffer_store::Store;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const T0: UnixTime = UnixTime(1_700_000_000);

/// Delivers each request to the node registered under the peer's cluster address.
#[derive(Debug, Default)]
struct Loopback {
    nodes: Mutex<HashMap<String, Cluster>>,
}

impl Loopback {
    fn register(&self, cluster: &Cluster) {
        self.nodes
            .lock()
            .expect("not poisoned")
            .insert(cluster.me().cluster_addr.clone(), cluster.clone());
    }
}

impl PeerTransport for Loopback {
    fn call<'a>(
        &'a self,
        peer: &'a NodeInfo,
        request: PeerRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, PeerError>> + Send + 'a>> {
        Box::pin(async move {
            let target = self
                .nodes
                .lock()
                .expect("not poisoned")
                .get(&peer.cluster_addr)
                .cloned();
            let Some(target) = target else {
                let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
                return Err(PeerError::Connect(Box::new(refused)));
            };
            let route = PeerRoute::ALL
                .into_iter()
                .find(|route| route.path() == request.path && route.method() == request.method)
                .ok_or(PeerError::Status {
                    status: 404,
                    body: String::new(),
                })?;
            if route.method() == PeerMethod::Get {
                assert!(request.body.is_empty(), "a GET carries no body");
            }
            target
                .answer_peer(route, &request.body)
                .await
                .map_err(|bad| PeerError::Status {
                    status: 400,
                    body: bad.message().to_owned(),
                })
        })
    }
}

fn account(n: u128) -> Command {
    Command::CreateAccount(Account::new(
        AccountId::from_u128(n),
        format!("account-{n}"),
        T0,
    ))
}

fn has_account(cluster: &Cluster, n: u128) -> bool {
    cluster
        .state()
        .read()
        .account(AccountId::from_u128(n))
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_replicate_and_forward_through_the_transport_seam() {
    let dir = tempfile::tempdir().expect("temp dir");
    let transport = Arc::new(Loopback::default());
    let info = |id: u64| NodeInfo::new(format!("node-{id}"), format!("peer-{id}"), "");
    let start = |id: u64, bootstrap: bool| {
        let store = Store::open(&dir.path().join(format!("node-{id}.redb"))).expect("store");
        let transport: Arc<dyn PeerTransport> = transport.clone();
        Cluster::start(store, id, info(id), transport, bootstrap)
    };

    let n1 = start(1, true).await.expect("node 1 starts");
    transport.register(&n1);
    assert_eq!(
        n1.propose_anywhere(account(1)).await.expect("written"),
        Ok(())
    );
    let n2 = start(2, false).await.expect("node 2 starts");
    transport.register(&n2);
    n1.add_voter(2, info(2)).await.expect("node 2 joins");

    assert_eq!(
        n2.propose_anywhere(account(2)).await.expect("forwarded"),
        Ok(())
    );
    assert!(has_account(&n2, 1) && has_account(&n2, 2));
    let deadline = Instant::now() + Duration::from_secs(10);
    while n1.state_digest() != n2.state_digest() {
        assert!(Instant::now() < deadline, "the replicas did not converge");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        n1.peer_digest(2).await.expect("digest of node 2"),
        n2.state_digest()
    );
    assert_eq!(n1.peer_ping("peer-2").await.expect("ping").node_id, 2);

    n2.shutdown().await.expect("shutdown");
    n1.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_decode_is_a_bad_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("node.redb")).expect("store");
    let cluster = Cluster::start_single(store, 1, "a".into())
        .await
        .expect("starts");
    for route in [PeerRoute::Append, PeerRoute::Vote, PeerRoute::Propose] {
        let refused = cluster
            .answer_peer(route, b"{not json")
            .await
            .expect_err("malformed");
        assert!(
            refused.message().contains(route.path()),
            "{route:?}: {refused}"
        );
    }
    let ping = cluster
        .answer_peer(PeerRoute::Ping, b"")
        .await
        .expect("ping answered");
    let ping: serde_json::Value = serde_json::from_slice(&ping).expect("JSON");
    assert_eq!(ping["node_id"], 1);
    cluster.shutdown().await.expect("shutdown");
}
