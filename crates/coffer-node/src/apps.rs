//! Apps: list, read, create, update, delete, read back and reset the secret.
//!
//! An app authenticates with a secret (its API key), or — given `credential: {"certificate":
//! "<b64 DER>"}` on create or update — with that client certificate over the mutual-TLS
//! interface (DSM's `Certificate` apps). Only the certificate's fingerprint takes part in
//! authentication; who issued it does not matter.
//!
//! Users who may read the whole account see every app in it; other members see the apps of
//! their groups. An app is administered by the account's administrators, and by a user who
//! administers every group the app is in (so nobody reaches, through an app's secret, keys of a
//! group they do not administer).

use super::accounts::{self, Standing};
use super::{convert, groups};
use crate::app_secrets::{DEFAULT_SECRET_SIZE, MAX_SECRET_SIZE, generate_secret};
use crate::caller::{Caller, Principal};
use crate::error::{ObjectKind, ServiceError, ServiceResult};
use crate::vault::Purpose;
use crate::{Node, now};
use coffer_api as wire;
use coffer_core::{App, AppId, AppPermission, Command, Creator, GroupId, Sealed, State, UnixTime};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The largest page `GET /sys/v1/apps` returns.
const MAX_LIMIT: u64 = 1000;
/// The page size when the request names none.
const DEFAULT_LIMIT: u64 = 100;
/// The smallest secret size a request may ask for, in bytes.
const MIN_SECRET_SIZE: usize = 16;

/// The apps the caller can see, filtered, sorted and paged as `GET /sys/v1/apps` asks.
pub fn list(
    node: &Node,
    caller: &Caller,
    params: &wire::ListAppsParams,
) -> ServiceResult<Vec<App>> {
    let state = node.cluster.state();
    let state = state.read();
    select(&state, caller, params)
}

/// One app, if the caller can see it.
pub fn get(node: &Node, caller: &Caller, id: AppId) -> ServiceResult<App> {
    let state = node.cluster.state();
    let state = state.read();
    find(&state, caller, id).cloned()
}

/// Creates an app (`POST /sys/v1/apps`) with a generated or given secret, or with the client
/// certificate the request gives. The secret is not returned: clients fetch it with
/// [`credential`].
pub async fn create(node: &Node, caller: &Caller, request: wire::AppRequest) -> ServiceResult<App> {
    let id = AppId::new(Uuid::new_v4());
    let secret = match request.credential {
        Some(wire::AppCredential::Certificate(_)) => None,
        _ => Some(new_secret(
            request.credential.as_ref(),
            request.secret_size,
        )?),
    };
    let draft = {
        let state = node.cluster.state();
        let state = state.read();
        plan_create(&state, caller, request, id)?
    };
    let app = match secret {
        Some(secret) => App {
            secret: node.seal(Purpose::Record(id.uuid()), secret.as_bytes())?,
            secret_digest: node.app_secret_digest(secret.as_bytes())?,
            client_certificate: None,
            ..draft
        },
        None => draft,
    };
    node.propose(Command::CreateApp(app.clone())).await?;
    Ok(app)
}

/// Applies a partial update (`PATCH /sys/v1/apps/{id}`).
pub async fn update(
    node: &Node,
    caller: &Caller,
    id: AppId,
    request: wire::AppRequest,
) -> ServiceResult<App> {
    let app = {
        let state = node.cluster.state();
        let state = state.read();
        plan_update(&state, caller, id, request)?
    };
    node.propose(Command::UpdateApp(app.clone())).await?;
    Ok(app)
}

/// Deletes an app (`DELETE /sys/v1/apps/{id}`).
pub async fn delete(node: &Node, caller: &Caller, id: AppId) -> ServiceResult<App> {
    let app = administered(node, caller, id)?;
    node.propose(Command::DeleteApp(id)).await?;
    Ok(app)
}

/// The app's credential (`GET /sys/v1/apps/{id}/credential`) for one of its administrators: its
/// secret, unsealed, or its client certificate.
pub fn credential(
    node: &Node,
    caller: &Caller,
    id: AppId,
) -> ServiceResult<(App, wire::AppCredential)> {
    let app = administered(node, caller, id)?;
    if let Some((_, der)) = app.certificate() {
        let credential = wire::AppCredential::Certificate(wire::Blob::new(der));
        return Ok((app, credential));
    }
    let secret = node.unseal(Purpose::Record(id.uuid()), &app.secret)?;
    let secret = String::from_utf8(secret.expose().to_vec()).map_err(|_| {
        ServiceError::Internal(anyhow::anyhow!("the stored secret of app {id} is not text"))
    })?;
    Ok((app, wire::AppCredential::Secret(secret)))
}

/// Replaces the app's secret with a new random one (`POST /sys/v1/apps/{id}/reset_secret`).
/// The old secret stops working at once; sessions it opened live on until they expire. An app
/// that authenticated with a client certificate gets a secret instead.
pub async fn reset_secret(
    node: &Node,
    caller: &Caller,
    id: AppId,
    request: wire::ResetSecretRequest,
) -> ServiceResult<App> {
    let secret = new_secret(None, request.secret_size)?;
    let mut app = administered(node, caller, id)?;
    app.secret = node.seal(Purpose::Record(id.uuid()), secret.as_bytes())?;
    app.secret_digest = node.app_secret_digest(secret.as_bytes())?;
    // A certificate app becomes a secret app again.
    app.client_certificate = None;
    node.propose(Command::UpdateApp(app.clone())).await?;
    Ok(app)
}

/// The wire form of an app: `groups` as a list of ids, or as a map of group id to permissions
/// when `group_permissions` is asked for. Never the secret.
pub fn view(app: &App, group_permissions: bool) -> wire::App {
    let groups = if group_permissions {
        wire::AppGroups::Map(
            app.groups
                .iter()
                .map(|(g, p)| (g.uuid(), p.iter().copied().map(wire_permission).collect()))
                .collect(),
        )
    } else {
        wire::AppGroups::List(app.groups.keys().map(|g| g.uuid()).collect())
    };
    wire::App {
        app_id: app.id.uuid(),
        acct_id: app.account.uuid(),
        name: app.name.clone(),
        app_type: app.app_type.clone(),
        created_at: convert::time(app.created_at),
        creator: convert::principal(app.creator),
        enabled: app.enabled,
        groups,
        description: app.description.clone(),
        default_group: app.default_group.map(|g| g.uuid()),
        auth_type: Some(if app.certificate().is_some() {
            wire::AppAuthType::Certificate
        } else {
            wire::AppAuthType::Secret
        }),
        interface: None,
        lastused_at: None,
        oauth_config: None,
        cert_not_after: app
            .certificate()
            .and_then(|(_, der)| parse_certificate(der).ok())
            .map(|(_, not_after)| convert::time(not_after)),
    }
}

/// The SHA-256 fingerprint and expiry of a client certificate (DER), or why it is not one.
fn parse_certificate(der: &[u8]) -> Result<([u8; 32], UnixTime), String> {
    let summary = coffer_crypto::certificate_summary(der).map_err(|e| match e {
        coffer_crypto::CryptoError::InvalidInput(reason) => reason,
        other => other.to_string(),
    })?;
    let not_after = u64::try_from(summary.not_after).unwrap_or(0);
    Ok((summary.fingerprint, UnixTime(not_after)))
}

/// Pins the client certificate of `credential: {"certificate": …}` on `app`.
fn pin_certificate(app: &mut App, der: &[u8]) -> ServiceResult<()> {
    let (fingerprint, _) = parse_certificate(der).map_err(|reason| {
        ServiceError::invalid(format!(
            "credential.certificate: not a DER X.509 certificate ({reason})"
        ))
    })?;
    app.pin_certificate(&fingerprint, der);
    Ok(())
}

fn not_found(id: AppId) -> ServiceError {
    ServiceError::not_found(ObjectKind::App, id)
}

/// The app, if it is in the caller's account and the caller can see it; 404 otherwise.
fn find<'s>(state: &'s State, caller: &Caller, id: AppId) -> ServiceResult<&'s App> {
    state
        .app(id)
        .filter(|a| visible(state, caller, a))
        .ok_or_else(|| not_found(id))
}

fn visible(state: &State, caller: &Caller, app: &App) -> bool {
    let Principal::User(user) = caller.principal else {
        return false;
    };
    if caller.account != Some(app.account) {
        return false;
    }
    if accounts::standing(state, caller, app.account) >= Standing::Auditor {
        return true;
    }
    accounts::membership(state, user, app.account)
        .is_some_and(|m| app.groups.keys().any(|g| m.groups.contains_key(g)))
}

/// True when the caller administers the app: an account administrator, or the administrator of
/// every group the app is in (an app in no group belongs to the account administrators alone).
fn administers(state: &State, caller: &Caller, app: &App) -> bool {
    accounts::standing(state, caller, app.account) == Standing::Administrator
        || (!app.groups.is_empty()
            && app
                .groups
                .keys()
                .all(|g| administers_group(state, caller, *g)))
}

fn administers_group(state: &State, caller: &Caller, group: GroupId) -> bool {
    state
        .group(group)
        .is_some_and(|g| groups::administers(state, caller, g))
}

/// The app, if the caller administers it.
fn administered(node: &Node, caller: &Caller, id: AppId) -> ServiceResult<App> {
    let state = node.cluster.state();
    let state = state.read();
    let app = find(&state, caller, id)?;
    if !administers(&state, caller, app) {
        return Err(ServiceError::Forbidden(
            "only account administrators and administrators of all the app's groups may manage it"
                .into(),
        ));
    }
    Ok(app.clone())
}

fn select(
    state: &State,
    caller: &Caller,
    params: &wire::ListAppsParams,
) -> ServiceResult<Vec<App>> {
    caller.user()?;
    let account = caller.account()?;
    let by_name = match params.sort.as_ref().map(|s| s.field.as_str()) {
        None | Some("app_id") => false,
        Some("name") => true,
        Some(other) => {
            return Err(ServiceError::invalid(format!(
                "sort: apps sort by app_id or name, not {other}"
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
    let sort_key = |a: &&App| {
        if by_name {
            a.name.clone()
        } else {
            a.id.to_string()
        }
    };
    let mut apps: Vec<&App> = state
        .apps_of(account)
        .filter(|a| visible(state, caller, a))
        .filter(|a| {
            params
                .group_id
                .is_none_or(|g| a.groups.contains_key(&GroupId::new(g)))
        })
        .collect();
    apps.sort_by_key(sort_key);
    if descending {
        apps.reverse();
    }
    if let Some(start) = &params.start {
        apps.retain(|a| {
            if descending {
                sort_key(a) < *start
            } else {
                sort_key(a) > *start
            }
        });
    }
    let offset = usize::try_from(params.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    Ok(apps
        .into_iter()
        .skip(offset)
        .take(limit as usize)
        .cloned()
        .collect())
}

/// The new app's record, without its secret.
fn plan_create(
    state: &State,
    caller: &Caller,
    request: wire::AppRequest,
    id: AppId,
) -> ServiceResult<App> {
    let user = caller.user()?;
    let account = caller.account()?;
    refuse_unsupported(&request)?;
    let groups = request
        .add_groups
        .as_ref()
        .map(requested_groups)
        .unwrap_or_default();
    check_groups(state, caller, groups.keys())?;
    let is_admin = accounts::standing(state, caller, account) == Standing::Administrator;
    if !is_admin
        && (groups.is_empty() || !groups.keys().all(|g| administers_group(state, caller, *g)))
    {
        return Err(ServiceError::Forbidden(
            "only account administrators and administrators of every group named may create apps"
                .into(),
        ));
    }
    let default_group = match request.default_group.map(GroupId::new) {
        Some(group) => Some(group),
        None if groups.len() == 1 => groups.keys().next().copied(),
        None => None,
    };
    let mut app = App {
        id,
        account,
        name: accounts::checked_name("name", request.name)?,
        description: request.description,
        app_type: request.app_type.unwrap_or_else(|| "default".into()),
        created_at: now(),
        creator: Creator::User(user),
        enabled: request.enabled.unwrap_or(true),
        groups,
        default_group,
        secret: Sealed(Vec::new()),
        secret_digest: Vec::new(),
        client_certificate: None,
    };
    if let Some(wire::AppCredential::Certificate(der)) = &request.credential {
        pin_certificate(&mut app, &der.0)?;
    }
    check_default_group(&app)?;
    Ok(app)
}

fn plan_update(
    state: &State,
    caller: &Caller,
    id: AppId,
    request: wire::AppRequest,
) -> ServiceResult<App> {
    caller.user()?;
    let mut app = find(state, caller, id)?.clone();
    if !administers(state, caller, &app) {
        return Err(ServiceError::Forbidden(
            "only account administrators and administrators of all the app's groups may change it"
                .into(),
        ));
    }
    refuse_unsupported(&request)?;
    match &request.credential {
        Some(wire::AppCredential::Certificate(der)) if request.secret_size.is_none() => {
            pin_certificate(&mut app, &der.0)?;
        }
        None if request.secret_size.is_none() => {}
        _ => {
            return Err(ServiceError::invalid(
                "credential: use POST /sys/v1/apps/{id}/reset_secret to change the secret",
            ));
        }
    }
    if request.name.is_some() {
        app.name = accounts::checked_name("name", request.name)?;
    }
    if let Some(description) = request.description {
        app.description = Some(description);
    }
    if let Some(enabled) = request.enabled {
        app.enabled = enabled;
    }
    if let Some(app_type) = request.app_type {
        app.app_type = app_type;
    }
    let added = request
        .add_groups
        .as_ref()
        .map(requested_groups)
        .unwrap_or_default();
    let modified = request
        .mod_groups
        .as_ref()
        .map(requested_groups)
        .unwrap_or_default();
    check_groups(state, caller, added.keys().chain(modified.keys()))?;
    let is_admin = accounts::standing(state, caller, app.account) == Standing::Administrator;
    if !is_admin
        && !added
            .keys()
            .chain(modified.keys())
            .all(|g| administers_group(state, caller, *g))
    {
        return Err(ServiceError::Forbidden(
            "only administrators of a group may add apps to it".into(),
        ));
    }
    for group in request.del_groups.iter().flatten() {
        app.groups.remove(&GroupId::new(*group));
    }
    app.groups.extend(added);
    for (group, permissions) in modified {
        let Some(held) = app.groups.get_mut(&group) else {
            return Err(ServiceError::invalid(format!(
                "mod_groups: the app is not in group {group}; use add_groups"
            )));
        };
        *held = permissions;
    }
    if let Some(group) = request.default_group {
        app.default_group = Some(GroupId::new(group));
    } else if app
        .default_group
        .is_some_and(|g| !app.groups.contains_key(&g))
    {
        app.default_group = app.groups.keys().next().copied();
    }
    check_default_group(&app)?;
    Ok(app)
}

/// Groups and permissions as a request gives them: a plain list of ids, or a map whose empty
/// (`null`) entries mean every permission.
fn requested_groups(
    request: &wire::AppGroupsRequest,
) -> BTreeMap<GroupId, BTreeSet<AppPermission>> {
    request
        .groups
        .iter()
        .map(|(group, permissions)| {
            let permissions = match permissions {
                Some(listed) => listed.iter().copied().map(permission).collect(),
                None => AppPermission::ALL.into_iter().collect(),
            };
            (GroupId::new(*group), permissions)
        })
        .collect()
}

/// Every group named must exist in the caller's account.
fn check_groups<'g>(
    state: &State,
    caller: &Caller,
    named: impl Iterator<Item = &'g GroupId>,
) -> ServiceResult<()> {
    for group in named {
        if state
            .group(*group)
            .is_none_or(|g| Some(g.account) != caller.account)
        {
            return Err(ServiceError::invalid(format!(
                "group {group} is not a group of this account"
            )));
        }
    }
    Ok(())
}

fn check_default_group(app: &App) -> ServiceResult<()> {
    match app.default_group {
        Some(group) if !app.groups.contains_key(&group) => Err(ServiceError::invalid(format!(
            "default_group: {group} is not one of the app's groups"
        ))),
        _ => Ok(()),
    }
}

/// The secret a new app gets: the one the request gives, or `secret_size` random bytes.
fn new_secret(
    credential: Option<&wire::AppCredential>,
    secret_size: Option<u32>,
) -> ServiceResult<String> {
    match credential {
        Some(wire::AppCredential::Secret(secret)) => {
            // The API key is base64(app_id:secret), split at the first colon by the clients.
            if secret.len() < MIN_SECRET_SIZE
                || secret.len() > 4 * MAX_SECRET_SIZE
                || secret.contains(':')
            {
                return Err(ServiceError::invalid(format!(
                    "credential.secret must be {MIN_SECRET_SIZE} to {} characters without ':'",
                    4 * MAX_SECRET_SIZE
                )));
            }
            Ok(secret.clone())
        }
        Some(_) => Err(ServiceError::invalid(
            "credential: only secret credentials are supported",
        )),
        None => {
            let size = secret_size.map_or(DEFAULT_SECRET_SIZE, |s| s as usize);
            if !(MIN_SECRET_SIZE..=MAX_SECRET_SIZE).contains(&size) {
                return Err(ServiceError::invalid(format!(
                    "secret_size must be {MIN_SECRET_SIZE} to {MAX_SECRET_SIZE}"
                )));
            }
            generate_secret(size).map_err(ServiceError::Internal)
        }
    }
}

fn refuse_unsupported(request: &wire::AppRequest) -> ServiceResult<()> {
    if request.oauth_config.is_some() {
        return Err(ServiceError::invalid(
            "oauth_config: OAuth apps are not supported",
        ));
    }
    Ok(())
}

fn permission(p: wire::AppPermission) -> AppPermission {
    match p {
        wire::AppPermission::Sign => AppPermission::Sign,
        wire::AppPermission::Verify => AppPermission::Verify,
        wire::AppPermission::Encrypt => AppPermission::Encrypt,
        wire::AppPermission::Decrypt => AppPermission::Decrypt,
        wire::AppPermission::WrapKey => AppPermission::WrapKey,
        wire::AppPermission::UnwrapKey => AppPermission::UnwrapKey,
        wire::AppPermission::DeriveKey => AppPermission::DeriveKey,
        wire::AppPermission::MacGenerate => AppPermission::MacGenerate,
        wire::AppPermission::MacVerify => AppPermission::MacVerify,
        wire::AppPermission::Export => AppPermission::Export,
        wire::AppPermission::Manage => AppPermission::Manage,
        wire::AppPermission::AgreeKey => AppPermission::AgreeKey,
        wire::AppPermission::MaskDecrypt => AppPermission::MaskDecrypt,
    }
}

fn wire_permission(p: AppPermission) -> wire::AppPermission {
    match p {
        AppPermission::Sign => wire::AppPermission::Sign,
        AppPermission::Verify => wire::AppPermission::Verify,
        AppPermission::Encrypt => wire::AppPermission::Encrypt,
        AppPermission::Decrypt => wire::AppPermission::Decrypt,
        AppPermission::WrapKey => wire::AppPermission::WrapKey,
        AppPermission::UnwrapKey => wire::AppPermission::UnwrapKey,
        AppPermission::DeriveKey => wire::AppPermission::DeriveKey,
        AppPermission::MacGenerate => wire::AppPermission::MacGenerate,
        AppPermission::MacVerify => wire::AppPermission::MacVerify,
        AppPermission::Export => wire::AppPermission::Export,
        AppPermission::Manage => wire::AppPermission::Manage,
        AppPermission::AgreeKey => wire::AppPermission::AgreeKey,
        AppPermission::MaskDecrypt => wire::AppPermission::MaskDecrypt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Failure;
    use crate::fixtures::*;
    use coffer_core::{AccountRole, GroupRole};

    fn request(json: serde_json::Value) -> wire::AppRequest {
        serde_json::from_value(json).expect("a valid app request")
    }

    fn status<T>(result: ServiceResult<T>) -> Option<Failure> {
        result.err().map(|e| e.failure())
    }

    #[test]
    fn groups_render_as_a_list_or_as_a_permission_map() {
        let mut world = World::new();
        let group = world.group(100, ACCOUNT);
        let id = world.app(200, ACCOUNT, &[group]);
        let mut app = world.state.app(id).cloned().expect("the app exists");
        app.groups.insert(
            group,
            BTreeSet::from([AppPermission::Encrypt, AppPermission::Decrypt]),
        );
        let list = serde_json::to_value(view(&app, false)).expect("serializes");
        assert_eq!(list["groups"], serde_json::json!([group.to_string()]));
        let map = serde_json::to_value(view(&app, true)).expect("serializes");
        assert_eq!(
            map["groups"],
            serde_json::json!({ group.to_string(): ["ENCRYPT", "DECRYPT"] })
        );
        assert_eq!(map["default_group"], group.to_string());
        assert!(map.get("secret").is_none() && map.get("credential").is_none());
    }

    #[test]
    fn add_groups_as_a_list_grant_every_permission_and_as_a_map_what_is_listed() {
        let mut world = World::new();
        let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let listed =
            request(serde_json::json!({"name": "x", "add_groups": [a.to_string(), b.to_string()]}));
        let app = plan_create(
            &world.state,
            &user_caller(admin),
            listed,
            AppId::from_u128(9),
        )
        .expect("admins may create");
        assert!(
            app.groups
                .values()
                .all(|p| p.len() == AppPermission::ALL.len())
        );
        assert_eq!(
            app.default_group, None,
            "two groups and no default_group named"
        );
        let mapped = request(
            serde_json::json!({"name": "x", "add_groups": {a.to_string(): ["SIGN"], b.to_string(): null}}),
        );
        let app = plan_create(
            &world.state,
            &user_caller(admin),
            mapped,
            AppId::from_u128(9),
        )
        .expect("admins may create");
        assert_eq!(app.groups[&a], BTreeSet::from([AppPermission::Sign]));
        assert_eq!(app.groups[&b].len(), AppPermission::ALL.len());
        let single = request(serde_json::json!({"name": "x", "add_groups": [a.to_string()]}));
        let app = plan_create(
            &world.state,
            &user_caller(admin),
            single,
            AppId::from_u128(9),
        )
        .expect("admins may create");
        assert_eq!(app.default_group, Some(a));
    }

    #[test]
    fn group_administrators_create_apps_only_in_groups_they_administer() {
        let mut world = World::new();
        let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
        let lead = world.user(
            12,
            &[AccountRole::Member],
            &[(a, GroupRole::Administrator), (b, GroupRole::Auditor)],
        );
        let caller = user_caller(lead);
        let own = request(serde_json::json!({"name": "x", "add_groups": [a.to_string()]}));
        assert!(plan_create(&world.state, &caller, own, AppId::from_u128(9)).is_ok());
        let both =
            request(serde_json::json!({"name": "x", "add_groups": [a.to_string(), b.to_string()]}));
        assert_eq!(
            status(plan_create(
                &world.state,
                &caller,
                both,
                AppId::from_u128(9)
            )),
            Some(Failure::Forbidden)
        );
        let none = request(serde_json::json!({"name": "x"}));
        assert_eq!(
            status(plan_create(
                &world.state,
                &caller,
                none,
                AppId::from_u128(9)
            )),
            Some(Failure::Forbidden)
        );
    }

    #[test]
    fn unknown_groups_and_a_stray_default_group_are_bad_requests() {
        let mut world = World::new();
        let a = world.group(100, ACCOUNT);
        let elsewhere = world.group(102, OTHER);
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let caller = user_caller(admin);
        let foreign =
            request(serde_json::json!({"name": "x", "add_groups": [elsewhere.to_string()]}));
        assert_eq!(
            status(plan_create(
                &world.state,
                &caller,
                foreign,
                AppId::from_u128(9)
            )),
            Some(Failure::Invalid)
        );
        let stray = request(
            serde_json::json!({"name": "x", "add_groups": [a.to_string()], "default_group": elsewhere.to_string()}),
        );
        assert_eq!(
            status(plan_create(
                &world.state,
                &caller,
                stray,
                AppId::from_u128(9)
            )),
            Some(Failure::Invalid)
        );
    }

    #[test]
    fn updates_add_modify_and_remove_groups_and_keep_the_default_valid() {
        let mut world = World::new();
        let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let id = world.app(200, ACCOUNT, &[a]);
        let change = request(serde_json::json!({
            "add_groups": {b.to_string(): ["ENCRYPT"]},
            "del_groups": [a.to_string()],
            "enabled": false,
        }));
        let app = plan_update(&world.state, &user_caller(admin), id, change)
            .expect("admins may change apps");
        assert_eq!(
            app.groups,
            BTreeMap::from([(b, BTreeSet::from([AppPermission::Encrypt]))])
        );
        assert_eq!(app.default_group, Some(b));
        assert!(!app.enabled);
        let stray = request(serde_json::json!({"mod_groups": {b.to_string(): ["SIGN"]}}));
        assert_eq!(
            status(plan_update(&world.state, &user_caller(admin), id, stray)),
            Some(Failure::Invalid)
        );
        let secret = request(serde_json::json!({"credential": {"secret": "0123456789abcdef0123"}}));
        assert_eq!(
            status(plan_update(&world.state, &user_caller(admin), id, secret)),
            Some(Failure::Invalid)
        );
    }

    #[test]
    fn an_app_is_administered_by_whoever_administers_all_its_groups() {
        let mut world = World::new();
        let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
        let lead = world.user(
            12,
            &[AccountRole::Member],
            &[(a, GroupRole::Administrator), (b, GroupRole::Auditor)],
        );
        let auditor = world.user(11, &[AccountRole::Auditor], &[]);
        let in_a = world.app(200, ACCOUNT, &[a]);
        let in_both = world.app(201, ACCOUNT, &[a, b]);
        let in_none = world.app(202, ACCOUNT, &[]);
        let state = &world.state;
        let app = |id| state.app(id).expect("the app exists");
        assert!(administers(state, &user_caller(lead), app(in_a)));
        assert!(!administers(state, &user_caller(lead), app(in_both)));
        assert!(!administers(state, &user_caller(lead), app(in_none)));
        assert!(!administers(state, &user_caller(auditor), app(in_a)));
        assert!(visible(state, &user_caller(lead), app(in_both)));
        assert!(!visible(state, &user_caller(lead), app(in_none)));
        assert!(visible(state, &user_caller(auditor), app(in_none)));
        assert!(
            !visible(state, &app_caller(in_a), app(in_a)),
            "apps do not administer apps"
        );
    }

    #[test]
    fn listing_filters_sorts_and_pages() {
        let mut world = World::new();
        let a = world.group(100, ACCOUNT);
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        for n in 0..5 {
            let groups = if n % 2 == 0 { vec![a] } else { Vec::new() };
            world.app(300 + n, ACCOUNT, &groups);
        }
        world.app(400, OTHER, &[]);
        let caller = user_caller(admin);
        let ids = |params: wire::ListAppsParams| -> Vec<u128> {
            select(&world.state, &caller, &params)
                .expect("listing works")
                .iter()
                .map(|a| a.id.uuid().as_u128())
                .collect()
        };
        assert_eq!(
            ids(wire::ListAppsParams::default()),
            vec![300, 301, 302, 303, 304]
        );
        let in_group = wire::ListAppsParams {
            group_id: Some(a.uuid()),
            ..Default::default()
        };
        assert_eq!(ids(in_group), vec![300, 302, 304]);
        let paged =
            coffer_api::parse_query("sort=app_id:desc&limit=2&offset=1").expect("valid query");
        assert_eq!(ids(paged), vec![303, 302]);
        let after = wire::ListAppsParams {
            start: Some(AppId::from_u128(301).to_string()),
            ..Default::default()
        };
        assert_eq!(ids(after), vec![302, 303, 304]);
        let too_many = wire::ListAppsParams {
            limit: Some(MAX_LIMIT + 1),
            ..Default::default()
        };
        assert_eq!(
            status(select(&world.state, &caller, &too_many)),
            Some(Failure::Invalid)
        );
    }

    /// A real certificate (DER), from the cluster CA maker.
    fn certificate_der() -> Vec<u8> {
        let ca = coffer_crypto::tls::bootstrap_ca("app certificate").expect("a certificate");
        pem::parse(&ca.cert_pem).expect("valid PEM").into_contents()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
    }

    #[test]
    fn a_certificate_credential_pins_the_certificate_and_shows_as_certificate_auth() {
        let mut world = World::new();
        let a = world.group(100, ACCOUNT);
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let der = certificate_der();
        let created = request(serde_json::json!({
            "name": "x",
            "add_groups": [a.to_string()],
            "credential": {"certificate": b64(&der)},
        }));
        let app = plan_create(
            &world.state,
            &user_caller(admin),
            created,
            AppId::from_u128(9),
        )
        .expect("admins may create certificate apps");
        let (fingerprint, pinned) = app.certificate().expect("the certificate is pinned");
        assert_eq!(pinned, der.as_slice());
        assert_eq!(
            fingerprint.as_slice(),
            coffer_crypto::DigestAlgorithm::Sha256.digest(&der)
        );
        let shown = serde_json::to_value(view(&app, false)).expect("serializes");
        assert_eq!(shown["auth_type"], "Certificate");
        assert!(shown["cert_not_after"].is_string(), "{shown}");

        let secret_app = world.app(200, ACCOUNT, &[a]);
        let shown = serde_json::to_value(view(
            world.state.app(secret_app).expect("the app exists"),
            false,
        ))
        .expect("serializes");
        assert_eq!(shown["auth_type"], "Secret");
        assert!(shown.get("cert_not_after").is_none());

        let change = request(serde_json::json!({"credential": {"certificate": b64(&der)}}));
        let updated = plan_update(&world.state, &user_caller(admin), secret_app, change)
            .expect("an update may switch an app to certificate authentication");
        assert_eq!(updated.certificate().map(|(_, d)| d), Some(der.as_slice()));
        assert!(updated.secret.0.is_empty(), "the secret is gone");
    }

    #[test]
    fn a_certificate_that_does_not_parse_is_a_bad_request_naming_the_field() {
        let mut world = World::new();
        let admin = world.user(10, &[AccountRole::Administrator], &[]);
        let id = world.app(200, ACCOUNT, &[]);
        let mut trailing = certificate_der();
        trailing.push(0);
        for bytes in [b"not a certificate".to_vec(), trailing] {
            let bad = serde_json::json!({"credential": {"certificate": b64(&bytes)}});
            let mut created = bad.clone();
            created["name"] = "x".into();
            for result in [
                plan_create(
                    &world.state,
                    &user_caller(admin),
                    request(created),
                    AppId::from_u128(9),
                ),
                plan_update(&world.state, &user_caller(admin), id, request(bad)),
            ] {
                let error = result.expect_err("refused");
                assert_eq!(error.failure(), Failure::Invalid);
                assert!(
                    error.to_string().contains("credential.certificate"),
                    "{error}"
                );
            }
        }
    }

    #[test]
    fn secrets_are_generated_or_checked() {
        assert_eq!(new_secret(None, None).expect("randomness").len(), 86);
        assert_eq!(status(new_secret(None, Some(8))), Some(Failure::Invalid));
        let given = wire::AppCredential::Secret("0123456789abcdef-given".into());
        assert_eq!(
            new_secret(Some(&given), None).ok().as_deref(),
            Some("0123456789abcdef-given")
        );
        let colon = wire::AppCredential::Secret("0123456789abcdef:colon".into());
        assert_eq!(
            status(new_secret(Some(&colon), None)),
            Some(Failure::Invalid)
        );
    }
}
