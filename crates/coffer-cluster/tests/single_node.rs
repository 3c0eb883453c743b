//! A one-voter cluster on a real store file: proposals, refusals, restart.

#![allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

use coffer_cluster::{Cluster, ClusterError, Role};
use coffer_core::{
    Account, AccountId, ApplyError, Command, Creator, Group, GroupId, UnixTime, UserId,
};
use coffer_store::Store;
use std::path::Path;

const T0: UnixTime = UnixTime(1_700_000_000);
const ACCOUNT: AccountId = AccountId::from_u128(1);
const ADDR: &str = "127.0.0.1:4444";

fn group(id: u128, name: &str) -> Group {
    Group {
        id: GroupId::from_u128(id),
        account: ACCOUNT,
        name: name.into(),
        description: None,
        created_at: T0,
        creator: Creator::User(UserId::from_u128(99)),
    }
}

async fn start(path: &Path) -> Cluster {
    let store = Store::open(path).expect("store opens");
    Cluster::start_single(store, 1, ADDR.to_owned())
        .await
        .expect("single node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_node_applies_proposals_and_keeps_them_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.redb");

    tracing::info!("--- start a new single-node cluster");
    let cluster = start(&path).await;
    let metrics = cluster.metrics();
    assert_eq!(
        (metrics.id, metrics.role, metrics.leader),
        (1, Role::Leader, Some(1))
    );
    assert_eq!(metrics.voters, vec![1]);

    tracing::info!("--- proposals are applied before they are acknowledged");
    let account = Account::new(ACCOUNT, "payments", T0);
    assert_eq!(
        cluster
            .propose(Command::CreateAccount(account))
            .await
            .expect("proposed"),
        Ok(())
    );
    assert_eq!(
        cluster
            .propose(Command::CreateGroup(group(2, "main")))
            .await
            .expect("proposed"),
        Ok(())
    );
    assert_eq!(
        cluster
            .state()
            .read()
            .account(ACCOUNT)
            .map(|a| a.name.clone()),
        Some("payments".to_owned())
    );
    assert!(
        cluster
            .state()
            .read()
            .group(GroupId::from_u128(2))
            .is_some()
    );

    tracing::info!("--- a refused command returns the refusal and changes nothing");
    let before = cluster.state().read().clone();
    let applied_before = cluster.state().last_applied();
    let duplicate = Account::new(AccountId::from_u128(5), "payments", T0);
    let refusal = cluster
        .propose(Command::CreateAccount(duplicate))
        .await
        .expect("proposed");
    assert!(
        matches!(refusal, Err(ApplyError::NameTaken { .. })),
        "got {refusal:?}"
    );
    assert_eq!(*cluster.state().read(), before);
    assert!(
        cluster.state().last_applied() > applied_before,
        "the refused entry still advances the applied log"
    );

    tracing::info!("--- restart on the same file");
    cluster.shutdown().await.expect("shutdown");
    drop(cluster);
    let cluster = start(&path).await;
    assert_eq!(*cluster.state().read(), before);
    assert_eq!(cluster.metrics().role, Role::Leader);

    tracing::info!("--- new proposals still work after the restart");
    assert_eq!(
        cluster
            .propose(Command::CreateGroup(group(3, "spare")))
            .await
            .expect("proposed"),
        Ok(())
    );
    assert!(
        cluster
            .state()
            .read()
            .group(GroupId::from_u128(3))
            .is_some()
    );
    cluster
        .ensure_linearizable()
        .await
        .expect("linearizable read");

    tracing::info!("--- node-local tables are reachable through the cluster");
    cluster
        .store()
        .node_local()
        .put("identity", b"node-1")
        .expect("node-local write");
    assert_eq!(
        cluster.store().node_local().get("identity").expect("read"),
        Some(b"node-1".to_vec())
    );

    cluster.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposals_after_shutdown_fail_with_shutdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = start(&dir.path().join("node.redb")).await;
    cluster.shutdown().await.expect("shutdown");
    let account = Account::new(ACCOUNT, "payments", T0);
    assert!(matches!(
        cluster.propose(Command::CreateAccount(account)).await,
        Err(ClusterError::Shutdown)
    ));
}
