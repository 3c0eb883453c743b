use super::*;
use crate::schema::{SCHEMA, SCHEMA_VERSION_KEY};
use crate::type_config::Entry;
use coffer_core::{
    Account, AccountId, ApplyError, Command, Creator, Group, GroupId, UnixTime, UserId,
};
use openraft::storage::RaftStateMachine;
use openraft::{CommittedLeaderId, EntryPayload, Membership, RaftSnapshotBuilder};
use std::collections::BTreeSet;

const T0: UnixTime = UnixTime(1_700_000_000);
const ACCOUNT: AccountId = AccountId::from_u128(1);

fn log_id(index: u64) -> crate::LogId {
    crate::LogId::new(CommittedLeaderId::new(1, 1), index)
}

fn entry(index: u64, payload: EntryPayload<crate::TypeConfig>) -> Entry {
    Entry {
        log_id: log_id(index),
        payload,
    }
}

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

/// A membership entry, an account with two groups, a refused duplicate, a deleted group.
fn history() -> Vec<Entry> {
    let voters = BTreeSet::from([1u64]);
    vec![
        entry(
            1,
            EntryPayload::Membership(Membership::new(vec![voters], None)),
        ),
        entry(2, EntryPayload::Blank),
        entry(
            3,
            EntryPayload::Normal(Command::CreateAccount(Account::new(
                ACCOUNT, "payments", T0,
            ))),
        ),
        entry(
            4,
            EntryPayload::Normal(Command::CreateGroup(group(2, "main"))),
        ),
        entry(
            5,
            EntryPayload::Normal(Command::CreateGroup(group(3, "spare"))),
        ),
        entry(
            6,
            EntryPayload::Normal(Command::CreateAccount(Account::new(
                AccountId::from_u128(7),
                "payments",
                T0,
            ))),
        ),
        entry(
            7,
            EntryPayload::Normal(Command::DeleteGroup(GroupId::from_u128(3))),
        ),
    ]
}

fn expected_state() -> State {
    let mut state = State::default();
    for entry in history() {
        if let EntryPayload::Normal(command) = entry.payload {
            state.apply(&command);
        }
    }
    state
}

#[tokio::test]
async fn restart_rebuilds_the_state_from_the_records_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.redb");

    tracing::info!("--- apply a history through the state machine");
    {
        let store = Store::open(&path).expect("store opens");
        let mut sm = store.state_machine();
        let responses = sm.apply(history()).await.expect("apply");
        let outcomes: Vec<_> = responses.into_iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes[..5], [Ok(()), Ok(()), Ok(()), Ok(()), Ok(())]);
        assert!(
            matches!(outcomes[5], Err(ApplyError::NameTaken { .. })),
            "duplicate name refused"
        );
        assert_eq!(outcomes[6], Ok(()));
        assert_eq!(*store.state().read(), expected_state());
    }

    tracing::info!("--- reopen: same state, same pointers, without the log");
    let store = Store::open(&path).expect("store reopens");
    assert_eq!(*store.state().read(), expected_state());
    assert_eq!(store.state().last_applied(), Some(log_id(7)));
    let (last_applied, membership) = store
        .state_machine()
        .applied_state()
        .await
        .expect("applied state");
    assert_eq!(last_applied, Some(log_id(7)));
    assert_eq!(membership.log_id(), &Some(log_id(1)));
    assert!(
        store.state().read().group(GroupId::from_u128(3)).is_none(),
        "deleted group stays deleted"
    );
}

#[tokio::test]
async fn an_installed_snapshot_replaces_the_state_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let leader = Store::open(&dir.path().join("leader.redb")).expect("leader store");
    let mut leader_sm = leader.state_machine();
    leader_sm.apply(history()).await.expect("apply");
    let snapshot = leader_sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .expect("build");
    assert_eq!(snapshot.meta.last_log_id, Some(log_id(7)));

    tracing::info!("--- a follower with other state installs it");
    let follower_path = dir.path().join("follower.redb");
    {
        let follower = Store::open(&follower_path).expect("follower store");
        let mut sm = follower.state_machine();
        let other = Account::new(AccountId::from_u128(50), "stale", T0);
        sm.apply(vec![entry(
            1,
            EntryPayload::Normal(Command::CreateAccount(other)),
        )])
        .await
        .expect("apply");
        sm.install_snapshot(&snapshot.meta, snapshot.snapshot.clone())
            .await
            .expect("install");
        assert_eq!(*follower.state().read(), expected_state());
        let current = sm
            .get_current_snapshot()
            .await
            .expect("read")
            .expect("current snapshot");
        assert_eq!(current.meta, snapshot.meta);
    }
    let follower = Store::open(&follower_path).expect("follower reopens");
    assert_eq!(*follower.state().read(), expected_state());
    assert_eq!(follower.state().last_applied(), Some(log_id(7)));
}

#[tokio::test]
async fn a_snapshot_that_disagrees_with_its_meta_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("node.redb")).expect("store opens");
    let mut sm = store.state_machine();
    sm.apply(history()).await.expect("apply");
    let snapshot = sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .expect("build");
    let mut meta = snapshot.meta.clone();
    meta.last_log_id = Some(log_id(9));
    assert!(sm.install_snapshot(&meta, snapshot.snapshot).await.is_err());
    assert_eq!(*store.state().read(), expected_state(), "nothing changed");
}

#[test]
fn a_file_with_an_unknown_schema_version_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.redb");
    drop(Store::open(&path).expect("store opens"));
    {
        let db = Database::create(&path).expect("raw open");
        let txn = db.begin_write().expect("write");
        txn.open_table(SCHEMA)
            .expect("schema table")
            .insert(SCHEMA_VERSION_KEY, 999)
            .expect("insert");
        txn.commit().expect("commit");
    }
    match Store::open(&path) {
        Err(StoreError::UnsupportedSchema {
            found: 999,
            supported,
            ..
        }) => {
            assert_eq!(supported, crate::SCHEMA_VERSION);
        }
        other => panic!("expected UnsupportedSchema, got {other:?}"),
    }
}

#[test]
fn a_foreign_redb_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("other.redb");
    {
        let db = Database::create(&path).expect("raw open");
        let txn = db.begin_write().expect("write");
        let table: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("things");
        txn.open_table(table)
            .expect("table")
            .insert("a", "b")
            .expect("insert");
        txn.commit().expect("commit");
    }
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::NotAStore { .. })
    ));
}

#[test]
fn a_file_held_by_another_store_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.redb");
    let _first = Store::open(&path).expect("store opens");
    assert!(matches!(Store::open(&path), Err(StoreError::Open { .. })));
}

#[test]
fn a_version_1_file_with_basic_node_membership_is_upgraded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.redb");
    drop(Store::open(&path).expect("store opens"));
    {
        let db = Database::create(&path).expect("raw open");
        let txn = db.begin_write().expect("write");
        txn.open_table(SCHEMA)
            .expect("schema table")
            .insert(SCHEMA_VERSION_KEY, 1)
            .expect("insert");
        let old_membership = br#"{"log_id":{"leader_id":{"term":1,"node_id":1},"index":1},"membership":{"configs":[[1]],"nodes":{"1":{"addr":"127.0.0.1:4444"}}}}"#;
        txn.open_table(crate::schema::SM_META)
            .expect("sm_meta")
            .insert(crate::schema::MEMBERSHIP, old_membership.as_slice())
            .expect("insert");
        txn.commit().expect("commit");
    }
    let store = Store::open(&path).expect("a version 1 file opens");
    let state = store.state();
    let guard = state.read();
    let node = guard
        .membership()
        .membership()
        .get_node(&1)
        .expect("node 1 is a member")
        .clone();
    assert_eq!(node, crate::NodeInfo::new("", "127.0.0.1:4444", ""));
    drop(guard);
    drop(store);
    let db = Database::create(&path).expect("raw open");
    let txn = db.begin_read().expect("read");
    let version = txn
        .open_table(SCHEMA)
        .expect("schema table")
        .get(SCHEMA_VERSION_KEY)
        .expect("get")
        .map(|v| v.value());
    assert_eq!(version, Some(crate::SCHEMA_VERSION));
}

#[tokio::test]
async fn a_reset_replica_keeps_only_the_node_local_tables() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.redb");
    let store = Store::open(&path).expect("store opens");
    store
        .node_local()
        .put("identity", b"node-1")
        .expect("write");
    {
        let mut sm = store.state_machine();
        sm.apply(history()).await.expect("apply");
        sm.get_snapshot_builder()
            .await
            .build_snapshot()
            .await
            .expect("build");
        assert!(matches!(
            store.reset_replica().await,
            Err(StoreError::RaftRunning { .. })
        ));
    }
    store.reset_replica().await.expect("reset");
    assert_eq!(*store.state().read(), State::default());
    assert_eq!(store.state().last_applied(), None);
    drop(store);

    let store = Store::open(&path).expect("store reopens");
    assert_eq!(*store.state().read(), State::default());
    let (last_applied, membership) = store
        .state_machine()
        .applied_state()
        .await
        .expect("applied state");
    assert_eq!(last_applied, None);
    assert_eq!(membership, crate::StoredMembership::default());
    assert!(
        store
            .state_machine()
            .get_current_snapshot()
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store.node_local().get("identity").expect("read"),
        Some(b"node-1".to_vec())
    );
}

/// Writes `entries` into the log table directly, as openraft's append would.
fn write_log(store: &Store, entries: &[Entry]) {
    let txn = store.db.begin_write().expect("write");
    {
        let mut log = txn.open_table(crate::schema::RAFT_LOG).expect("log table");
        for entry in entries {
            let bytes = serde_json::to_vec(entry).expect("entry encodes");
            log.insert(entry.log_id.index, bytes.as_slice())
                .expect("insert");
        }
    }
    txn.commit().expect("commit");
}

#[tokio::test]
async fn a_diverged_state_is_rebuilt_from_a_snapshot_and_the_local_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let leader = Store::open(&dir.path().join("leader.redb")).expect("leader store");
    let mut leader_sm = leader.state_machine();
    leader_sm.apply(history()).await.expect("apply");
    let snapshot = leader_sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .expect("build");

    tracing::info!("--- a follower applied entry 4 wrongly, then one more entry");
    let follower_path = dir.path().join("follower.redb");
    let follower = Store::open(&follower_path).expect("follower store");
    let extra = entry(
        8,
        EntryPayload::Normal(Command::CreateGroup(group(9, "late"))),
    );
    let mut log = history();
    log.push(extra.clone());
    write_log(&follower, &log);
    let mut wrong = history();
    wrong[3] = entry(
        4,
        EntryPayload::Normal(Command::CreateGroup(group(2, "diverged"))),
    );
    wrong.push(extra.clone());
    let mut sm = follower.state_machine();
    sm.apply(wrong).await.expect("apply");
    let mut expected = expected_state();
    if let EntryPayload::Normal(command) = &extra.payload {
        expected.apply(command);
    }
    assert_ne!(*follower.state().read(), expected);

    tracing::info!("--- rebuild from the leader's snapshot at 7, replaying 8");
    let data = snapshot.snapshot.clone().into_inner();
    let index = follower
        .rebuild_state(&snapshot.meta, data.clone())
        .await
        .expect("rebuilt");
    assert_eq!(index, 8);
    assert_eq!(*follower.state().read(), expected);
    assert_eq!(follower.state().last_applied(), Some(log_id(8)));
    drop(sm);
    drop(follower);
    let follower = Store::open(&follower_path).expect("follower reopens");
    assert_eq!(
        *follower.state().read(),
        expected,
        "the rebuilt records are on disk"
    );

    tracing::info!("--- a log gap is refused and changes nothing");
    {
        let txn = follower.db.begin_write().expect("write");
        txn.open_table(crate::schema::RAFT_LOG)
            .expect("log table")
            .remove(8)
            .expect("remove");
        txn.commit().expect("commit");
    }
    assert!(matches!(
        follower.rebuild_state(&snapshot.meta, data.clone()).await,
        Err(StoreError::RebuildLogGap { missing: 8 })
    ));
    assert_eq!(*follower.state().read(), expected);

    tracing::info!("--- a snapshot ahead of the applied state is refused");
    let behind = Store::open(&dir.path().join("behind.redb")).expect("store");
    let mut behind_sm = behind.state_machine();
    behind_sm
        .apply(history().into_iter().take(5))
        .await
        .expect("apply");
    assert!(matches!(
        behind.rebuild_state(&snapshot.meta, data).await,
        Err(StoreError::RebuildAhead {
            snapshot: Some(7),
            applied: Some(5)
        })
    ));
}
