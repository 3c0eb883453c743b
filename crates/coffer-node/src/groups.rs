//! Groups: list, read, create, update, delete.
//!
//! Groups live in the caller's account. Apps see the groups they belong to; users see every
//! group of the account when they may read it all (administrators, auditors, sysadmins), else
//! the groups they belong to. Account administrators create and delete groups; a group's
//! administrators may also rename it.

use super::accounts::{self, Standing};
use super::convert;
use crate::caller::{Caller, Principal};
use crate::error::{ObjectKind, ServiceError, ServiceResult};
use crate::{Node, now};
use coffer_api as wire;
use coffer_core::{Command, Creator, Group, GroupId, GroupRole, State};
use uuid::Uuid;

/// The groups the caller can see (`GET /sys/v1/groups`), by id.
pub fn list(node: &Node, caller: &Caller) -> ServiceResult<Vec<Group>> {
    let account = caller.account()?;
    let state = node.cluster.state();
    let state = state.read();
    Ok(state
        .groups_of(account)
        .filter(|g| visible(&state, caller, g))
        .cloned()
        .collect())
}

/// One group, if the caller can see it.
pub fn get(node: &Node, caller: &Caller, id: GroupId) -> ServiceResult<Group> {
    let state = node.cluster.state();
    let state = state.read();
    find(&state, caller, id).cloned()
}

/// Creates a group in the caller's account (`POST /sys/v1/groups`).
pub async fn create(
    node: &Node,
    caller: &Caller,
    request: wire::GroupRequest,
) -> ServiceResult<Group> {
    let group = {
        let state = node.cluster.state();
        let state = state.read();
        plan_create(&state, caller, request, GroupId::new(Uuid::new_v4()))?
    };
    node.propose(Command::CreateGroup(group.clone())).await?;
    Ok(group)
}

/// Applies a partial update (`PATCH /sys/v1/groups/{id}`).
pub async fn update(
    node: &Node,
    caller: &Caller,
    id: GroupId,
    request: wire::GroupRequest,
) -> ServiceResult<Group> {
    let group = {
        let state = node.cluster.state();
        let state = state.read();
        plan_update(&state, caller, id, request)?
    };
    node.propose(Command::UpdateGroup(group.clone())).await?;
    Ok(group)
}

/// Deletes an empty group (`DELETE /sys/v1/groups/{id}`); one that holds keys is a 409.
pub async fn delete(node: &Node, caller: &Caller, id: GroupId) -> ServiceResult<Group> {
    let group = {
        let state = node.cluster.state();
        let state = state.read();
        let group = find(&state, caller, id)?;
        if accounts::standing(&state, caller, group.account) != Standing::Administrator {
            return Err(ServiceError::Forbidden(
                "only account administrators may delete groups".into(),
            ));
        }
        group.clone()
    };
    node.propose(Command::DeleteGroup(id)).await?;
    Ok(group)
}

/// The wire form of a group.
pub fn view(group: &Group) -> wire::Group {
    wire::Group {
        group_id: group.id.uuid(),
        acct_id: group.account.uuid(),
        name: group.name.clone(),
        created_at: convert::time(group.created_at),
        creator: convert::principal(group.creator),
        description: group.description.clone(),
        approval_policy: None,
    }
}

/// The 404 for a group the caller may not see.
pub fn not_found(id: GroupId) -> ServiceError {
    ServiceError::not_found(ObjectKind::Group, id)
}

/// The group, if it is in the caller's account and the caller can see it; 404 otherwise.
pub fn find<'s>(state: &'s State, caller: &Caller, id: GroupId) -> ServiceResult<&'s Group> {
    state
        .group(id)
        .filter(|g| visible(state, caller, g))
        .ok_or_else(|| not_found(id))
}

/// The user's role in a group of their selected account, if any.
pub fn role(state: &State, caller: &Caller, group: &Group) -> Option<GroupRole> {
    let Principal::User(user) = caller.principal else {
        return None;
    };
    accounts::membership(state, user, group.account)
        .and_then(|m| m.groups.get(&group.id))
        .copied()
}

/// True when the caller may administer `group`: account administrators and the group's own.
pub fn administers(state: &State, caller: &Caller, group: &Group) -> bool {
    caller.account == Some(group.account)
        && (accounts::standing(state, caller, group.account) == Standing::Administrator
            || role(state, caller, group) == Some(GroupRole::Administrator))
}

fn visible(state: &State, caller: &Caller, group: &Group) -> bool {
    if caller.account != Some(group.account) {
        return false;
    }
    match caller.principal {
        Principal::App(app) => state
            .app(app)
            .is_some_and(|a| a.groups.contains_key(&group.id)),
        Principal::User(_) => {
            accounts::standing(state, caller, group.account) >= Standing::Auditor
                || role(state, caller, group).is_some()
        }
    }
}

fn plan_create(
    state: &State,
    caller: &Caller,
    request: wire::GroupRequest,
    id: GroupId,
) -> ServiceResult<Group> {
    let account = caller.account()?;
    if accounts::standing(state, caller, account) != Standing::Administrator {
        return Err(ServiceError::Forbidden(
            "only account administrators may create groups".into(),
        ));
    }
    refuse_unsupported(&request)?;
    Ok(Group {
        id,
        account,
        name: accounts::checked_name("name", request.name)?,
        description: request.description,
        created_at: now(),
        creator: match caller.principal {
            Principal::App(app) => Creator::App(app),
            Principal::User(user) => Creator::User(user),
        },
    })
}

fn plan_update(
    state: &State,
    caller: &Caller,
    id: GroupId,
    request: wire::GroupRequest,
) -> ServiceResult<Group> {
    let mut group = find(state, caller, id)?.clone();
    if !administers(state, caller, &group) {
        return Err(ServiceError::Forbidden(
            "only account administrators and the group's administrators may change it".into(),
        ));
    }
    refuse_unsupported(&request)?;
    if request.name.is_some() {
        group.name = accounts::checked_name("name", request.name)?;
    }
    if let Some(description) = request.description {
        group.description = Some(description);
    }
    Ok(group)
}

/// A quorum policy Coffer would not enforce is refused rather than silently dropped.
fn refuse_unsupported(request: &wire::GroupRequest) -> ServiceResult<()> {
    if request.approval_policy.is_some() {
        return Err(ServiceError::invalid(
            "approval_policy: quorum approval is not supported",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;
    use coffer_core::AccountRole;

    fn names(state: &State, caller: &Caller) -> Vec<GroupId> {
        let account = caller.account.unwrap_or(ACCOUNT);
        state
            .groups_of(account)
            .filter(|g| visible(state, caller, g))
            .map(|g| g.id)
            .collect()
    }

    #[test]
    fn apps_see_only_the_groups_they_belong_to() {
        let mut world = World::new();
        let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
        let app = world.app(200, ACCOUNT, &[b]);
        assert_eq!(names(&world.state, &app_caller(app)), vec![b]);
        assert!(find(&world.state, &app_caller(app), a).is_err());
    }

    #[test]
    fn readers_of_the_account_see_every_group_and_members_their_own() {
        let mut world = World::new();
        let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
        world.group(102, OTHER);
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let auditor = world.user(11, &[AccountRole::Auditor], &[]);
        let member = world.user(12, &[AccountRole::Member], &[(b, GroupRole::Auditor)]);
        let outsider = world.user(13, &[], &[]);
        let state = &world.state;
        assert_eq!(names(state, &user_caller(admin)), vec![a, b]);
        assert_eq!(names(state, &user_caller(auditor)), vec![a, b]);
        assert_eq!(names(state, &sysadmin_caller(outsider)), vec![a, b]);
        assert_eq!(names(state, &user_caller(member)), vec![b]);
        assert_eq!(names(state, &user_caller(outsider)), Vec::<GroupId>::new());
    }

    #[test]
    fn groups_of_another_account_are_not_found() {
        let mut world = World::new();
        let elsewhere = world.group(102, OTHER);
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let error = find(&world.state, &sysadmin_caller(admin), elsewhere).err();
        assert_eq!(
            error.map(|e| e.failure()),
            Some(crate::error::Failure::NotFound)
        );
    }

    #[test]
    fn only_account_administrators_create_groups() {
        let mut world = World::new();
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let auditor = world.user(11, &[AccountRole::Auditor], &[]);
        let request = || wire::GroupRequest {
            name: Some("payments".into()),
            ..Default::default()
        };
        let group = plan_create(
            &world.state,
            &user_caller(admin),
            request(),
            GroupId::from_u128(7),
        )
        .expect("admins may create");
        assert_eq!(
            (group.account, group.creator),
            (ACCOUNT, Creator::User(admin))
        );
        for caller in [
            user_caller(auditor),
            sysadmin_caller(auditor),
            app_caller(world.app(200, ACCOUNT, &[])),
        ] {
            let error = plan_create(&world.state, &caller, request(), GroupId::from_u128(7)).err();
            assert_eq!(
                error.map(|e| e.failure()),
                Some(crate::error::Failure::Forbidden)
            );
        }
        let unnamed = plan_create(
            &world.state,
            &user_caller(admin),
            wire::GroupRequest::default(),
            GroupId::from_u128(7),
        );
        assert_eq!(
            unnamed.err().map(|e| e.to_string()).as_deref(),
            Some("name is required")
        );
    }

    #[test]
    fn group_administrators_may_rename_their_group_but_not_others() {
        let mut world = World::new();
        let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
        let lead = world.user(
            12,
            &[AccountRole::Member],
            &[(a, GroupRole::Administrator), (b, GroupRole::Auditor)],
        );
        let rename = || wire::GroupRequest {
            name: Some("renamed".into()),
            ..Default::default()
        };
        let renamed = plan_update(&world.state, &user_caller(lead), a, rename())
            .expect("group admins may rename");
        assert_eq!(renamed.name, "renamed");
        let error = plan_update(&world.state, &user_caller(lead), b, rename()).err();
        assert_eq!(
            error.map(|e| e.failure()),
            Some(crate::error::Failure::Forbidden)
        );
    }
}
