//! Three nodes on 127.0.0.1 talking mTLS: joining, forwarding, fail-over, catch-up, repair,
//! removal, and bounded failures without a quorum.

#![allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

mod support;

use coffer_cluster::{Cluster, ClusterError, MemberRole, Role};
use coffer_core::{Account, AccountId, ApplyError, Command, RecordKey, Table, UnixTime};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::{TestNode, TestPki, eventually, init_tracing};

const T0: UnixTime = UnixTime(1_700_000_000);

/// Generous bounds for a loaded two-core machine; the waits end as soon as the condition holds.
const CONVERGE: Duration = Duration::from_secs(20);

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

/// Starts node 1 as a new cluster and the others empty, then adds them as voters.
async fn form_cluster(pki: &TestPki, dir: &std::path::Path) -> Vec<TestNode> {
    let mut nodes = Vec::new();
    for id in 1..=3 {
        nodes.push(TestNode::new(pki, dir, id).await);
    }
    nodes[0].start(true).await;
    let admitter = nodes[0].admitter();
    for node in &mut nodes[1..] {
        node.start_joining(admitter).await;
    }
    for index in 1..3 {
        let (id, info) = (nodes[index].id, nodes[index].info.clone());
        nodes[0]
            .cluster()
            .add_voter(id, info)
            .await
            .expect("node joins");
    }
    nodes
}

/// The running node that leads, once every running node agrees on it.
async fn agreed_leader(nodes: &[TestNode], not: Option<u64>) -> u64 {
    eventually("the running nodes to agree on a leader", CONVERGE, || {
        let running: Vec<&TestNode> = nodes.iter().filter(|n| n.is_running()).collect();
        let leader = running[0].cluster().metrics().leader?;
        let agreed = running
            .iter()
            .all(|n| n.cluster().metrics().leader == Some(leader));
        let leads = running
            .iter()
            .any(|n| n.id == leader && n.cluster().is_leader());
        (agreed && leads && Some(leader) != not).then_some(leader)
    })
    .await
}

/// Waits until the running nodes have applied the same index with the same state digest.
async fn converged(nodes: &[TestNode]) -> u64 {
    eventually("the replicas to converge", CONVERGE, || {
        let digests: BTreeSet<(u64, [u8; 32])> = nodes
            .iter()
            .filter(|n| n.is_running())
            .map(|n| n.cluster().state_digest())
            .collect();
        if digests.len() == 1 {
            digests.into_iter().next().map(|(index, _)| index)
        } else {
            None
        }
    })
    .await
}

fn node(nodes: &[TestNode], id: u64) -> &Cluster {
    nodes
        .iter()
        .find(|n| n.id == id)
        .expect("node exists")
        .cluster()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_replicate_fail_over_catch_up_and_repair() {
    init_tracing();
    let pki = TestPki::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nodes = Vec::new();
    for id in 1..=3 {
        nodes.push(TestNode::new(&pki, dir.path(), id).await);
    }

    tracing::info!("--- node 1 creates the cluster and takes writes alone");
    nodes[0].start(true).await;
    let n1 = nodes[0].cluster().clone();
    assert!(n1.is_leader());
    assert!(n1.is_serving(), "a lone voter holds the lease");
    for n in 1..=5 {
        assert_eq!(
            n1.propose_anywhere(account(n)).await.expect("written"),
            Ok(())
        );
    }
    let compacted = n1
        .compact_log()
        .await
        .expect("compacted")
        .expect("something applied");

    tracing::info!("--- nodes 2 and 3 start empty; one membership change at a time");
    let admitter = nodes[0].admitter();
    nodes[1].start_joining(admitter).await;
    nodes[2].start_joining(admitter).await;
    assert!(!nodes[1].cluster().is_serving(), "no leader contact yet");
    let (info2, info3) = (nodes[1].info.clone(), nodes[2].info.clone());
    let change = n1.try_begin_membership_change().expect("first change");
    assert!(matches!(
        n1.try_begin_membership_change(),
        Err(ClusterError::MembershipChangeInProgress)
    ));
    assert!(matches!(
        n1.add_voter(3, info3.clone()).await,
        Err(ClusterError::MembershipChangeInProgress)
    ));
    change
        .add_voter(2, info2.clone())
        .await
        .expect("node 2 joins");
    drop(change);
    let (first, second) = tokio::join!(
        n1.add_voter(3, info3.clone()),
        n1.add_voter(3, info3.clone())
    );
    assert!(first.is_ok(), "first join: {first:?}");
    assert!(
        matches!(second, Err(ClusterError::MembershipChangeInProgress)),
        "a concurrent join is refused: {second:?}"
    );
    let members = n1.members();
    assert_eq!(
        members
            .iter()
            .map(|(id, info, role)| (*id, info.name.as_str(), *role))
            .collect::<Vec<_>>(),
        vec![
            (1, "node-1", MemberRole::Voter),
            (2, "node-2", MemberRole::Voter),
            (3, "node-3", MemberRole::Voter),
        ]
    );
    assert_eq!(n1.next_node_id(), 4);
    let n2 = nodes[1].cluster().clone();
    let n3 = nodes[2].cluster().clone();
    assert!(
        n2.metrics().snapshot_index >= Some(compacted),
        "node 2 joined through the leader's snapshot"
    );
    assert!((1..=5).all(|n| has_account(&n2, n) && has_account(&n3, n)));

    tracing::info!("--- writes through the leader and through followers");
    assert_eq!(
        n1.propose_anywhere(account(6)).await.expect("written"),
        Ok(())
    );
    assert_eq!(
        n2.propose_anywhere(account(7)).await.expect("forwarded"),
        Ok(())
    );
    assert!(
        has_account(&n2, 7),
        "a follower reads its own write at once"
    );
    assert_eq!(
        n3.propose_anywhere(account(8)).await.expect("forwarded"),
        Ok(())
    );
    assert!(
        has_account(&n3, 8),
        "a follower reads its own write at once"
    );
    let duplicate = Command::CreateAccount(Account::new(AccountId::from_u128(99), "account-1", T0));
    let refusal = n3.propose_anywhere(duplicate).await.expect("forwarded");
    assert!(
        matches!(refusal, Err(ApplyError::NameTaken { .. })),
        "got {refusal:?}"
    );
    assert!(matches!(
        n2.propose(account(50)).await,
        Err(ClusterError::NotLeader {
            leader_id: Some(1),
            ..
        })
    ));
    let mut acknowledged: Vec<u128> = (1..=8).collect();

    tracing::info!("--- replicas agree; status, digests, pings, leases");
    let index = converged(&nodes).await;
    let (peer_index, peer_digest) = n1.peer_digest(2).await.expect("digest of node 2");
    assert_eq!((peer_index, peer_digest), n2.state_digest());
    assert_eq!(peer_index, index);
    let ping = n1
        .peer_ping(&info2.cluster_addr)
        .await
        .expect("ping node 2");
    assert_eq!(ping.node_id, 2);
    assert!(ping.clock_offset_ms.abs() < 1000, "same clock: {ping:?}");
    assert!(ping.round_trip < Duration::from_secs(5));
    let named = n2
        .peer_ping_named("node-3", &info3.cluster_addr)
        .await
        .expect("ping by name");
    assert_eq!(named.node_id, 3);
    assert!(
        n2.peer_ping_named("node-1", &info3.cluster_addr)
            .await
            .is_err(),
        "a certificate for another name is refused"
    );
    eventually("every node to hold the lease", CONVERGE, || {
        nodes.iter().all(|n| n.cluster().is_serving()).then_some(())
    })
    .await;
    let status = n1.status();
    assert_eq!((status.role, status.leader), (Role::Leader, Some(1)));
    assert!(status.lease_valid);
    assert_eq!(status.members.len(), 3);
    assert!(
        status
            .members
            .iter()
            .all(|m| m.matched_index.is_some() && m.lag.is_some() && m.last_contact.is_some())
    );
    let connections = nodes[1].connections_accepted();
    assert!(
        connections <= 3,
        "RPCs to node 2 reuse their connections ({connections} accepted)"
    );
    let follower_view = n3.status();
    assert_eq!(
        (follower_view.role, follower_view.leader),
        (Role::Follower, Some(1))
    );
    assert!(
        follower_view
            .members
            .iter()
            .all(|m| m.matched_index.is_none())
    );
    assert_eq!(follower_view.applied_index, Some(index));

    tracing::info!("--- the leader goes down; the survivors elect a new one and take writes");
    nodes[0].stop().await;
    drop(n1);
    let leader = agreed_leader(&nodes, Some(1)).await;
    tracing::info!(leader, "--- new leader");
    for n in 9..=12u128 {
        let through = if n % 2 == 0 { &n2 } else { &n3 };
        assert_eq!(
            through.propose_anywhere(account(n)).await.expect("written"),
            Ok(())
        );
        assert!(has_account(through, n));
        acknowledged.push(n);
    }
    converged(&nodes).await;
    for survivor in [&n2, &n3] {
        for n in &acknowledged {
            assert!(
                has_account(survivor, *n),
                "acknowledged write {n} is on every survivor"
            );
        }
    }

    tracing::info!("--- the old leader restarts from its store and catches up");
    nodes[0].start(true).await;
    converged(&nodes).await;
    let n1 = nodes[0].cluster().clone();
    for n in &acknowledged {
        assert!(has_account(&n1, *n), "write {n} reached the restarted node");
    }
    let leader = agreed_leader(&nodes, None).await;
    let leading = node(&nodes, leader).clone();
    assert_eq!(
        n1.propose_anywhere(account(13)).await.expect("written"),
        Ok(())
    );
    acknowledged.push(13);

    tracing::info!("--- the leader re-syncs a follower from its snapshot");
    let follower = [1, 2, 3]
        .into_iter()
        .find(|id| *id != leader)
        .expect("a follower");
    leading.resync(follower).await.expect("resync");
    converged(&nodes).await;
    assert!(matches!(
        node(&nodes, follower).resync(leader).await,
        Err(ClusterError::NotLeader { .. })
    ));

    tracing::info!("--- a follower is removed; the other two keep serving");
    leading.remove_node(follower).await.expect("removed");
    assert_eq!(leading.members().len(), 2);
    assert!(matches!(
        leading.remove_node(follower).await,
        Err(ClusterError::UnknownNode { .. })
    ));
    let index = nodes
        .iter()
        .position(|n| n.id == follower)
        .expect("node exists");
    nodes[index].stop().await;
    let remaining = [1, 2, 3]
        .into_iter()
        .find(|id| *id != leader && *id != follower)
        .expect("the other node");
    assert_eq!(
        node(&nodes, remaining)
            .propose_anywhere(account(14))
            .await
            .expect("written"),
        Ok(())
    );
    acknowledged.push(14);
    converged(&nodes).await;
    for n in &acknowledged {
        assert!(has_account(&leading, *n));
    }

    drop((n1, n2, n3, leading));
    for node in &mut nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_whose_state_diverged_is_rebuilt_from_the_leaders_snapshot() {
    init_tracing();
    let pki = TestPki::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nodes = form_cluster(&pki, dir.path()).await;
    for n in 1..=4 {
        assert_eq!(
            nodes[0]
                .cluster()
                .propose_anywhere(account(n))
                .await
                .expect("written"),
            Ok(())
        );
    }
    let index = converged(&nodes).await;

    tracing::info!("--- node 3 loses a record behind Raft's back");
    nodes[2].stop().await;
    {
        let db = redb::Database::create(nodes[2].path()).expect("raw open");
        let txn = db.begin_write().expect("write");
        let records: redb::TableDefinition<&[u8; 17], &[u8]> =
            redb::TableDefinition::new("records");
        let key = RecordKey::new(Table::Accounts, AccountId::from_u128(2).uuid()).to_bytes();
        let removed = txn
            .open_table(records)
            .expect("records table")
            .remove(&key)
            .expect("remove")
            .is_some();
        assert!(removed);
        txn.commit().expect("commit");
    }
    nodes[2].start(false).await;
    let n3 = nodes[2].cluster().clone();
    assert!(!has_account(&n3, 2));
    let (diverged_index, diverged) = n3.state_digest();
    assert_eq!(diverged_index, index);
    assert_ne!(diverged, nodes[0].cluster().state_digest().1);

    tracing::info!("--- the leader finds it and re-syncs it");
    let leader = nodes[0].cluster().clone();
    assert_ne!(
        leader.peer_digest(3).await.expect("digest"),
        leader.state_digest()
    );
    leader.resync(3).await.expect("resync");
    assert!(has_account(&n3, 2));
    converged(&nodes).await;
    assert_eq!(
        leader.peer_digest(3).await.expect("digest"),
        leader.state_digest()
    );
    assert_eq!(
        n3.propose_anywhere(account(5)).await.expect("written"),
        Ok(())
    );
    converged(&nodes).await;

    drop((n3, leader));
    for node in &mut nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_port_speaking_only_http1_works_with_kept_alive_connections() {
    init_tracing();
    let pki = TestPki::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nodes = Vec::new();
    for id in 1..=2 {
        nodes.push(TestNode::with_alpn(&pki, dir.path(), id, &[b"http/1.1"]).await);
    }
    nodes[0].start(true).await;
    let admitter = nodes[0].admitter();
    nodes[1].start_joining(admitter).await;
    let info = nodes[1].info.clone();
    nodes[0]
        .cluster()
        .add_voter(2, info)
        .await
        .expect("node 2 joins");
    for n in 1..=5 {
        let through = nodes[(n % 2) as usize].cluster();
        assert_eq!(
            through.propose_anywhere(account(n)).await.expect("written"),
            Ok(())
        );
        assert!(has_account(through, n));
    }
    converged(&nodes).await;
    let connections = nodes[1].connections_accepted();
    assert!(
        connections <= 4,
        "HTTP/1.1 connections are kept and reused ({connections} accepted)"
    );
    for node in &mut nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_without_a_quorum_fails_writes_quickly_and_stops_serving() {
    init_tracing();
    let pki = TestPki::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nodes = form_cluster(&pki, dir.path()).await;
    assert_eq!(
        nodes[2]
            .cluster()
            .propose_anywhere(account(1))
            .await
            .expect("written"),
        Ok(())
    );

    tracing::info!("--- the leader and one follower go down");
    nodes[0].stop().await;
    nodes[1].stop().await;
    let survivor = nodes[2].cluster().clone();
    let started = Instant::now();
    let result = survivor.propose_anywhere(account(2)).await;
    let took = started.elapsed();
    assert!(result.is_err(), "no quorum, no write: {result:?}");
    assert!(took < Duration::from_secs(10), "failed after {took:?}");
    eventually("the survivor to stop serving", CONVERGE, || {
        (!survivor.is_serving()).then_some(())
    })
    .await;
    assert!(!survivor.lease_valid());
    assert!(!has_account(&survivor, 2));

    drop(survivor);
    for node in &mut nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_without_a_quorum_fails_writes_quickly_and_stops_serving() {
    init_tracing();
    let pki = TestPki::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nodes = form_cluster(&pki, dir.path()).await;
    let leader = nodes[0].cluster().clone();
    assert!(leader.is_leader());

    tracing::info!("--- both followers go down");
    nodes[1].stop().await;
    nodes[2].stop().await;
    let started = Instant::now();
    let result = leader.propose_anywhere(account(1)).await;
    let took = started.elapsed();
    assert!(
        matches!(result, Err(ClusterError::WriteTimedOut { .. })),
        "no quorum, no confirmed write: {result:?}"
    );
    assert!(took < Duration::from_secs(10), "failed after {took:?}");
    eventually("the leader to lose its lease", CONVERGE, || {
        (!leader.is_serving()).then_some(())
    })
    .await;

    drop(leader);
    for node in &mut nodes {
        node.stop().await;
    }
}
