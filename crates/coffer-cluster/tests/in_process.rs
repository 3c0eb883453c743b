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

/// One node's way into the [`Loopback`]: its requests arrive as if presenting the certificate
/// key `key`, as a TLS server would pass it on.
#[derive(Debug)]
struct From {
    net: Arc<Loopback>,
    key: [u8; 32],
}

/// The certificate key id of node `id` in these tests.
fn key_of(id: u64) -> [u8; 32] {
    [u8::try_from(id).expect("small ids"); 32]
}

impl Loopback {
    fn register(&self, cluster: &Cluster) {
        self.nodes
            .lock()
            .expect("not poisoned")
            .insert(cluster.me().cluster_addr.clone(), cluster.clone());
    }
}

impl PeerTransport for From {
    fn call<'a>(
        &'a self,
        peer: &'a NodeInfo,
        request: PeerRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, PeerError>> + Send + 'a>> {
        Box::pin(async move {
            let target = self
                .net
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
                .answer_peer(route, &self.key, &request.body)
                .await
                .map_err(|refusal| PeerError::Status {
                    status: refusal.status(),
                    body: refusal.message().to_owned(),
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
    let info = |id: u64| {
        NodeInfo::new(format!("node-{id}"), format!("peer-{id}"), "").with_cert_key(&key_of(id))
    };
    let start = |id: u64, bootstrap: bool| {
        let store = Store::open(&dir.path().join(format!("node-{id}.redb"))).expect("store");
        let transport: Arc<dyn PeerTransport> = Arc::new(From {
            net: transport.clone(),
            key: key_of(id),
        });
        Cluster::start(store, id, info(id), transport, bootstrap)
    };

    let n1 = start(1, true).await.expect("node 1 starts");
    transport.register(&n1);
    assert_eq!(
        n1.propose_anywhere(account(1)).await.expect("written"),
        Ok(())
    );
    let n2 = start(2, false).await.expect("node 2 starts");
    n2.admitted_by(1, key_of(1));
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

/// Node 1 alone, pinned to `key_of(1)`, its store in `dir`.
async fn lone_node(dir: &std::path::Path) -> Cluster {
    let store = Store::open(&dir.join("node.redb")).expect("store");
    let me = NodeInfo::new("node-1", "peer-1", "").with_cert_key(&key_of(1));
    let transport = Arc::new(From {
        net: Arc::default(),
        key: key_of(1),
    });
    Cluster::start(store, 1, me, transport, true)
        .await
        .expect("starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_decode_is_a_bad_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = lone_node(dir.path()).await;
    for route in [PeerRoute::Append, PeerRoute::Vote, PeerRoute::Propose] {
        let refused = cluster
            .answer_peer(route, &key_of(1), b"{not json")
            .await
            .expect_err("malformed");
        assert_eq!(refused.status(), 400, "{route:?}: {refused}");
        assert!(
            refused.message().contains(route.path()),
            "{route:?}: {refused}"
        );
    }
    let ping = cluster
        .answer_peer(PeerRoute::Ping, &key_of(1), b"")
        .await
        .expect("ping answered");
    let ping: serde_json::Value = serde_json::from_slice(&ping).expect("JSON");
    assert_eq!(ping["node_id"], 1);
    cluster.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_members_reach_the_routes_and_only_in_their_own_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = lone_node(dir.path()).await;
    // A key nobody was admitted with is refused on every route, before its body is read.
    for route in PeerRoute::ALL {
        let refused = cluster
            .answer_peer(route, &key_of(9), b"{not json")
            .await
            .expect_err("not a member");
        assert_eq!(refused.status(), 403, "{route:?}: {refused}");
    }
    // A member asking for a vote in another node's name is refused, and changes nothing.
    let before = cluster.metrics().term;
    let vote = serde_json::json!({
        "vote": {"leader_id": {"term": 99, "node_id": 7}, "committed": false},
        "last_log_id": null
    });
    let refused = cluster
        .answer_peer(PeerRoute::Vote, &key_of(1), vote.to_string().as_bytes())
        .await
        .expect_err("someone else's vote");
    assert_eq!(refused.status(), 403, "{refused}");
    assert_eq!(cluster.metrics().term, before);
    // In its own name the same request is answered.
    let own = serde_json::json!({
        "vote": {"leader_id": {"term": 99, "node_id": 1}, "committed": false},
        "last_log_id": null
    });
    cluster
        .answer_peer(PeerRoute::Vote, &key_of(1), own.to_string().as_bytes())
        .await
        .expect("answered");
    cluster.shutdown().await.expect("shutdown");
}
