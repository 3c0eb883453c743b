use super::*;
use crate::error::Fixed;
use crate::records::{
    AppPermission, Creator, KeyOperation, KeyOrigin, KeyState, ObjectType, Sealed,
};
use std::collections::{BTreeMap, BTreeSet};

const T0: UnixTime = UnixTime(1_700_000_000);
const ACCOUNT: AccountId = AccountId::from_u128(1);
const GROUP: GroupId = GroupId::from_u128(2);
const APP: AppId = AppId::from_u128(3);

/// A sealed value of `len` bytes filled with `fill`, under master key version 1.
fn sealed(fill: u8, len: usize) -> Sealed {
    sealed_under(1, fill, len)
}

fn sealed_under(version: u32, fill: u8, len: usize) -> Sealed {
    let mut bytes = version.to_be_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(fill, len));
    Sealed(bytes)
}

fn update_app(app: App, new_credentials: bool) -> Command {
    Command::UpdateApp {
        app,
        new_credentials,
    }
}

fn account() -> Account {
    Account::new(ACCOUNT, "acme", T0)
}

fn group(id: GroupId, name: &str) -> Group {
    Group {
        id,
        account: ACCOUNT,
        name: name.into(),
        description: None,
        created_at: T0,
        creator: Creator::App(APP),
    }
}

fn app() -> App {
    App {
        id: APP,
        account: ACCOUNT,
        name: "billing".into(),
        description: None,
        app_type: "default".into(),
        created_at: T0,
        creator: Creator::App(APP),
        enabled: true,
        groups: BTreeMap::from([(GROUP, AppPermission::ALL.into_iter().collect())]),
        default_group: Some(GROUP),
        secret: sealed(1, 40),
        secret_digest: vec![2; 32],
        client_certificate: None,
        credential_generation: 0,
    }
}

fn key(n: u128, name: &str) -> Sobject {
    Sobject {
        id: KeyId::from_u128(n),
        account: ACCOUNT,
        group: GROUP,
        name: Some(name.into()),
        description: None,
        obj_type: ObjectType::Aes,
        key_size: Some(256),
        curve: None,
        key_ops: BTreeSet::from([KeyOperation::Encrypt, KeyOperation::Decrypt]),
        enabled: true,
        state: KeyState::Active,
        origin: KeyOrigin::Generated,
        created_at: T0,
        creator: Creator::App(APP),
        custom_metadata: BTreeMap::new(),
        public_key: None,
        material: Some(sealed(n as u8, 60)),
        never_exportable: true,
        activation_date: Some(T0),
        deactivation_date: None,
        revocation: None,
        replacement: None,
        replaced: None,
        rsa_policy: None,
    }
}

/// A state with one account, one group and one app.
fn seeded() -> State {
    let mut state = State::default();
    for command in [
        Command::CreateAccount(account()),
        Command::CreateGroup(group(GROUP, "main")),
        Command::CreateApp(app()),
    ] {
        assert_eq!(state.apply(&command).outcome, Ok(()));
    }
    state
}

fn reload(state: &State) -> State {
    let mut fresh = State::default();
    for (key, bytes) in state.records() {
        fresh.load_record(key, &bytes).expect("records decode");
    }
    fresh
}

#[test]
fn create_key_reports_exactly_the_new_record() {
    let mut state = seeded();
    let applied = state.apply(&Command::CreateSobject(key(10, "k1")));
    assert_eq!(
        applied,
        Applied {
            outcome: Ok(()),
            changed: vec![RecordKey::new(Table::Sobjects, KeyId::from_u128(10).uuid())]
        }
    );
    assert_eq!(
        state.sobject_by_name(ACCOUNT, "k1").map(|k| k.id),
        Some(KeyId::from_u128(10))
    );
}

#[test]
fn duplicate_key_name_is_refused_and_changes_nothing() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    let before = state.clone();
    let applied = state.apply(&Command::CreateSobject(key(11, "k1")));
    assert_eq!(
        applied.outcome,
        Err(ApplyError::NameTaken {
            kind: Named::SecurityObject,
            name: "k1".into()
        })
    );
    assert!(applied.changed.is_empty());
    assert_eq!(state, before);
}

#[test]
fn key_in_a_group_of_another_account_is_refused() {
    let mut state = seeded();
    let other = AccountId::from_u128(50);
    state.apply(&Command::CreateAccount(Account::new(other, "other", T0)));
    let mut foreign = key(10, "k1");
    foreign.account = other;
    assert!(matches!(
        state.apply(&Command::CreateSobject(foreign)).outcome,
        Err(ApplyError::GroupOfOtherAccount(_))
    ));
}

#[test]
fn rekey_moves_the_name_and_links_both_keys() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    let applied = state.apply(&Command::RekeySobject {
        old: KeyId::from_u128(10),
        new: key(11, "k1"),
    });
    assert_eq!(applied.outcome, Ok(()));
    assert_eq!(applied.changed.len(), 2);
    let new = state.sobject_by_name(ACCOUNT, "k1").expect("name resolves");
    assert_eq!(new.id, KeyId::from_u128(11));
    assert_eq!(new.replaced, Some(KeyId::from_u128(10)));
    let old = state.sobject(KeyId::from_u128(10)).expect("old key kept");
    assert_eq!(
        (old.name.as_deref(), old.replacement),
        (None, Some(KeyId::from_u128(11)))
    );
    // A key already replaced cannot be rotated again.
    let again = state.apply(&Command::RekeySobject {
        old: KeyId::from_u128(10),
        new: key(12, "k1"),
    });
    assert!(again.outcome.is_err());
}

#[test]
fn an_update_keeps_the_stored_key_material_whatever_it_carries() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    let stored = state
        .sobject(KeyId::from_u128(10))
        .and_then(|k| k.material.clone());
    let mut changed = key(10, "k1");
    changed.material = Some(sealed(9, 60));
    changed.description = Some("changed".into());
    assert_eq!(
        state.apply(&Command::UpdateSobject(changed)).outcome,
        Ok(())
    );
    let after = state.sobject(KeyId::from_u128(10)).expect("key");
    assert_eq!(after.material, stored);
    assert_eq!(after.description.as_deref(), Some("changed"));

    let mut dropped = key(10, "k1");
    dropped.material = None;
    assert_eq!(
        state.apply(&Command::UpdateSobject(dropped)).outcome,
        Err(ApplyError::Immutable(Fixed::SobjectMaterial)),
        "dropping a private half is DropPrivateKey's job"
    );
}

#[test]
fn update_can_rename_a_key() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    let mut renamed = key(10, "k2");
    renamed.enabled = false;
    assert_eq!(
        state.apply(&Command::UpdateSobject(renamed)).outcome,
        Ok(())
    );
    assert!(state.sobject_by_name(ACCOUNT, "k1").is_none());
    assert_eq!(
        state.sobject_by_name(ACCOUNT, "k2").map(|k| k.enabled),
        Some(false)
    );
}

#[test]
fn second_delete_reports_not_found() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    assert_eq!(
        state
            .apply(&Command::DeleteSobject(KeyId::from_u128(10)))
            .outcome,
        Ok(())
    );
    assert_eq!(
        state
            .apply(&Command::DeleteSobject(KeyId::from_u128(10)))
            .outcome,
        Err(ApplyError::SobjectNotFound(KeyId::from_u128(10)))
    );
    assert!(state.sobject_by_name(ACCOUNT, "k1").is_none());
}

#[test]
fn group_holding_keys_cannot_be_deleted() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    assert_eq!(
        state.apply(&Command::DeleteGroup(GROUP)).outcome,
        Err(ApplyError::GroupNotEmpty(GROUP))
    );
}

#[test]
fn deleting_an_empty_group_removes_it_from_apps() {
    let mut state = seeded();
    let spare = GroupId::from_u128(20);
    state.apply(&Command::CreateGroup(group(spare, "spare")));
    let mut member = app();
    member.groups.insert(spare, BTreeSet::new());
    assert_eq!(state.apply(&update_app(member, false)).outcome, Ok(()));
    let applied = state.apply(&Command::DeleteGroup(spare));
    assert_eq!(
        applied.changed,
        vec![
            RecordKey::new(Table::Groups, spare.uuid()),
            RecordKey::new(Table::Apps, APP.uuid())
        ]
    );
    assert!(
        !state
            .app(APP)
            .expect("app kept")
            .groups
            .contains_key(&spare)
    );
}

#[test]
fn deleting_an_account_removes_everything_in_it() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    let applied = state.apply(&Command::DeleteAccount(ACCOUNT));
    assert_eq!(applied.outcome, Ok(()));
    assert_eq!(applied.changed.len(), 4);
    assert_eq!(state.records(), Vec::new());
}

#[test]
fn user_emails_are_unique_case_insensitively() {
    let mut state = seeded();
    let user = |n: u128, email: &str| User {
        id: UserId::from_u128(n),
        email: email.into(),
        password_hash: "$argon2id$…".into(),
        sysadmin: false,
        first_name: None,
        last_name: None,
        description: None,
        created_at: T0,
        memberships: BTreeMap::new(),
        credential_generation: 0,
    };
    assert_eq!(
        state
            .apply(&Command::CreateUser(user(30, "Ann@example.com")))
            .outcome,
        Ok(())
    );
    assert!(
        state
            .apply(&Command::CreateUser(user(31, "ann@EXAMPLE.com")))
            .outcome
            .is_err()
    );
    assert_eq!(
        state.user_by_email("ANN@example.com").map(|u| u.id),
        Some(UserId::from_u128(30))
    );
}

#[test]
fn expired_session_records_are_pruned_by_later_commands() {
    let mut state = seeded();
    let s1 = SessionId::from_u128(100);
    let s2 = SessionId::from_u128(101);
    state.apply(&Command::RevokeSession {
        session: s1,
        until: UnixTime(T0.0 + 10),
        at: T0,
    });
    assert!(state.session_revoked(s1));
    let applied = state.apply(&Command::RevokeSession {
        session: s2,
        until: UnixTime(T0.0 + 100),
        at: UnixTime(T0.0 + 11),
    });
    assert!(!state.session_revoked(s1));
    assert_eq!(applied.changed.len(), 2);
}

#[test]
fn reloading_records_rebuilds_an_equal_state_with_indexes() {
    let mut state = seeded();
    state.apply(&Command::CreateSobject(key(10, "k1")));
    state.apply(&Command::SelectAccount {
        session: SessionId::from_u128(7),
        account: ACCOUNT,
        until: T0,
        at: T0,
    });
    let reloaded = reload(&state);
    assert_eq!(reloaded, state);
    assert!(reloaded.sobject_by_name(ACCOUNT, "k1").is_some());
}

#[test]
fn record_keys_round_trip_through_bytes() {
    let key = RecordKey::new(Table::Users, uuid::Uuid::from_u128(77));
    assert_eq!(RecordKey::from_bytes(&key.to_bytes()), Some(key));
    assert_eq!(RecordKey::from_bytes(&[99; 17]), None);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn command() -> impl Strategy<Value = Command> {
        prop_oneof![
            (10u128..16, 0usize..3)
                .prop_map(|(n, name)| Command::CreateSobject(key(n, ["a", "b", "c"][name]))),
            (10u128..16).prop_map(|n| Command::DeleteSobject(KeyId::from_u128(n))),
            (10u128..16, 16u128..22).prop_map(|(old, new)| Command::RekeySobject {
                old: KeyId::from_u128(old),
                new: key(new, "a")
            }),
            (10u128..16, 0usize..3)
                .prop_map(|(n, name)| Command::UpdateSobject(key(n, ["a", "b", "c"][name]))),
        ]
    }

    proptest! {
        /// Same commands, same state; and the persisted records always rebuild that state.
        #[test]
        fn replicas_agree_and_records_rebuild_the_state(commands in proptest::collection::vec(command(), 0..40)) {
            let mut a = seeded();
            let mut b = seeded();
            for command in &commands {
                prop_assert_eq!(a.apply(command), b.apply(command));
            }
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(reload(&a), a.clone());
            // Names stay unique and every name points at a key that has it.
            for ((account, name), kid) in &a.key_names {
                let key = a.sobject(*kid).expect("indexed key exists");
                prop_assert_eq!((key.account, key.name.as_deref()), (*account, Some(name.as_str())));
            }
        }
    }
}

#[test]
fn dropping_the_private_half_keeps_only_public_operations() {
    let mut state = seeded();
    let mut rsa = key(10, "rsa");
    rsa.obj_type = ObjectType::Rsa;
    rsa.public_key = Some(vec![0x30, 0x00]);
    rsa.key_ops = BTreeSet::from([
        KeyOperation::Sign,
        KeyOperation::Verify,
        KeyOperation::Decrypt,
        KeyOperation::Encrypt,
    ]);
    state.apply(&Command::CreateSobject(rsa));
    assert_eq!(
        state
            .apply(&Command::DropPrivateKey(KeyId::from_u128(10)))
            .outcome,
        Ok(())
    );
    let kept = state.sobject(KeyId::from_u128(10)).expect("key kept");
    assert!(kept.public_only());
    assert_eq!(
        kept.key_ops,
        BTreeSet::from([KeyOperation::Verify, KeyOperation::Encrypt])
    );
    // A symmetric key has no public half to keep.
    state.apply(&Command::CreateSobject(key(11, "aes")));
    assert!(
        state
            .apply(&Command::DropPrivateKey(KeyId::from_u128(11)))
            .outcome
            .is_err()
    );
}

#[test]
fn an_account_created_with_an_administrator_is_never_without_one() {
    let mut state = State::default();
    let admin = UserId::from_u128(40);
    let new = Account::new(AccountId::from_u128(41), "solo", T0);
    let refused = state.apply(&Command::CreateAccountWithAdministrator {
        account: new.clone(),
        administrator: admin,
    });
    assert_eq!(refused.outcome, Err(ApplyError::UserNotFound(admin)));
    assert!(state.account(new.id).is_none());
    let user = User {
        id: admin,
        email: "a@example.com".into(),
        password_hash: String::new(),
        sysadmin: false,
        first_name: None,
        last_name: None,
        description: None,
        created_at: T0,
        memberships: BTreeMap::new(),
        credential_generation: 0,
    };
    state.apply(&Command::CreateUser(user));
    let applied = state.apply(&Command::CreateAccountWithAdministrator {
        account: new.clone(),
        administrator: admin,
    });
    assert_eq!(applied.outcome, Ok(()));
    assert_eq!(
        applied.changed,
        vec![
            RecordKey::new(Table::Accounts, new.id.uuid()),
            RecordKey::new(Table::Users, admin.uuid())
        ]
    );
    let roles = &state.user(admin).expect("user").memberships[&new.id].roles;
    assert!(roles.contains(&crate::records::AccountRole::Administrator));
}

#[test]
fn cluster_record_holds_tokens_and_labels_and_prunes_expired_tokens() {
    let mut state = State::default();
    let token = |id: &str, expires: u64| crate::records::JoinToken {
        id: id.into(),
        verifier: vec![1; 32],
        signing_key: sealed(2, 60),
        created_at: T0,
        expires_at: UnixTime(expires),
    };
    let early = state.apply(&Command::SetNodeLabel {
        node: "n1".into(),
        dc: "east".into(),
    });
    assert!(matches!(
        early.outcome,
        Err(ApplyError::ClusterNotInitialized)
    ));
    let info = crate::records::ClusterInfo {
        ca_cert_pem: "CA".into(),
        ..Default::default()
    };
    assert_eq!(
        state.apply(&Command::InitCluster(info.clone())).outcome,
        Ok(())
    );
    assert!(state.apply(&Command::InitCluster(info)).outcome.is_err());
    state.apply(&Command::CreateJoinToken {
        token: token("aaaaaa", T0.0 + 10),
        at: T0,
    });
    state.apply(&Command::CreateJoinToken {
        token: token("bbbbbb", T0.0 + 100),
        at: UnixTime(T0.0 + 20),
    });
    state.apply(&Command::SetNodeLabel {
        node: "n1".into(),
        dc: "east".into(),
    });
    let cluster = state.cluster().expect("initialized");
    assert_eq!(cluster.tokens.keys().collect::<Vec<_>>(), vec!["bbbbbb"]);
    assert_eq!(
        cluster.dc_labels.get("n1").map(String::as_str),
        Some("east")
    );
    assert_eq!(reload(&state), state);
}

#[test]
fn new_credentials_and_disabling_move_the_credential_generation_on() {
    let mut state = seeded();
    let generation = |state: &State| state.app(APP).map(|a| a.credential_generation);
    assert_eq!(generation(&state), Some(0));

    // A rename changes no credential.
    let mut renamed = app();
    renamed.name = "billing-2".into();
    renamed.credential_generation = 99;
    assert_eq!(state.apply(&update_app(renamed, false)).outcome, Ok(()));
    assert_eq!(
        generation(&state),
        Some(0),
        "the command's own value is ignored"
    );

    let mut reset = app();
    reset.secret_digest = vec![3; 32];
    state.apply(&update_app(reset.clone(), true));
    assert_eq!(generation(&state), Some(1));

    let mut disabled = reset.clone();
    disabled.enabled = false;
    state.apply(&update_app(disabled, false));
    assert_eq!(generation(&state), Some(2));
    state.apply(&update_app(reset, false));
    assert_eq!(
        generation(&state),
        Some(2),
        "enabling again does not go back"
    );

    let user = User {
        id: UserId::from_u128(40),
        email: "bo@example.com".into(),
        password_hash: "$argon2id$old".into(),
        sysadmin: false,
        first_name: None,
        last_name: None,
        description: None,
        created_at: T0,
        memberships: BTreeMap::new(),
        credential_generation: 5,
    };
    state.apply(&Command::CreateUser(user.clone()));
    let id = user.id;
    let user_generation = |state: &State| state.user(id).map(|u| u.credential_generation);
    assert_eq!(user_generation(&state), Some(0));
    let mut renamed = user.clone();
    renamed.first_name = Some("Bo".into());
    state.apply(&Command::UpdateUser(renamed));
    assert_eq!(user_generation(&state), Some(0));
    let mut new_password = user;
    new_password.password_hash = "$argon2id$new".into();
    state.apply(&Command::UpdateUser(new_password));
    assert_eq!(user_generation(&state), Some(1));
}

mod master_key_rotation {
    use super::*;
    use crate::command::{Rewrapped, SealedAt};

    fn with_cluster() -> State {
        let mut state = seeded();
        let info = crate::records::ClusterInfo {
            ca_key: Some(sealed(7, 40)),
            ..Default::default()
        };
        assert_eq!(state.apply(&Command::InitCluster(info)).outcome, Ok(()));
        state.apply(&Command::CreateSobject(key(10, "k1")));
        state
    }

    fn rewrap_all(state: &State, to: u32) -> Command {
        Command::Rewrap(
            state
                .sealed_values()
                .map(|(at, old)| Rewrapped {
                    digest: matches!(at, SealedAt::AppSecret(_)).then(|| vec![5; 32]),
                    at,
                    old: old.clone(),
                    new: sealed_under(to, 8, 40),
                })
                .collect(),
        )
    }

    #[test]
    fn a_rotation_switches_rewraps_every_value_then_retires_the_old_version() {
        let mut state = with_cluster();
        assert_eq!(state.sealed_values().count(), 3, "CA key, app secret, key");
        assert_eq!(
            state
                .apply(&Command::RetireMasterKey { version: 1 })
                .outcome,
            Err(ApplyError::MasterKeyStep(
                "version 1 is not the oldest of a rotation (live: 1..=1)".into()
            )),
            "the only live version cannot be retired"
        );
        assert_eq!(
            state.apply(&Command::SwitchMasterKey { to: 2 }).outcome,
            Ok(())
        );
        assert!(
            state
                .apply(&Command::SwitchMasterKey { to: 3 })
                .outcome
                .is_err(),
            "no third version while the second is being rolled out"
        );

        // Values of both versions are accepted while both live.
        let mut late = key(11, "k2");
        late.material = Some(sealed(1, 40));
        assert_eq!(state.apply(&Command::CreateSobject(late)).outcome, Ok(()));

        let rewrap = rewrap_all(&state, 2);
        assert!(
            state
                .apply(&Command::RetireMasterKey { version: 1 })
                .outcome
                .is_err(),
            "refused while values are still sealed under version 1"
        );
        let applied = state.apply(&rewrap);
        assert_eq!(applied.outcome, Ok(()));
        assert!(
            state
                .sealed_values()
                .all(|(_, sealed)| sealed.key_version() == Some(2))
        );
        assert_eq!(
            state.app(APP).map(|a| a.secret_digest.clone()),
            Some(vec![5; 32])
        );
        assert_eq!(
            state.app(APP).map(|a| a.credential_generation),
            Some(0),
            "re-sealing a secret is not a new credential"
        );

        assert_eq!(
            state
                .apply(&Command::RetireMasterKey { version: 1 })
                .outcome,
            Ok(())
        );
        assert_eq!(
            state.master_keys(),
            crate::records::MasterKeyVersions {
                current: 2,
                retired_through: 1
            }
        );
        let mut dead = key(12, "k3");
        dead.material = Some(sealed(1, 40));
        assert_eq!(
            state.apply(&Command::CreateSobject(dead)).outcome,
            Err(ApplyError::DeadMasterKey {
                version: 1,
                live: "2..=2".into()
            })
        );
        assert_eq!(reload(&state), state);
    }

    #[test]
    fn a_value_changed_since_it_was_read_is_not_overwritten_by_its_rewrap() {
        let mut state = with_cluster();
        state.apply(&Command::SwitchMasterKey { to: 2 });
        let rewrap = rewrap_all(&state, 2);
        // The app's secret is reset in between: the rewrap of the old one must not win.
        let mut reset = app();
        reset.secret = sealed_under(2, 3, 40);
        reset.secret_digest = vec![4; 32];
        assert_eq!(state.apply(&update_app(reset, true)).outcome, Ok(()));
        assert_eq!(state.apply(&rewrap).outcome, Ok(()));
        let app = state.app(APP).expect("app");
        assert_eq!(app.secret, sealed_under(2, 3, 40));
        assert_eq!(app.secret_digest, vec![4; 32]);
    }

    #[test]
    fn an_update_read_before_the_rewrap_keeps_the_rewrapped_credentials() {
        let mut state = with_cluster();
        state.apply(&Command::SwitchMasterKey { to: 2 });
        let stale = app();
        state.apply(&rewrap_all(&state, 2));
        let mut renamed = stale;
        renamed.name = "renamed".into();
        assert_eq!(state.apply(&update_app(renamed, false)).outcome, Ok(()));
        let app = state.app(APP).expect("app");
        assert_eq!(app.name, "renamed");
        assert_eq!(app.secret.key_version(), Some(2));
        assert_eq!(app.secret_digest, vec![5; 32]);
    }

    #[test]
    fn a_rewrap_under_an_old_version_is_refused() {
        let mut state = with_cluster();
        state.apply(&Command::SwitchMasterKey { to: 2 });
        let stale = rewrap_all(&state, 1);
        assert!(state.apply(&stale).outcome.is_err());
    }
}

#[test]
fn session_reports_keep_the_latest_use_and_are_pruned_when_the_session_is_idle() {
    let mut state = seeded();
    let session = SessionId::from_u128(77);
    let report = |last: u64, until: u64, at: u64| Command::SessionsSeen {
        seen: vec![(session, UnixTime(last), UnixTime(until))],
        at: UnixTime(at),
    };
    state.apply(&report(100, 700, 100));
    state.apply(&report(90, 690, 101));
    assert_eq!(
        state.session_last_seen(session),
        Some(UnixTime(100)),
        "an older report from another node does not win"
    );
    state.apply(&report(200, 800, 200));
    assert_eq!(state.session_last_seen(session), Some(UnixTime(200)));
    assert_eq!(reload(&state), state);
    let other = SessionId::from_u128(78);
    state.apply(&Command::SessionsSeen {
        seen: vec![(other, UnixTime(900), UnixTime(1500))],
        at: UnixTime(900),
    });
    assert_eq!(
        state.session_last_seen(session),
        None,
        "idle since 200: pruned"
    );
}
