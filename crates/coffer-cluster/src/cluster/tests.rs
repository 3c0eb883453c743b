use super::*;
use coffer_core::{Account, AccountId, UnixTime};
use openraft::SnapshotPolicy;

const T0: UnixTime = UnixTime(1_700_000_000);

/// Snapshots every few entries and keeps no log behind them.
fn eager_snapshots() -> Config {
    Config {
        snapshot_policy: SnapshotPolicy::LogsSinceLast(3),
        max_in_snapshot_log_to_keep: 0,
        purge_batch_size: 1,
        ..raft_config()
    }
}

fn account(n: u128) -> Command {
    Command::CreateAccount(Account::new(
        AccountId::from_u128(n),
        format!("account-{n}"),
        T0,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_a_snapshot_and_a_purged_log_keeps_the_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.redb");

    tracing::info!("--- propose enough to snapshot and purge");
    let cluster = Cluster::start_single_with(
        eager_snapshots(),
        Store::open(&path).expect("store"),
        1,
        "a".into(),
    )
    .await
    .expect("starts");
    for n in 1..=10 {
        assert_eq!(cluster.propose(account(n)).await.expect("proposed"), Ok(()));
    }
    let last = cluster.metrics().last_applied.expect("applied");
    let metrics = cluster
        .raft
        .wait(Some(Duration::from_secs(10)))
        .metrics(
            |m| m.purged.is_some() && m.snapshot.is_some_and(|s| s.index + 3 > last),
            "snapshot and purge",
        )
        .await
        .expect("snapshot built and log purged");
    tracing::info!(snapshot = ?metrics.snapshot, purged = ?metrics.purged, "--- snapshot taken");
    let before = cluster.state().read().clone();
    cluster.shutdown().await.expect("shutdown");
    drop(cluster);

    tracing::info!("--- restart with the default settings");
    let cluster = Cluster::start_single(Store::open(&path).expect("store reopens"), 1, "a".into())
        .await
        .expect("restarts");
    assert_eq!(*cluster.state().read(), before);
    assert_eq!(
        cluster.propose(account(11)).await.expect("proposed"),
        Ok(())
    );
    assert_eq!(cluster.state().read().accounts().count(), 11);
    cluster.shutdown().await.expect("shutdown");
}
