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
