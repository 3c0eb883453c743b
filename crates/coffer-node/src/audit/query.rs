//! Audit log queries (`GET /sys/v1/logs`) over this node's audit table.
//!
//! Entries come newest first. An entry's `_id` is its stored id written in decimal; passing the
//! last `_id` of a page as `previous_id` returns the entries older than it, which is how the
//! CLI pages until `hits` is empty. Ids never change, so pages are stable while entries arrive.
//!
//! Account administrators and auditors read their selected account's entries; sysadmins also
//! read the entries that concern no account (failed logins, actions outside any account).

use crate::Node;
use crate::accounts::{self, Standing};
use crate::audit::{ActionType, AuditRecord, Severity};
use crate::caller::{Caller, Principal};
use crate::error::{ServiceError, ServiceResult};
use coffer_api as wire;
use coffer_core::{AccountId, State};
use coffer_store::AuditLog;

/// Entries per page when the request names no `size`.
pub const DEFAULT_SIZE: u32 = 100;
/// The largest `size` a request may ask for.
pub const MAX_SIZE: u32 = 1000;
/// The largest `from` offset: deeper pages use `previous_id`, which costs nothing to skip.
const MAX_FROM: u64 = 10_000;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Reads one page of the audit log for the caller.
pub async fn query(
    node: &Node,
    caller: &Caller,
    query: &wire::AuditLogsQuery,
) -> ServiceResult<wire::AuditLogsResponse> {
    let scope = {
        let state = node.cluster.state();
        let state = state.read();
        scope(&state, caller)?
    };
    let search = Search::new(scope, query)?;
    // Actions whose responses were already sent must be visible to whoever reads next.
    node.audit.flushed(std::time::Duration::from_secs(5)).await;
    let log = node.cluster.store().audit();
    // A filtered scan may walk much of the table; keep it off the async workers.
    tokio::task::spawn_blocking(move || search.run(&log))
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
}

/// Which entries a caller may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Entries of this account.
    account: Option<AccountId>,
    /// Entries that concern no account.
    system: bool,
}

impl Scope {
    fn covers(self, record: &AuditRecord) -> bool {
        match record.account {
            Some(account) => self.account == Some(account),
            None => self.system,
        }
    }
}

/// What the caller may read: 403 for apps and for users who neither administer nor audit the
/// selected account.
pub fn scope(state: &State, caller: &Caller) -> ServiceResult<Scope> {
    caller.user()?;
    match caller.account {
        Some(account) if accounts::standing(state, caller, account) >= Standing::Auditor => {
            Ok(Scope {
                account: Some(account),
                system: caller.sysadmin,
            })
        }
        _ if caller.sysadmin => Ok(Scope {
            account: None,
            system: true,
        }),
        Some(_) => Err(ServiceError::Forbidden(
            "reading audit logs needs ACCOUNTADMINISTRATOR or ACCOUNTAUDITOR".into(),
        )),
        None => caller.account().map(|_| Scope {
            account: None,
            system: false,
        }),
    }
}

/// A validated query.
#[derive(Clone, Debug)]
struct Search {
    scope: Scope,
    /// Only entries with ids below this one.
    before: Option<u64>,
    /// Matching entries to skip (`from`).
    skip: usize,
    /// Matching entries to return (`size`).
    size: usize,
    /// Earliest time, in nanoseconds, inclusive.
    from_nanos: Option<u64>,
    /// Latest time, in nanoseconds, inclusive.
    to_nanos: Option<u64>,
    filter: wire::AuditLogsQuery,
}

impl Search {
    fn new(scope: Scope, query: &wire::AuditLogsQuery) -> ServiceResult<Self> {
        let size = query.size.unwrap_or(DEFAULT_SIZE);
        if size > MAX_SIZE {
            return Err(ServiceError::invalid(format!(
                "size must be at most {MAX_SIZE}"
            )));
        }
        let skip = query.from.unwrap_or(0);
        if skip > MAX_FROM {
            return Err(ServiceError::invalid(format!(
                "from must be at most {MAX_FROM}; page further with previous_id"
            )));
        }
        let before = match query.previous_id.as_deref() {
            Some(id) => Some(id.trim().parse::<u64>().map_err(|_| {
                ServiceError::invalid("previous_id must be an _id of an earlier page")
            })?),
            None => None,
        };
        Ok(Self {
            scope,
            before,
            skip: skip as usize,
            size: size as usize,
            from_nanos: query.range_from.map(|s| s.saturating_mul(NANOS_PER_SECOND)),
            to_nanos: query.range_to.map(|s| {
                s.saturating_mul(NANOS_PER_SECOND)
                    .saturating_add(NANOS_PER_SECOND - 1)
            }),
            filter: query.clone(),
        })
    }

    fn run(&self, log: &AuditLog) -> ServiceResult<wire::AuditLogsResponse> {
        if self.size == 0 {
            return Ok(wire::AuditLogsResponse::default());
        }
        let rows = log
            .scan_newest_first(self.before, self.skip + self.size, |bytes| {
                decode(bytes).is_some_and(|r| self.accepts(&r))
            })
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let hits = rows
            .into_iter()
            .skip(self.skip)
            .filter_map(|(id, bytes)| {
                decode(&bytes).map(|r| wire::AuditLogHit {
                    id: id.to_string(),
                    source: r.to_wire(),
                })
            })
            .collect();
        Ok(wire::AuditLogsResponse { hits })
    }

    fn accepts(&self, record: &AuditRecord) -> bool {
        let filter = &self.filter;
        let actor = record.actor.map(|p| match p {
            Principal::App(app) => (wire::AuditActorType::App, app.uuid()),
            Principal::User(user) => (wire::AuditActorType::User, user.uuid()),
        });
        self.scope.covers(record)
            && self.from_nanos.is_none_or(|from| record.time_nanos >= from)
            && self.to_nanos.is_none_or(|to| record.time_nanos <= to)
            && filter
                .action_type
                .is_none_or(|a| a == wire_action(record.action))
            && filter
                .severity
                .is_none_or(|s| s == wire_severity(record.severity))
            && filter
                .actor_type
                .is_none_or(|t| actor.is_some_and(|(kind, _)| kind == t))
            && filter
                .actor_id
                .is_none_or(|id| actor.is_some_and(|(_, actor)| actor == id))
            && filter.object_id.is_none_or(|id| record.object == Some(id))
    }
}

/// A stored entry; unreadable ones are skipped (and logged) rather than failing the page.
fn decode(bytes: &[u8]) -> Option<AuditRecord> {
    match serde_json::from_slice(bytes) {
        Ok(record) => Some(record),
        Err(error) => {
            tracing::warn!(%error, "an audit entry could not be read");
            None
        }
    }
}

fn wire_action(action: ActionType) -> wire::AuditActionType {
    match action {
        ActionType::Administrative => wire::AuditActionType::Administrative,
        ActionType::Auth => wire::AuditActionType::Auth,
        ActionType::CryptoOperation => wire::AuditActionType::CryptoOperation,
    }
}

fn wire_severity(severity: Severity) -> wire::AuditSeverity {
    match severity {
        Severity::Info => wire::AuditSeverity::Info,
        Severity::Warning => wire::AuditSeverity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Failure;
    use crate::fixtures::*;
    use coffer_core::{AccountRole, AppId, UserId};
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
            account: Some(ACCOUNT),
            system: false,
        };
        assert_eq!(scope(state, &user_caller(admin)).ok(), Some(account_only));
        assert_eq!(scope(state, &user_caller(auditor)).ok(), Some(account_only));
        assert_eq!(
            scope(state, &sysadmin_caller(stranger)).ok(),
            Some(Scope {
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
        let accepts =
            |query: &str, r: &AuditRecord| search(mine, query).expect("valid search").accepts(r);
        assert!(accepts("", &login) && accepts("", &crypto));
        assert!(!accepts("", &elsewhere) && !accepts("", &failed));
        let everything = Scope {
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
        assert!(
            accepts("action_type=AUTH", &login) && !accepts("action_type=CRYPTOOPERATION", &login)
        );
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
            account: Some(ACCOUNT),
            system: false,
        };
        for (query, field) in [
            ("size=1001", "size"),
            ("from=10001", "from"),
            ("previous_id=abc", "previous_id"),
        ] {
            let error = search(scope, query)
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
            account: Some(ACCOUNT),
            system: false,
        };
        let page = |query: &str| -> Vec<String> {
            let found = search(scope, query)
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
}
