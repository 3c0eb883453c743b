use super::*;
use crate::error::Failure;
use crate::fixtures::*;
use coffer_core::{AccountRole, AppId, GroupRole, UserId};
use uuid::Uuid;

const ALICE: UserId = UserId::from_u128(10);
const APP: AppId = AppId::from_u128(20);

fn record(
    second: u64,
    account: Option<AccountId>,
    action: ActionType,
    actor: Option<Principal>,
) -> AuditRecord {
    AuditRecord {
        time_nanos: second * NANOS_PER_SECOND,
        account,
        action,
        actor,
        object: Some(Uuid::from_u128(u128::from(second))),
        groups: Vec::new(),
        message: format!("event at {second}"),
        severity: if actor.is_some() {
            Severity::Info
        } else {
            Severity::Warning
        },
        status: 200,
        client_ip: None,
        response_time_nanos: 1_250_000,
    }
}

fn search(scope: Scope, query: &str) -> ServiceResult<Search> {
    Search::new(scope, &coffer_api::parse_query(query).expect("valid query"))
}

fn status<T>(result: ServiceResult<T>) -> Option<Failure> {
    result.err().map(|e| e.failure())
}

#[test]
fn administrators_and_auditors_read_their_account_and_sysadmins_the_rest() {
    let mut world = World::new();
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let auditor = world.user(11, &[AccountRole::Auditor], &[]);
    let member = world.user(12, &[AccountRole::Member], &[]);
    let stranger = world.user(13, &[], &[]);
    let app = world.app(200, ACCOUNT, &[]);
    let state = &world.state;
    let account_only = Scope {
        groups: None,
        account: Some(ACCOUNT),
        system: false,
    };
    assert_eq!(
        scope(state, &user_caller(admin)).ok(),
        Some(account_only.clone())
    );
    assert_eq!(scope(state, &user_caller(auditor)).ok(), Some(account_only));
    assert_eq!(
        scope(state, &sysadmin_caller(stranger)).ok(),
        Some(Scope {
            groups: None,
            account: Some(ACCOUNT),
            system: true
        })
    );
    let no_account = Caller {
        account: None,
        ..sysadmin_caller(stranger)
    };
    assert_eq!(
        scope(state, &no_account).ok(),
        Some(Scope {
            groups: None,
            account: None,
            system: true
        })
    );
    assert_eq!(
        status(scope(state, &user_caller(member))),
        Some(Failure::Forbidden)
    );
    assert_eq!(
        status(scope(state, &app_caller(app))),
        Some(Failure::Forbidden)
    );
    assert_eq!(
        status(scope(
            state,
            &Caller {
                account: None,
                ..user_caller(member)
            }
        )),
        Some(Failure::Invalid)
    );
}

#[test]
fn entries_are_filtered_by_scope_time_and_fields() {
    let mine = Scope {
        groups: None,
        account: Some(ACCOUNT),
        system: false,
    };
    let alice = Some(Principal::User(ALICE));
    let login = record(100, Some(ACCOUNT), ActionType::Auth, alice);
    let crypto = record(
        200,
        Some(ACCOUNT),
        ActionType::CryptoOperation,
        Some(Principal::App(APP)),
    );
    let elsewhere = record(150, Some(OTHER), ActionType::Auth, alice);
    let failed = record(160, None, ActionType::Auth, None);
    let accepts = |query: &str, r: &AuditRecord| {
        search(mine.clone(), query)
            .expect("valid search")
            .accepts(r)
    };
    assert!(accepts("", &login) && accepts("", &crypto));
    assert!(!accepts("", &elsewhere) && !accepts("", &failed));
    let everything = Scope {
        groups: None,
        account: Some(ACCOUNT),
        system: true,
    };
    assert!(
        search(everything, "")
            .expect("valid search")
            .accepts(&failed)
    );
    assert!(accepts("range_from=100&range_to=100", &login));
    assert!(!accepts("range_from=101", &login) && !accepts("range_to=99", &login));
    assert!(accepts("action_type=AUTH", &login) && !accepts("action_type=CRYPTOOPERATION", &login));
    assert!(accepts("actor_type=App", &crypto) && !accepts("actor_type=User", &crypto));
    assert!(
        accepts(&format!("actor_id={ALICE}"), &login)
            && !accepts(&format!("actor_id={ALICE}"), &crypto)
    );
    assert!(accepts(
        &format!("object_id={}", Uuid::from_u128(200)),
        &crypto
    ));
    assert!(!accepts(
        &format!("object_id={}", Uuid::from_u128(200)),
        &login
    ));
    assert!(accepts("severity=info", &login) && !accepts("severity=WARNING", &login));
}

#[test]
fn bad_paging_parameters_are_refused_naming_the_field() {
    let scope = Scope {
        groups: None,
        account: Some(ACCOUNT),
        system: false,
    };
    for (query, field) in [
        ("size=1001", "size"),
        ("from=10001", "from"),
        ("previous_id=abc", "previous_id"),
    ] {
        let error = search(scope.clone(), query)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.starts_with(field), "{query}: {error}");
    }
    assert_eq!(status(search(scope, "size=1000")), None);
}

#[test]
fn pages_run_newest_first_and_previous_id_continues_where_the_last_page_ended() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = coffer_store::Store::open(&dir.path().join("node.redb")).expect("store opens");
    let log = store.audit();
    let rows: Vec<(u64, Vec<u8>)> = (1..=7)
        .map(|n| {
            let account = if n == 4 { Some(OTHER) } else { Some(ACCOUNT) };
            let entry = record(
                n,
                account,
                ActionType::Administrative,
                Some(Principal::User(ALICE)),
            );
            (
                n * NANOS_PER_SECOND,
                serde_json::to_vec(&entry).expect("serializes"),
            )
        })
        .collect();
    log.append(&rows).expect("appends");
    let scope = Scope {
        groups: None,
        account: Some(ACCOUNT),
        system: false,
    };
    let page = |query: &str| -> Vec<String> {
        let found = search(scope.clone(), query)
            .expect("valid search")
            .run(&log)
            .expect("reads");
        found.hits.into_iter().map(|hit| hit.id).collect()
    };
    let id = |n: u64| (n * NANOS_PER_SECOND).to_string();
    let first = page("size=2");
    assert_eq!(first, vec![id(7), id(6)]);
    let second = page(&format!("size=2&previous_id={}", first[1]));
    assert_eq!(
        second,
        vec![id(5), id(3)],
        "the other account's entry is skipped"
    );
    let third = page(&format!("size=2&previous_id={}", second[1]));
    assert_eq!(third, vec![id(2), id(1)]);
    assert!(page(&format!("size=2&previous_id={}", third[1])).is_empty());
    assert_eq!(page("size=2&from=1"), vec![id(6), id(5)]);
    assert_eq!(page("range_from=2&range_to=3"), vec![id(3), id(2)]);
    assert!(page("size=0").is_empty());

    let body = serde_json::to_value(
        search(scope, "size=1")
            .expect("valid search")
            .run(&log)
            .expect("reads"),
    )
    .expect("serializes");
    let source = &body["hits"][0]["_source"];
    assert_eq!(body["hits"][0]["_id"], id(7));
    assert!(
        source.get("client_ip").is_some() && source.get("response_time").is_some(),
        "{body}"
    );
}

#[test]
fn group_administrators_and_auditors_read_the_entries_of_their_groups() {
    let mut world = World::new();
    let ours = world.group(30, ACCOUNT);
    let theirs = world.group(31, ACCOUNT);
    let lead = world.user(
        11,
        &[AccountRole::Member],
        &[(ours, GroupRole::Administrator)],
    );
    let watcher = world.user(12, &[AccountRole::Member], &[(ours, GroupRole::Auditor)]);
    let state = &world.state;
    let in_group = |group: coffer_core::GroupId| AuditRecord {
        groups: vec![group.uuid()],
        ..record(100, Some(ACCOUNT), ActionType::CryptoOperation, None)
    };
    for user in [lead, watcher] {
        let scope = scope(state, &user_caller(user)).expect("a group role reads logs");
        let search = search(scope, "").expect("valid search");
        assert!(search.accepts(&in_group(ours)));
        assert!(!search.accepts(&in_group(theirs)), "another group's entry");
        assert!(
            !search.accepts(&record(
                100,
                Some(ACCOUNT),
                ActionType::Administrative,
                None
            )),
            "an account entry of no group"
        );
    }
}
