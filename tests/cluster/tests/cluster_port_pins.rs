//! The cluster port admits a peer by the certificate key pinned in the membership, not by the
//! cluster CA's signature: a removed node's own certificate, and a certificate minted with the
//! CA out of a stolen disk, open none of its routes.

use std::net::SocketAddrV4;

use anyhow::{Context, ensure};
use coffer_cluster_tests::{CLUSTER_PORT, ClientIdentity, StolenDisk, scenario};

/// Every route of the cluster port that needs a member, with a body it could take.
const MEMBER_ROUTES: [(&str, &str, &str); 13] = [
    (
        "POST",
        "/raft/append",
        r#"{"vote":{"leader_id":{"term":1,"node_id":1},"committed":true},"prev_log_id":null,"entries":[],"leader_commit":null}"#,
    ),
    (
        "POST",
        "/raft/vote",
        r#"{"vote":{"leader_id":{"term":99,"node_id":1},"committed":false},"last_log_id":null}"#,
    ),
    (
        "POST",
        "/raft/snapshot",
        r#"{"vote":{"leader_id":{"term":1,"node_id":1},"committed":true},"meta":{},"data":""}"#,
    ),
    ("POST", "/cluster/propose", r#"{"command":{}}"#),
    ("POST", "/cluster/resync", r#"{"meta":{},"data":""}"#),
    ("GET", "/cluster/digest", ""),
    ("GET", "/cluster/ping", ""),
    (
        "POST",
        "/node/leader-action",
        r#"{"remove":{"name":"node1"}}"#,
    ),
    ("POST", "/node/removed", ""),
    (
        "POST",
        "/node/master-key",
        r#"{"version":2,"key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}"#,
    ),
    ("POST", "/node/master-key-versions", ""),
    (
        "POST",
        "/node/settings-taken-up",
        r#"{"config_sha256":"00"}"#,
    ),
    (
        "POST",
        "/join/complete",
        r#"{"node_id":3,"name":"node3","cluster_addr":"","api_addr":""}"#,
    ),
];

fn refused_everywhere(
    who: &str,
    identity: &ClientIdentity,
    at: SocketAddrV4,
) -> anyhow::Result<()> {
    for (method, path, body) in MEMBER_ROUTES {
        let status = identity.status(at, method, path, body)?;
        ensure!(
            status == Some(403),
            "{who}: {method} {path} on {at} answered {status:?}, not 403"
        );
    }
    Ok(())
}

#[test]
fn removed_and_minted_certificates_open_no_cluster_port_route() {
    scenario("127.18.0", |cluster| {
        cluster.form(3)?;
        let ips: Vec<_> = (1..=9).map(|n| cluster.ip(n)).collect();
        let port = |n: usize| SocketAddrV4::new(ips[n - 1], CLUSTER_PORT);

        eprintln!("--- take node3's disk while it is stopped, then bring it back");
        cluster.node_mut(3).stop()?;
        let stolen =
            StolenDisk::take(cluster.node(3).data_dir()).context("stealing node3's disk")?;
        cluster.node_mut(3).start_again()?;
        let all = cluster.names(1..=3);
        for number in 1..=3 {
            cluster.wait_healthy_voters(number, &all)?;
        }

        eprintln!("--- as a member, node3's certificate is taken");
        for number in 1..=2 {
            let status = stolen
                .node()
                .status(port(number), "GET", "/cluster/ping", "")?;
            ensure!(
                status == Some(200),
                "node3's ping on node{number}: {status:?}"
            );
        }

        eprintln!("--- a certificate the CA signs for a node that never joined opens nothing");
        let minted = stolen.mint("node9", port(9))?;
        for number in 1..=3 {
            refused_everywhere("a minted node9", &minted, port(number))?;
        }
        let impostor = stolen.mint("node3", port(3))?;
        refused_everywhere("a second certificate for node3's name", &impostor, port(1))?;

        eprintln!("--- remove node3: its certificate is refused by every route at once");
        cluster
            .node(1)
            .cli(&["remove", "--node", "node3", "--force"])?
            .ok()?;
        for number in 1..=2 {
            cluster.wait_healthy_voters(number, &["node1", "node2"])?;
        }
        for number in 1..=2 {
            refused_everywhere("removed node3", stolen.node(), port(number))?;
        }

        eprintln!("--- none of it changed the cluster");
        for number in 1..=2 {
            cluster.wait_healthy_voters(number, &["node1", "node2"])?;
            ensure!(cluster.node(number).is_healthy(), "node{number} serves");
        }
        Ok(())
    });
}
