//! Audit log queries (`GET /sys/v1/logs`) over this node's audit table.
//!
//! Entries come newest first. An entry's `_id` is its stored id written in decimal; passing the
//! last `_id` of a page as `previous_id` returns the entries older than it, which is how the
//! CLI pages until `hits` is empty. Ids never change, so pages are stable while entries arrive.
//!
//! Account administrators and auditors read their selected account's entries; group
//! administrators and auditors read the entries of the account that concern their groups;
//! sysadmins also read the entries that concern no account (failed logins, actions outside any
//! account).

use crate::Node;
use crate::accounts::{self, Standing};
use crate::audit::{ActionType, AuditRecord, Severity};
use crate::caller::{Caller, Principal};
use crate::error::{ServiceError, ServiceResult};
use coffer_api as wire;
use coffer_core::{AccountId, State};
use coffer_store::AuditLog;
use std::collections::BTreeSet;
use uuid::Uuid;

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Entries of this account.
    account: Option<AccountId>,
    /// Only those of the account's entries that concern one of these groups (`None`: all).
    groups: Option<BTreeSet<Uuid>>,
    /// Entries that concern no account.
    system: bool,
}

impl Scope {
    fn covers(&self, record: &AuditRecord) -> bool {
        match record.account {
            Some(account) => {
                self.account == Some(account)
                    && self
                        .groups
                        .as_ref()
                        .is_none_or(|groups| record.groups.iter().any(|g| groups.contains(g)))
            }
            None => self.system,
        }
    }
}

/// What the caller may read: 403 for apps and for users who neither administer nor audit the
/// selected account.
pub fn scope(state: &State, caller: &Caller) -> ServiceResult<Scope> {
    let user = caller.user()?;
    let group_roles: BTreeSet<Uuid> = caller
        .account
        .and_then(|account| state.user(user)?.memberships.get(&account))
        .map(|membership| membership.groups.keys().map(|g| g.uuid()).collect())
        .unwrap_or_default();
    match caller.account {
        Some(account) if accounts::standing(state, caller, account) >= Standing::Auditor => {
            Ok(Scope {
                account: Some(account),
                groups: None,
                system: caller.sysadmin,
            })
        }
        _ if caller.sysadmin => Ok(Scope {
            account: None,
            groups: None,
            system: true,
        }),
        // Every group role (administrator or auditor) reads its groups' entries.
        Some(account) if !group_roles.is_empty() => Ok(Scope {
            account: Some(account),
            groups: Some(group_roles),
            system: false,
        }),
        Some(_) => Err(ServiceError::Forbidden(
            "reading audit logs needs ACCOUNTADMINISTRATOR, ACCOUNTAUDITOR or a role in a group"
                .into(),
        )),
        None => caller.account().map(|_| Scope {
            account: None,
            groups: None,
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
mod tests;
