//! Who may see and manage which groups' keys.

use crate::caller::{Caller, Principal};
use crate::error::ServiceError;
use coffer_core::{AccountRole, AppPermission, GroupId, GroupRole, KeyOperation, Sobject, State};

/// What the caller wants to do with a group's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    /// See keys and their metadata.
    Read,
    /// Create, change, rotate and delete keys.
    Manage,
}

/// True when the caller may exercise `right` over the keys of `group`.
pub fn on_group(state: &State, caller: &Caller, group: GroupId, right: Right) -> bool {
    let Some(group) = state.group(group) else {
        return false;
    };
    if caller.account != Some(group.account) {
        return false;
    }
    match caller.principal {
        Principal::App(app) => state
            .app(app)
            .and_then(|a| a.groups.get(&group.id))
            .is_some_and(|permissions| {
                right == Right::Read || permissions.contains(&AppPermission::Manage)
            }),
        Principal::User(user) => {
            let Some(membership) = state
                .user(user)
                .and_then(|u| u.memberships.get(&group.account))
            else {
                return caller.sysadmin && right == Right::Read;
            };
            if membership.roles.contains(&AccountRole::Administrator) {
                return true;
            }
            match membership.groups.get(&group.id) {
                Some(GroupRole::Administrator) => true,
                Some(GroupRole::Auditor) => right == Right::Read,
                None => right == Right::Read && membership.roles.contains(&AccountRole::Auditor),
            }
        }
    }
}

/// Checks that the caller may manage `key`; apps additionally need the key to be
/// `APPMANAGEABLE`. Keys the caller cannot even see are reported as absent.
pub fn manage_key(state: &State, caller: &Caller, key: &Sobject) -> Result<(), ServiceError> {
    if !on_group(state, caller, key.group, Right::Read) {
        return Err(ServiceError::key_not_found());
    }
    if !on_group(state, caller, key.group, Right::Manage) {
        return Err(ServiceError::Forbidden(
            "not allowed to manage keys in this group".into(),
        ));
    }
    if matches!(caller.principal, Principal::App(_))
        && !key.key_ops.contains(&KeyOperation::AppManageable)
    {
        return Err(ServiceError::Forbidden(
            "the key is not APPMANAGEABLE".into(),
        ));
    }
    Ok(())
}

/// Checks that the caller may see `key`.
pub fn read_key(state: &State, caller: &Caller, key: &Sobject) -> Result<(), ServiceError> {
    if on_group(state, caller, key.group, Right::Read) {
        Ok(())
    } else {
        Err(ServiceError::key_not_found())
    }
}
