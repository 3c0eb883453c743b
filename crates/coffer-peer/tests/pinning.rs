//! Both ends of the cluster port know a peer by its pinned certificate key: the client refuses
//! a server whose certificate holds another key, the server refuses a client that is no member.

#![allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

mod support;

use coffer_cluster::{PeerError, PeerMethod, PeerRequest, PeerTransport};
use coffer_peer::HttpsTransport;
use std::time::Duration;
use support::{TestNode, TestPki, init_tracing};

fn ping() -> PeerRequest<'static> {
    PeerRequest {
        method: PeerMethod::Get,
        path: "/cluster/ping",
        body: Vec::new(),
        timeout: Duration::from_secs(10),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_end_refuses_a_certificate_without_the_pinned_key() {
    init_tracing();
    let pki = TestPki::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut node1 = TestNode::new(&pki, dir.path(), 1).await;
    node1.start(true).await;

    // Same CA, same name as node 1, another key: what a removed node could mint.
    let impostor = pki.node("node-1", std::net::Ipv4Addr::LOCALHOST.into());
    let as_impostor = HttpsTransport::new(&impostor.client);
    let as_member = HttpsTransport::new(&node1.client_tls());

    let refused = as_impostor
        .call(&node1.info, ping())
        .await
        .expect_err("a client that is no member");
    assert!(
        matches!(&refused, PeerError::Status { status: 403, .. }),
        "{refused:?}"
    );
    as_member
        .call(&node1.info, ping())
        .await
        .expect("a member's ping is answered");

    let mut wrong_pin = node1.info.clone();
    wrong_pin.cert_key = hex::encode(impostor.key_id);
    let refused = as_member
        .call(&wrong_pin, ping())
        .await
        .expect_err("a server without the pinned key");
    assert!(
        format!("{refused:?}").contains("pins"),
        "the refusal names the pin: {refused:?}"
    );
    node1.stop().await;
}
