//! Accounts: list, read, create, update, delete; and the caller's standing in an account, which
//! every administrative use case (groups, apps, users, audit logs) decides on.
//!
//! A sysadmin may look into every account (as an auditor would) and may change or delete any
//! account, but manages groups, apps and users only where they are an account administrator.

use super::convert;
use crate::caller::{Caller, Principal};
use crate::error::{ObjectKind, ServiceError, ServiceResult};
use crate::{Node, now};
use coffer_api as wire;
use coffer_core::{Account, AccountId, AccountRole, Command, Membership, State, UserId};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the caller may do in one account's administration, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// Not a member (and not a sysadmin): the account is invisible.
    Outsider,
    /// A member without account-wide rights: sees the account, its users and its own groups.
    Member,
    /// Reads everything in the account: account auditors, and sysadmins.
    Auditor,
    /// Manages everything in the account.
    Administrator,
}

/// The caller's standing in `account`. Apps have none: administration needs a user session.
pub fn standing(state: &State, caller: &Caller, account: AccountId) -> Standing {
    let Principal::User(user) = caller.principal else {
        return Standing::Outsider;
    };
    let by_role = match membership(state, user, account) {
        Some(m) if m.roles.contains(&AccountRole::Administrator) => Standing::Administrator,
        Some(m) if m.roles.contains(&AccountRole::Auditor) => Standing::Auditor,
        Some(_) => Standing::Member,
        None => Standing::Outsider,
    };
    let by_flag = if caller.sysadmin && state.account(account).is_some() {
        Standing::Auditor
    } else {
        Standing::Outsider
    };
    by_role.max(by_flag)
}

/// A user's membership in an account.
pub fn membership(state: &State, user: UserId, account: AccountId) -> Option<&Membership> {
    state.user(user).and_then(|u| u.memberships.get(&account))
}

/// The 404 for an account the caller may not see.
pub fn not_found(id: AccountId) -> ServiceError {
    ServiceError::not_found(ObjectKind::Account, id)
}

/// A display name from a request: present, not blank, at most 4096 characters.
pub fn checked_name(field: &str, name: Option<String>) -> ServiceResult<String> {
    let name = name.ok_or_else(|| ServiceError::invalid(format!("{field} is required")))?;
    if name.trim().is_empty() || name.len() > 4096 {
        return Err(ServiceError::invalid(format!(
            "{field} must be 1 to 4096 characters and not blank"
        )));
    }
    Ok(name)
}

/// The accounts the caller can see (`GET /sys/v1/accounts`): every one for sysadmins, the
/// caller's memberships otherwise.
pub fn list(node: &Node, caller: &Caller) -> ServiceResult<Vec<Account>> {
    let user = caller.user()?;
    let state = node.cluster.state();
    let state = state.read();
    let accounts = state
        .accounts()
        .filter(|a| caller.sysadmin || membership(&state, user, a.id).is_some())
        .cloned()
        .collect();
    Ok(accounts)
}

/// One account, if the caller can see it.
pub fn get(node: &Node, caller: &Caller, id: AccountId) -> ServiceResult<Account> {
    caller.user()?;
    let state = node.cluster.state();
    let state = state.read();
    visible(&state, caller, id).cloned()
}

/// How many objects an account holds (`with_totals=true`).
pub fn totals(node: &Node, id: AccountId) -> wire::ObjectCounts {
    let state = node.cluster.state();
    let state = state.read();
    wire::ObjectCounts {
        groups: state.groups_of(id).count() as u64,
        apps: state.apps_of(id).count() as u64,
        users: state
            .users()
            .filter(|u| u.memberships.contains_key(&id))
            .count() as u64,
        plugins: 0,
        sobjects: state.sobjects_of(id).count() as u64,
    }
}

/// Creates an account (`POST /sys/v1/accounts`); any user may, and becomes its administrator.
pub async fn create(
    node: &Node,
    caller: &Caller,
    request: wire::AccountRequest,
) -> ServiceResult<Account> {
    let user = caller.user()?;
    refuse_unsupported(&request)?;
    let mut account = Account::new(
        AccountId::new(Uuid::new_v4()),
        checked_name("name", request.name)?,
        now(),
    );
    account.description = request.description;
    account.enabled = request.enabled.unwrap_or(true);
    account.custom_metadata = request.custom_metadata.unwrap_or_default();
    node.propose(Command::CreateAccountWithAdministrator {
        account: account.clone(),
        administrator: user,
    })
    .await?;
    Ok(account)
}

/// Applies a partial update (`PATCH /sys/v1/accounts/{id}`): account administrators and sysadmins.
pub async fn update(
    node: &Node,
    caller: &Caller,
    id: AccountId,
    request: wire::AccountRequest,
) -> ServiceResult<Account> {
    refuse_unsupported(&request)?;
    let mut account = managed(node, caller, id)?;
    if request.name.is_some() {
        account.name = checked_name("name", request.name)?;
    }
    if let Some(description) = request.description {
        account.description = Some(description);
    }
    if let Some(enabled) = request.enabled {
        account.enabled = enabled;
    }
    if let Some(metadata) = request.custom_metadata {
        account.custom_metadata = metadata;
    }
    node.propose(Command::UpdateAccount(account.clone()))
        .await?;
    Ok(account)
}

/// Deletes an account with everything in it (`DELETE /sys/v1/accounts/{id}`).
pub async fn delete(node: &Node, caller: &Caller, id: AccountId) -> ServiceResult<Account> {
    let account = managed(node, caller, id)?;
    node.propose(Command::DeleteAccount(id)).await?;
    Ok(account)
}

/// The wire form of an account.
pub fn view(account: &Account, totals: Option<wire::ObjectCounts>) -> wire::Account {
    wire::Account {
        acct_id: account.id.uuid(),
        name: account.name.clone(),
        enabled: account.enabled,
        subscription: wire::SubscriptionType::OnPrem,
        logging_configs: BTreeMap::new(),
        description: account.description.clone(),
        organization: None,
        country: None,
        phone: None,
        notification_pref: None,
        auth_config: None,
        created_at: Some(convert::time(account.created_at)),
        initial_purchase_at: None,
        custom_metadata: (!account.custom_metadata.is_empty())
            .then(|| account.custom_metadata.clone()),
        approval_policy: None,
        parent_acct_id: None,
        totals,
        state: Some(if account.enabled {
            wire::AccountState::Activated
        } else {
            wire::AccountState::Disabled
        }),
        auth_type: Some(wire::AccountAuthType::Fortanix),
    }
}

/// The account, if the caller can see it; 404 otherwise.
fn visible<'s>(state: &'s State, caller: &Caller, id: AccountId) -> ServiceResult<&'s Account> {
    let account = state.account(id).ok_or_else(|| not_found(id))?;
    if standing(state, caller, id) == Standing::Outsider {
        return Err(not_found(id));
    }
    Ok(account)
}

/// The account, if the caller may change it: its administrators and sysadmins.
fn managed(node: &Node, caller: &Caller, id: AccountId) -> ServiceResult<Account> {
    caller.user()?;
    let state = node.cluster.state();
    let state = state.read();
    let account = visible(&state, caller, id)?;
    if !may_manage(&state, caller, id) {
        return Err(ServiceError::Forbidden(
            "only account administrators and sysadmins may change an account".into(),
        ));
    }
    Ok(account.clone())
}

fn may_manage(state: &State, caller: &Caller, id: AccountId) -> bool {
    caller.sysadmin || standing(state, caller, id) == Standing::Administrator
}

/// Settings Coffer does not enforce are refused rather than silently dropped.
fn refuse_unsupported(request: &wire::AccountRequest) -> ServiceResult<()> {
    if request.approval_policy.is_some() {
        return Err(ServiceError::invalid(
            "approval_policy: quorum approval is not supported",
        ));
    }
    if request
        .auth_config
        .as_ref()
        .and_then(|c| c.password)
        .is_some_and(|p| p.require_2fa)
    {
        return Err(ServiceError::invalid(
            "auth_config.password.require_2fa: two-factor authentication is not supported",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn standing_follows_the_strongest_account_role() {
        let mut world = World::new();
        let admin = world.user(10, &[AccountRole::Member, AccountRole::Administrator], &[]);
        let auditor = world.user(11, &[AccountRole::Auditor], &[]);
        let member = world.user(12, &[AccountRole::Member], &[]);
        let stranger = world.user(13, &[], &[]);
        let state = &world.state;
        assert_eq!(
            standing(state, &user_caller(admin), ACCOUNT),
            Standing::Administrator
        );
        assert_eq!(
            standing(state, &user_caller(auditor), ACCOUNT),
            Standing::Auditor
        );
        assert_eq!(
            standing(state, &user_caller(member), ACCOUNT),
            Standing::Member
        );
        assert_eq!(
            standing(state, &user_caller(stranger), ACCOUNT),
            Standing::Outsider
        );
        assert_eq!(
            standing(state, &user_caller(admin), OTHER),
            Standing::Outsider
        );
    }

    #[test]
    fn sysadmins_audit_every_account_but_administer_only_their_own() {
        let mut world = World::new();
        let member = world.user(20, &[AccountRole::Member], &[]);
        let admin = world.user(21, &[AccountRole::Administrator], &[]);
        let state = &world.state;
        assert_eq!(
            standing(state, &sysadmin_caller(member), ACCOUNT),
            Standing::Auditor
        );
        assert_eq!(
            standing(state, &sysadmin_caller(member), OTHER),
            Standing::Auditor
        );
        assert_eq!(
            standing(state, &sysadmin_caller(admin), ACCOUNT),
            Standing::Administrator
        );
        assert_eq!(
            standing(state, &sysadmin_caller(member), AccountId::from_u128(99)),
            Standing::Outsider
        );
        assert!(may_manage(state, &sysadmin_caller(member), OTHER));
        assert!(!may_manage(state, &user_caller(member), ACCOUNT));
        assert!(may_manage(state, &user_caller(admin), ACCOUNT));
    }

    #[test]
    fn apps_have_no_standing_in_any_account() {
        let mut world = World::new();
        let app = world.app(30, ACCOUNT, &[]);
        assert_eq!(
            standing(&world.state, &app_caller(app), ACCOUNT),
            Standing::Outsider
        );
        assert!(visible(&world.state, &app_caller(app), ACCOUNT).is_err());
    }

    #[test]
    fn names_must_be_present_and_not_blank() {
        assert_eq!(
            checked_name("name", Some("ops".into())).ok().as_deref(),
            Some("ops")
        );
        for bad in [
            None,
            Some(String::new()),
            Some("   ".into()),
            Some("x".repeat(4097)),
        ] {
            let error = checked_name("name", bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.starts_with("name "), "{error}");
        }
    }

    #[test]
    fn unenforced_settings_are_refused() {
        let mut request = wire::AccountRequest {
            approval_policy: Some(serde_json::json!({"quorum": {}})),
            ..Default::default()
        };
        assert!(refuse_unsupported(&request).is_err());
        request.approval_policy = None;
        assert!(refuse_unsupported(&request).is_ok());
        request.auth_config = Some(wire::AuthConfig {
            password: Some(wire::AuthConfigPassword {
                require_2fa: true,
                administrators_only: false,
            }),
        });
        assert!(refuse_unsupported(&request).is_err());
    }

    #[test]
    fn the_wire_form_carries_the_fields_clients_require() {
        let mut account = Account::new(ACCOUNT, "payments", coffer_core::UnixTime(1_700_000_000));
        account.enabled = false;
        let json = serde_json::to_value(view(&account, None)).expect("an account serializes");
        assert_eq!(json["subscription"], "on_prem");
        assert_eq!(json["logging_configs"], serde_json::json!({}));
        assert_eq!(json["enabled"], false);
        assert_eq!(json["acct_id"], ACCOUNT.to_string());
        assert_eq!(json["created_at"], "20231114T221320Z");
    }
}
