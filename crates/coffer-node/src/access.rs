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
    /// Read key material: export, and the value of OPAQUE objects. Apps need the EXPORT
    /// permission in the group; users the administrator role of the group or of the account;
    /// auditors and sysadmins outside the account never have it.
    Export,
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
            .is_some_and(|permissions| match right {
                Right::Read => true,
                Right::Manage => permissions.contains(&AppPermission::Manage),
                Right::Export => permissions.contains(&AppPermission::Export),
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

/// Checks that the caller may read `key`'s material: the key allows EXPORT (and was never
/// created without it), and the caller has the [`Right::Export`] on its group. Keys the caller
/// cannot even see are reported as absent.
pub fn export_key(state: &State, caller: &Caller, key: &Sobject) -> Result<(), ServiceError> {
    read_key(state, caller, key)?;
    if key.never_exportable || !key.key_ops.contains(&KeyOperation::Export) {
        return Err(ServiceError::Forbidden(
            "the key does not allow EXPORT".into(),
        ));
    }
    if !on_group(state, caller, key.group, Right::Export) {
        return Err(ServiceError::Forbidden(match caller.principal {
            Principal::App(_) => "the app lacks the EXPORT permission in the key's group".into(),
            Principal::User(_) => {
                "exporting needs the administrator role of the key's group or account".into()
            }
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Failure;
    use crate::fixtures::*;
    use coffer_core::{Creator, KeyId, KeyOrigin, KeyState, ObjectType, Sealed, UnixTime, UserId};
    use std::collections::{BTreeMap, BTreeSet};

    fn exportable_key(group: GroupId) -> Sobject {
        Sobject {
            id: KeyId::from_u128(100),
            account: ACCOUNT,
            group,
            name: Some("exportable".into()),
            description: None,
            obj_type: ObjectType::Aes,
            key_size: Some(256),
            curve: None,
            key_ops: BTreeSet::from([
                KeyOperation::Encrypt,
                KeyOperation::Decrypt,
                KeyOperation::Export,
            ]),
            enabled: true,
            state: KeyState::Active,
            origin: KeyOrigin::Generated,
            created_at: UnixTime(0),
            creator: Creator::User(UserId::from_u128(0)),
            custom_metadata: BTreeMap::new(),
            public_key: None,
            material: Some(Sealed([&[0, 0, 0, 1][..], &[0; 60]].concat())),
            never_exportable: false,
            activation_date: Some(UnixTime(0)),
            deactivation_date: None,
            revocation: None,
            replacement: None,
            replaced: None,
            rsa_policy: None,
        }
    }

    fn outcome(world: &World, caller: &Caller, key: &Sobject) -> Result<(), Failure> {
        export_key(&world.state, caller, key).map_err(|e| e.failure())
    }

    #[test]
    fn only_group_and_account_administrators_and_exporting_apps_read_key_material() {
        let mut world = World::new();
        let group = world.group(10, ACCOUNT);
        let key = exportable_key(group);
        let account_admin = world.user(20, &[AccountRole::Administrator], &[]);
        let group_admin = world.user(
            21,
            &[AccountRole::Member],
            &[(group, GroupRole::Administrator)],
        );
        let group_auditor = world.user(22, &[AccountRole::Member], &[(group, GroupRole::Auditor)]);
        let account_auditor = world.user(23, &[AccountRole::Auditor], &[]);
        let outsider_sysadmin = world.user(24, &[], &[]);
        let app = world.app(30, ACCOUNT, &[group]);

        assert_eq!(outcome(&world, &user_caller(account_admin), &key), Ok(()));
        assert_eq!(outcome(&world, &user_caller(group_admin), &key), Ok(()));
        assert_eq!(outcome(&world, &app_caller(app), &key), Ok(()));
        // They may see the key, but not its material.
        for reader in [group_auditor, account_auditor] {
            assert_eq!(
                read_key(&world.state, &user_caller(reader), &key).map_err(|e| e.failure()),
                Ok(())
            );
            assert_eq!(
                outcome(&world, &user_caller(reader), &key),
                Err(Failure::Forbidden)
            );
        }
        let sysadmin = sysadmin_caller(outsider_sysadmin);
        assert_eq!(
            read_key(&world.state, &sysadmin, &key).map_err(|e| e.failure()),
            Ok(())
        );
        assert_eq!(outcome(&world, &sysadmin, &key), Err(Failure::Forbidden));
    }

    #[test]
    fn an_app_needs_the_export_permission_in_the_group() {
        let mut world = World::new();
        let group = world.group(10, ACCOUNT);
        let key = exportable_key(group);
        let app = world.app(30, ACCOUNT, &[group]);
        let mut record = world.state.app(app).cloned().expect("the app");
        record.groups.insert(
            group,
            BTreeSet::from([AppPermission::Encrypt, AppPermission::Decrypt]),
        );
        world.apply(coffer_core::Command::UpdateApp {
            app: record,
            new_credentials: false,
        });
        assert_eq!(
            outcome(&world, &app_caller(app), &key),
            Err(Failure::Forbidden)
        );
    }

    #[test]
    fn a_key_without_export_or_created_without_it_never_gives_its_material() {
        let mut world = World::new();
        let group = world.group(10, ACCOUNT);
        let admin = world.user(20, &[AccountRole::Administrator], &[]);
        let mut key = exportable_key(group);
        key.key_ops.remove(&KeyOperation::Export);
        assert_eq!(
            outcome(&world, &user_caller(admin), &key),
            Err(Failure::Forbidden)
        );
        let mut key = exportable_key(group);
        key.never_exportable = true;
        assert_eq!(
            outcome(&world, &user_caller(admin), &key),
            Err(Failure::Forbidden)
        );
    }
}
