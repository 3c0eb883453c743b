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
            credential_generation: 0,
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
    let (app, new_credentials) = {
        let state = node.cluster.state();
        let state = state.read();
        let app = plan_update(&state, caller, id, request)?;
        // Pinning a certificate is the only credential change a PATCH makes.
        let pinned = state
            .app(id)
            .is_some_and(|stored| stored.client_certificate != app.client_certificate);
        (app, pinned)
    };
    node.propose(Command::UpdateApp {
        app: app.clone(),
        new_credentials,
    })
    .await?;
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
    node.propose(Command::UpdateApp {
        app: app.clone(),
        new_credentials: true,
    })
    .await?;
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
        credential_generation: 0,
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
mod tests;
