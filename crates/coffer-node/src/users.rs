//! Users: signup, invitation, listing, reading, changing, leaving an account, deleting oneself,
//! the caller's accounts and password changes.
//!
//! Users are seen through the caller's selected account: `account_role` and `groups` in the
//! answers describe the user's place in that account. Every account keeps at least one
//! administrator, and the cluster at least one sysadmin.
//!
//! An invited user whose email was unknown gets a password hash under [`INVITATION_SALT`]: its
//! password is random and thrown away, so nobody can log in with it, and login attempts cost
//! the same argon2 work as for any other user. The salt marks the state; it shows as
//! `PENDINGINVITE` and `has_password: false`.

use super::accounts::{self, Standing};
use super::{convert, passwords};
use crate::caller::Caller;
use crate::error::{ObjectKind, ServiceError, ServiceResult};
use crate::{Node, now};
use coffer_api as wire;
use coffer_core::{
    AccountId, AccountRole, Command, GroupId, GroupRole, Membership, State, User, UserId,
};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The salt of the password hash an invited user gets until they have a password of their own:
/// B64 of `coffer-invitation` (17 bytes, so it never equals a generated 16-byte salt).
const INVITATION_SALT: &str = "Y29mZmVyLWludml0YXRpb24";
/// The largest page `GET /sys/v1/users` returns.
const MAX_LIMIT: u64 = 1000;
/// The page size when the request names none.
const DEFAULT_LIMIT: u64 = 100;

/// What a signup did. Both answer the same on the wire, so that signup does not tell who is
/// registered.
#[derive(Debug)]
pub enum SignedUp {
    /// A new user.
    Created(User),
    /// The email belongs to a user already: nothing was stored, and the user shown exists
    /// nowhere.
    EmailTaken(User),
}

/// Registers a new user without account (`POST /sys/v1/users`, no authentication), when the
/// cluster allows it. A taken email gets the same answer, after the same work, as a new one.
pub async fn signup(node: &Node, request: wire::SignupRequest) -> ServiceResult<SignedUp> {
    if !node.signup_open() {
        return Err(ServiceError::Forbidden(
            "signup is disabled on this cluster; an account administrator can invite users".into(),
        ));
    }
    let email = checked_email(&request.user_email)?;
    if let Some(rule) = passwords::policy_violation(&request.user_password) {
        return Err(ServiceError::invalid(format!("user_password: {rule}")));
    }
    let password_hash = hashing(node, move || passwords::hash(&request.user_password)).await?;
    let user = User {
        id: UserId::new(Uuid::new_v4()),
        email,
        password_hash,
        sysadmin: false,
        first_name: request.first_name,
        last_name: request.last_name,
        description: None,
        created_at: now(),
        memberships: BTreeMap::new(),
        credential_generation: 0,
    };
    if node
        .cluster
        .state()
        .read()
        .user_by_email(&user.email)
        .is_some()
    {
        return Ok(SignedUp::EmailTaken(user));
    }
    match node.propose(Command::CreateUser(user.clone())).await {
        Ok(()) => Ok(SignedUp::Created(user)),
        // Registered in between.
        Err(ServiceError::Refused(coffer_core::ApplyError::NameTaken { .. })) => {
            Ok(SignedUp::EmailTaken(user))
        }
        Err(error) => Err(error),
    }
}

/// Adds a user to the caller's account (`POST /sys/v1/users/invite`): an existing user by email
/// becomes a member at once; an unknown email becomes a new user awaiting a password.
pub async fn invite(
    node: &Node,
    caller: &Caller,
    request: wire::UserRequest,
) -> ServiceResult<User> {
    let email = checked_email(
        request
            .user_email
            .as_deref()
            .ok_or_else(|| ServiceError::invalid("user_email is required"))?,
    )?;
    let (account, membership, existing) = {
        let state = node.cluster.state();
        let state = state.read();
        let (account, membership) = plan_invitation(&state, caller, &request)?;
        (account, membership, state.user_by_email(&email).cloned())
    };
    let user = match existing {
        Some(mut user) => {
            if user.memberships.contains_key(&account) {
                return Err(ServiceError::Conflict(format!(
                    "{email} is already a member of this account"
                )));
            }
            user.memberships.insert(account, membership);
            node.propose(Command::UpdateUser(user.clone())).await?;
            user
        }
        None => {
            let user = User {
                id: UserId::new(Uuid::new_v4()),
                email,
                password_hash: hashing(node, invitation_hash).await?,
                sysadmin: false,
                first_name: request.first_name,
                last_name: request.last_name,
                description: request.description,
                created_at: now(),
                memberships: BTreeMap::from([(account, membership)]),
                credential_generation: 0,
            };
            node.propose(Command::CreateUser(user.clone())).await?;
            user
        }
    };
    Ok(user)
}

/// The users the caller can see, as `GET /sys/v1/users` asks, in their wire form.
pub fn list(
    node: &Node,
    caller: &Caller,
    params: &wire::ListUsersParams,
) -> ServiceResult<Vec<wire::User>> {
    let state = node.cluster.state();
    let state = state.read();
    let (users, account) = select(&state, caller, params)?;
    Ok(users.into_iter().map(|u| view(u, account)).collect())
}

/// One user, if the caller can see them.
pub fn get(node: &Node, caller: &Caller, id: UserId) -> ServiceResult<User> {
    let state = node.cluster.state();
    let state = state.read();
    find(&state, caller, id).cloned()
}

/// Applies a partial update (`PATCH /sys/v1/users/{id}`).
pub async fn update(
    node: &Node,
    caller: &Caller,
    id: UserId,
    request: wire::UserRequest,
) -> ServiceResult<User> {
    let user = {
        let state = node.cluster.state();
        let state = state.read();
        plan_update(&state, caller, id, request)?
    };
    node.propose(Command::UpdateUser(user.clone())).await?;
    Ok(user)
}

/// Removes a user from the caller's account (`DELETE /sys/v1/users/{id}/accounts`): the user
/// themselves, or an account administrator.
pub async fn leave_account(node: &Node, caller: &Caller, id: UserId) -> ServiceResult<User> {
    let user = {
        let state = node.cluster.state();
        let state = state.read();
        plan_leave(&state, caller, id)?
    };
    node.propose(Command::UpdateUser(user.clone())).await?;
    Ok(user)
}

/// Deletes the calling user (`DELETE /sys/v1/users`).
pub async fn delete_self(node: &Node, caller: &Caller) -> ServiceResult<User> {
    let user = {
        let state = node.cluster.state();
        let state = state.read();
        plan_delete_self(&state, caller)?
    };
    node.propose(Command::DeleteUser(user.id)).await?;
    Ok(user)
}

/// The calling user's accounts and roles (`GET /sys/v1/users/accounts`).
pub fn accounts(node: &Node, caller: &Caller) -> ServiceResult<wire::UserAccounts> {
    let id = caller.user()?;
    let state = node.cluster.state();
    let state = state.read();
    let user = state.user(id).ok_or_else(|| not_found(id))?;
    Ok(user
        .memberships
        .keys()
        .map(|account| (account.uuid(), account_flags(user, Some(*account))))
        .collect())
}

/// Changes the calling user's password (`POST /sys/v1/users/change_password`).
pub async fn change_password(
    node: &Node,
    caller: &Caller,
    request: wire::ChangePasswordRequest,
) -> ServiceResult<User> {
    let id = caller.user()?;
    if let Some(rule) = passwords::policy_violation(&request.new_password) {
        return Err(ServiceError::invalid(format!("new_password: {rule}")));
    }
    if request.new_password == request.current_password {
        return Err(ServiceError::invalid(
            "new_password must differ from current_password",
        ));
    }
    let stored = node
        .cluster
        .state()
        .read()
        .user(id)
        .map(|u| u.password_hash.clone())
        .ok_or_else(|| not_found(id))?;
    let current = request.current_password;
    if !hashing(node, move || Ok(passwords::verify(&current, &stored))).await? {
        return Err(ServiceError::invalid("current_password is not correct"));
    }
    let new = request.new_password;
    let password_hash = hashing(node, move || passwords::hash(&new)).await?;
    let mut user = node
        .cluster
        .state()
        .read()
        .user(id)
        .cloned()
        .ok_or_else(|| not_found(id))?;
    user.password_hash = password_hash;
    node.propose(Command::UpdateUser(user.clone())).await?;
    Ok(user)
}

/// The wire form of a user, describing their place in `account`.
pub fn view(user: &User, account: Option<AccountId>) -> wire::User {
    let membership = account.and_then(|a| user.memberships.get(&a));
    wire::User {
        user_id: user.id.uuid(),
        account_role: account_flags(user, account),
        groups: membership
            .map(|m| {
                m.groups
                    .iter()
                    .map(|(g, r)| (g.uuid(), wire::GroupRoleEntry(wire_group_role(*r))))
                    .collect()
            })
            .unwrap_or_default(),
        u2f_devices: Vec::new(),
        user_email: Some(user.email.clone()),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        email_verified: None,
        has_password: Some(!awaits_password(user)),
        created_at: Some(convert::time(user.created_at)),
        last_logged_in_at: None,
        description: user.description.clone(),
        new_email: None,
    }
}

/// True for an invited user who has no password yet.
pub fn awaits_password(user: &User) -> bool {
    coffer_crypto::password_hash_salt(&user.password_hash).as_deref() == Some(INVITATION_SALT)
}

fn not_found(id: UserId) -> ServiceError {
    ServiceError::not_found(ObjectKind::User, id)
}

/// `account_role` of a user in an account: roles, then the state flags.
fn account_flags(user: &User, account: Option<AccountId>) -> Vec<wire::UserAccountFlag> {
    let Some(membership) = account.and_then(|a| user.memberships.get(&a)) else {
        return Vec::new();
    };
    let mut flags: Vec<wire::UserAccountFlag> = membership
        .roles
        .iter()
        .map(|role| match role {
            AccountRole::Administrator => wire::UserAccountFlag::AccountAdministrator,
            AccountRole::Member => wire::UserAccountFlag::AccountMember,
            AccountRole::Auditor => wire::UserAccountFlag::AccountAuditor,
        })
        .collect();
    flags.push(wire::UserAccountFlag::StateEnabled);
    if awaits_password(user) {
        flags.push(wire::UserAccountFlag::PendingInvite);
    }
    flags
}

/// The user, if the caller can see them: themselves; users of the caller's account for its
/// members; anybody for sysadmins. 404 otherwise.
fn find<'s>(state: &'s State, caller: &Caller, id: UserId) -> ServiceResult<&'s User> {
    let me = caller.user()?;
    let user = state.user(id).ok_or_else(|| not_found(id))?;
    let shares_account = caller.account.is_some_and(|a| {
        user.memberships.contains_key(&a)
            && accounts::standing(state, caller, a) >= Standing::Member
    });
    if me == id || caller.sysadmin || shares_account {
        Ok(user)
    } else {
        Err(not_found(id))
    }
}

/// True when the caller administers `account` and `user` belongs to it.
fn administers(state: &State, caller: &Caller, account: Option<AccountId>, user: &User) -> bool {
    account.is_some_and(|a| {
        user.memberships.contains_key(&a)
            && accounts::standing(state, caller, a) == Standing::Administrator
    })
}

fn select<'s>(
    state: &'s State,
    caller: &Caller,
    params: &wire::ListUsersParams,
) -> ServiceResult<(Vec<&'s User>, Option<AccountId>)> {
    caller.user()?;
    let by_email = match params.sort.as_ref().map(|s| s.field.as_str()) {
        None | Some("user_id") => false,
        Some("user_email") | Some("email") => true,
        Some(other) => {
            return Err(ServiceError::invalid(format!(
                "sort: users sort by user_id or user_email, not {other}"
            )));
        }
    };
    let descending = params
        .sort
        .as_ref()
        .is_some_and(|s| s.order == wire::SortOrder::Descending);
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ServiceError::invalid(format!(
            "limit must be at most {MAX_LIMIT}"
        )));
    }
    let (mut users, account): (Vec<&User>, Option<AccountId>) =
        if params.all_customers == Some(true) {
            if !caller.sysadmin {
                return Err(ServiceError::Forbidden(
                    "all_customers is for sysadmins".into(),
                ));
            }
            (state.users().collect(), caller.account)
        } else {
            let account = match params.acct_id {
                Some(id) => AccountId::new(id),
                None => caller.account()?,
            };
            if accounts::standing(state, caller, account) == Standing::Outsider {
                return Err(accounts::not_found(account));
            }
            (
                state
                    .users()
                    .filter(|u| u.memberships.contains_key(&account))
                    .collect(),
                Some(account),
            )
        };
    if let Some(group) = params.group_id.map(GroupId::new) {
        users.retain(|u| {
            account
                .and_then(|a| u.memberships.get(&a))
                .is_some_and(|m| m.groups.contains_key(&group))
        });
    }
    let sort_key = |u: &&User| {
        if by_email {
            u.email.to_lowercase()
        } else {
            u.id.to_string()
        }
    };
    users.sort_by_key(sort_key);
    if descending {
        users.reverse();
    }
    if let Some(start) = &params.start {
        users.retain(|u| {
            if descending {
                sort_key(u) < *start
            } else {
                sort_key(u) > *start
            }
        });
    }
    let offset = usize::try_from(params.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    Ok((
        users
            .into_iter()
            .skip(offset)
            .take(limit as usize)
            .collect(),
        account,
    ))
}

/// The account and membership an invitation grants; only account administrators invite.
fn plan_invitation(
    state: &State,
    caller: &Caller,
    request: &wire::UserRequest,
) -> ServiceResult<(AccountId, Membership)> {
    caller.user()?;
    let account = caller.account()?;
    if accounts::standing(state, caller, account) != Standing::Administrator {
        return Err(ServiceError::Forbidden(
            "only account administrators may invite users".into(),
        ));
    }
    if request.user_password.is_some() {
        return Err(ServiceError::invalid(
            "user_password: invited users choose their own password",
        ));
    }
    let mut groups = BTreeMap::new();
    for (group, role) in request.add_groups.iter().flatten() {
        let group = group_of(state, account, *group)?;
        groups.insert(group, group_role(role.0));
    }
    Ok((
        account,
        Membership {
            roles: roles(request.account_role.as_deref()),
            groups,
        },
    ))
}

fn plan_update(
    state: &State,
    caller: &Caller,
    id: UserId,
    request: wire::UserRequest,
) -> ServiceResult<User> {
    let me = caller.user()?;
    let mut user = find(state, caller, id)?.clone();
    let account = caller.account;
    let is_admin = administers(state, caller, account, &user);
    if me != id && !is_admin {
        return Err(ServiceError::Forbidden(
            "only the user and the account's administrators may change a user".into(),
        ));
    }
    if request
        .user_email
        .as_ref()
        .is_some_and(|e| !e.trim().eq_ignore_ascii_case(&user.email))
    {
        return Err(ServiceError::invalid("user_email cannot be changed"));
    }
    if request.user_password.is_some() {
        return Err(ServiceError::invalid(
            "user_password: use POST /sys/v1/users/change_password",
        ));
    }
    if request.enable_flag() == Some(false) {
        return Err(ServiceError::invalid(
            "enable: disabling users is not supported; remove them from the account instead",
        ));
    }
    if let Some(first_name) = request.first_name {
        user.first_name = Some(first_name);
    }
    if let Some(last_name) = request.last_name {
        user.last_name = Some(last_name);
    }
    if let Some(description) = request.description {
        user.description = Some(description);
    }
    let touches_membership = request.account_role.is_some()
        || request.add_groups.is_some()
        || request.mod_groups.is_some()
        || request.del_groups.is_some();
    if !touches_membership {
        return Ok(user);
    }
    let Some(account) = account.filter(|_| is_admin) else {
        return Err(ServiceError::Forbidden(
            "only account administrators may change roles and groups".into(),
        ));
    };
    let was_admin = has_role(&user, account, AccountRole::Administrator);
    let Some(membership) = user.memberships.get_mut(&account) else {
        return Err(not_found(id));
    };
    if let Some(flags) = request.account_role.as_deref() {
        membership.roles = roles(Some(flags));
    }
    for group in request.del_groups.iter().flatten() {
        membership.groups.remove(&GroupId::new(*group));
    }
    for (group, role) in request.add_groups.iter().flatten() {
        membership
            .groups
            .insert(group_of(state, account, *group)?, group_role(role.0));
    }
    for (group, role) in request.mod_groups.iter().flatten() {
        let Some(held) = membership.groups.get_mut(&GroupId::new(*group)) else {
            return Err(ServiceError::invalid(format!(
                "mod_groups: the user is not in group {group}; use add_groups"
            )));
        };
        *held = group_role(role.0);
    }
    if was_admin
        && !has_role(&user, account, AccountRole::Administrator)
        && !other_administrator(state, account, id)
    {
        return Err(last_administrator(account));
    }
    Ok(user)
}

fn plan_leave(state: &State, caller: &Caller, id: UserId) -> ServiceResult<User> {
    let me = caller.user()?;
    let account = caller.account()?;
    let mut user = find(state, caller, id)?.clone();
    if !user.memberships.contains_key(&account) {
        return Err(ServiceError::not_found(ObjectKind::AccountMember, id));
    }
    if me != id && !administers(state, caller, Some(account), &user) {
        return Err(ServiceError::Forbidden(
            "only the user and the account's administrators may remove a user from it".into(),
        ));
    }
    if has_role(&user, account, AccountRole::Administrator)
        && !other_administrator(state, account, id)
    {
        return Err(last_administrator(account));
    }
    user.memberships.remove(&account);
    Ok(user)
}

fn plan_delete_self(state: &State, caller: &Caller) -> ServiceResult<User> {
    let id = caller.user()?;
    let user = state.user(id).ok_or_else(|| not_found(id))?;
    if user.sysadmin && !state.users().any(|u| u.sysadmin && u.id != id) {
        return Err(ServiceError::Conflict(
            "the last sysadmin cannot be deleted".into(),
        ));
    }
    let orphaned = user.memberships.keys().find(|a| {
        has_role(user, **a, AccountRole::Administrator) && !other_administrator(state, **a, id)
    });
    if let Some(account) = orphaned {
        return Err(last_administrator(*account));
    }
    Ok(user.clone())
}

fn has_role(user: &User, account: AccountId, role: AccountRole) -> bool {
    user.memberships
        .get(&account)
        .is_some_and(|m| m.roles.contains(&role))
}

fn other_administrator(state: &State, account: AccountId, except: UserId) -> bool {
    state
        .users()
        .any(|u| u.id != except && has_role(u, account, AccountRole::Administrator))
}

fn last_administrator(account: AccountId) -> ServiceError {
    ServiceError::Conflict(format!(
        "account {account} would be left without an administrator; name another administrator or delete the account first"
    ))
}

/// A group of `account`, or 400 naming it.
fn group_of(state: &State, account: AccountId, group: Uuid) -> ServiceResult<GroupId> {
    let group = GroupId::new(group);
    match state.group(group) {
        Some(g) if g.account == account => Ok(group),
        _ => Err(ServiceError::invalid(format!(
            "group {group} is not a group of this account"
        ))),
    }
}

/// Account roles from `account_role` flags; state flags are ignored, and no role means member.
fn roles(flags: Option<&[wire::UserAccountFlag]>) -> BTreeSet<AccountRole> {
    let roles: BTreeSet<AccountRole> = flags
        .unwrap_or_default()
        .iter()
        .filter_map(|flag| match flag {
            wire::UserAccountFlag::AccountAdministrator => Some(AccountRole::Administrator),
            wire::UserAccountFlag::AccountMember => Some(AccountRole::Member),
            wire::UserAccountFlag::AccountAuditor => Some(AccountRole::Auditor),
            wire::UserAccountFlag::StateEnabled | wire::UserAccountFlag::PendingInvite => None,
        })
        .collect();
    if roles.is_empty() {
        BTreeSet::from([AccountRole::Member])
    } else {
        roles
    }
}

fn group_role(role: wire::UserGroupRole) -> GroupRole {
    match role {
        wire::UserGroupRole::GroupAdministrator => GroupRole::Administrator,
        wire::UserGroupRole::GroupAuditor => GroupRole::Auditor,
    }
}

fn wire_group_role(role: GroupRole) -> wire::UserGroupRole {
    match role {
        GroupRole::Administrator => wire::UserGroupRole::GroupAdministrator,
        GroupRole::Auditor => wire::UserGroupRole::GroupAuditor,
    }
}

/// A login email: trimmed, `local@domain`, at most 254 characters, without spaces, control
/// characters or `:` (Basic credentials split at the first colon).
fn checked_email(email: &str) -> ServiceResult<String> {
    let email = email.trim();
    let shaped = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    });
    let clean = !email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ':');
    if !shaped || !clean || email.len() > 254 {
        return Err(ServiceError::invalid(
            "user_email must be an email address (local@domain, no spaces or ':')",
        ));
    }
    Ok(email.to_owned())
}

/// The password hash of an invited user: a random password nobody learns, under the marker salt.
fn invitation_hash() -> anyhow::Result<String> {
    let password = passwords::generate()?;
    coffer_crypto::hash_password_with_salt(&password, INVITATION_SALT)
        .map_err(|e| anyhow::anyhow!("hashing an invitation password: {e}"))
}

/// Runs password work on the node's bounded password pool.
async fn hashing<T: Send + 'static>(
    node: &Node,
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> ServiceResult<T> {
    node.passwords
        .run(work)
        .await?
        .map_err(ServiceError::Internal)
}

#[cfg(test)]
mod tests;
