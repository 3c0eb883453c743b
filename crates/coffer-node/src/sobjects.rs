//! Security object lifecycle: generate, import, read, list, update, rotate, delete, export.
//!
//! Nondeterminism happens here, before the log: ids, timestamps and key material are made on
//! this node and the material is sealed under the cluster master key before a command carries it.

use super::access::{self, Right};
use super::convert;
use crate::caller::{Caller, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::vault::Purpose;
use crate::{Node, now};
use coffer_api as wire;
use coffer_core::{
    Command, Creator, GroupId, KeyId, KeyOperation, KeyOrigin, KeyState, ObjectType, Revocation,
    Sobject, State,
};
use coffer_crypto::{KeySpec, KeyType};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Generates a key (`POST /crypto/v1/keys`).
pub async fn generate(
    node: &Node,
    caller: &Caller,
    request: wire::SobjectRequest,
) -> ServiceResult<Sobject> {
    let obj_type = required_type(&request)?;
    let spec = key_spec(obj_type, &request)?;
    let generated = coffer_crypto::generate(spec)
        .map_err(|e| ServiceError::invalid(format!("cannot generate the key: {e}")))?;
    let curve = generated.curve.map(convert::curve_from_crypto);
    let key_size = curve.is_none().then_some(generated.key_size_bits);
    let draft = Draft {
        obj_type,
        key_size,
        curve,
        public_key: generated.public_key,
        origin: KeyOrigin::Generated,
    };
    create(
        node,
        caller,
        request,
        draft,
        Some(generated.material.expose()),
    )
    .await
}

/// Imports a key (`PUT /crypto/v1/keys`).
pub async fn import(
    node: &Node,
    caller: &Caller,
    request: wire::SobjectRequest,
) -> ServiceResult<Sobject> {
    let obj_type = required_type(&request)?;
    let value = request
        .value
        .clone()
        .ok_or_else(|| ServiceError::invalid("value is required to import a key"))?;
    let (draft, material) = match crypto_type(obj_type) {
        Some(key_type) => {
            let imported = coffer_crypto::import(key_type, value.as_bytes()).map_err(|e| {
                ServiceError::invalid(format!("value is not a valid {obj_type:?} key: {e}"))
            })?;
            let curve = imported.curve.map(convert::curve_from_crypto);
            let draft = Draft {
                obj_type,
                key_size: curve.is_none().then_some(imported.key_size_bits),
                curve,
                public_key: imported.public_key,
                origin: KeyOrigin::External,
            };
            (draft, imported.material.map(|m| m.expose().to_vec()))
        }
        None => {
            if matches!(obj_type, ObjectType::Des | ObjectType::Des3) {
                return Err(ServiceError::invalid("DES and DES3 keys are not supported"));
            }
            let draft = Draft {
                obj_type,
                key_size: Some(bits(value.as_bytes().len())),
                curve: None,
                public_key: None,
                origin: KeyOrigin::External,
            };
            (draft, Some(value.as_bytes().to_vec()))
        }
    };
    create(node, caller, request, draft, material.as_deref()).await
}

/// Finds a key by descriptor for the caller: by kid or, within the caller's account, by name.
pub fn resolve(
    state: &State,
    caller: &Caller,
    descriptor: &wire::SobjectDescriptor,
) -> ServiceResult<Sobject> {
    let key = match descriptor {
        wire::SobjectDescriptor::Kid(kid) => state.sobject(KeyId::new(*kid)),
        wire::SobjectDescriptor::Name(name) => caller
            .account
            .and_then(|account| state.sobject_by_name(account, name)),
        wire::SobjectDescriptor::TransientKey(_) => {
            return Err(ServiceError::invalid("transient keys are not supported"));
        }
    };
    let key = key.ok_or_else(ServiceError::key_not_found)?;
    access::read_key(state, caller, key)?;
    Ok(key.clone())
}

/// A key by kid, if the caller may see it.
pub fn get(node: &Node, caller: &Caller, kid: KeyId) -> ServiceResult<Sobject> {
    let state = node.cluster.state();
    let state = state.read();
    resolve(&state, caller, &wire::SobjectDescriptor::Kid(kid.uuid()))
}

/// The keys the caller can see, filtered, sorted and paged as `GET /crypto/v1/keys` asks.
pub fn list(
    node: &Node,
    caller: &Caller,
    params: &wire::ListSobjectsParams,
) -> ServiceResult<Vec<Sobject>> {
    let account = caller.account()?;
    let state = node.cluster.state();
    let state = state.read();
    let by_name = matches!(&params.sort, Some(sort) if sort.field == "name");
    let descending =
        matches!(&params.sort, Some(sort) if sort.order == wire::SortOrder::Descending);
    let mut keys: Vec<&Sobject> = state
        .sobjects_of(account)
        .filter(|k| access::on_group(&state, caller, k.group, Right::Read))
        .filter(|k| {
            params
                .name
                .as_ref()
                .is_none_or(|n| k.name.as_ref() == Some(n))
        })
        .filter(|k| params.group_id.is_none_or(|g| k.group.uuid() == g))
        .filter(|k| params.creator.is_none_or(|c| creator_id(k.creator) == c))
        .collect();
    let sort_key = |k: &&Sobject| {
        if by_name {
            k.name.clone().unwrap_or_default()
        } else {
            k.id.to_string()
        }
    };
    keys.sort_by_key(sort_key);
    if descending {
        keys.reverse();
    }
    if let Some(start) = &params.start {
        keys.retain(|k| {
            if descending {
                sort_key(k) < *start
            } else {
                sort_key(k) > *start
            }
        });
    }
    let offset = params.offset.unwrap_or(0) as usize;
    let limit = params.limit.unwrap_or(100).min(10_000) as usize;
    Ok(keys.into_iter().skip(offset).take(limit).cloned().collect())
}

/// Applies a partial update (`PATCH /crypto/v1/keys/{kid}`); absent fields stay as they are.
pub async fn update(
    node: &Node,
    caller: &Caller,
    kid: KeyId,
    request: wire::SobjectRequest,
) -> ServiceResult<Sobject> {
    let mut key = {
        let state = node.cluster.state();
        let state = state.read();
        let key = state
            .sobject(kid)
            .ok_or_else(ServiceError::key_not_found)?
            .clone();
        access::manage_key(&state, caller, &key)?;
        if let Some(group) = request.group_id.map(GroupId::new)
            && !access::on_group(&state, caller, group, Right::Manage)
        {
            return Err(ServiceError::Forbidden(format!(
                "not allowed to move keys into group {group}"
            )));
        }
        key
    };
    if let Some(name) = request.name {
        key.name = Some(checked_name(name)?);
    }
    if let Some(description) = request.description {
        key.description = Some(description);
    }
    if let Some(ops) = request.key_ops {
        let ops = convert::key_ops(&ops);
        check_ops(key.obj_type, &ops)?;
        if key.material.is_none() {
            check_public_ops(&ops)?;
        }
        grant_ops(&mut key, ops)?;
    }
    if let Some(metadata) = request.custom_metadata {
        key.custom_metadata = metadata;
    }
    if let Some(enabled) = request.enabled {
        key.enabled = enabled;
    }
    if let Some(group) = request.group_id {
        key.group = GroupId::new(group);
    }
    if let Some(options) = &request.rsa {
        if options
            .key_size
            .is_some_and(|size| Some(size) != key.key_size)
        {
            return Err(ServiceError::invalid(
                "rsa.key_size: a key's size cannot change",
            ));
        }
        key.rsa_policy = rsa_policy_of(key.obj_type, Some(options))?;
    }
    let state = key.state_at(now());
    if let Some(date) = request.activation_date {
        if state != KeyState::PreActive {
            return Err(ServiceError::invalid(
                "activation_date: only a pre-active key's activation date can change",
            ));
        }
        key.activation_date = Some(coffer_core::UnixTime(date.unix_seconds()));
    }
    if let Some(date) = request.deactivation_date {
        if matches!(state, KeyState::Deactivated | KeyState::Compromised) {
            return Err(ServiceError::invalid(
                "deactivation_date: the key is deactivated already",
            ));
        }
        key.deactivation_date = Some(coffer_core::UnixTime(date.unix_seconds()));
    }
    check_dates(&key)?;
    node.propose(Command::UpdateSobject(key.clone())).await?;
    Ok(key)
}

/// The policy a key of `obj_type` is held to, from a request's `rsa` options (which only RSA
/// keys take). Without options an RSA key allows any padding.
fn rsa_policy_of(
    obj_type: ObjectType,
    options: Option<&wire::RsaOptions>,
) -> ServiceResult<Option<coffer_core::RsaPolicy>> {
    match (obj_type, options) {
        (_, None) => Ok(None),
        (ObjectType::Rsa, Some(options)) => Ok(Some(convert::rsa_policy(options)?)),
        (other, Some(_)) => Err(ServiceError::invalid(format!(
            "rsa: options for RSA keys were given for a {other:?} key"
        ))),
    }
}

/// Refuses a deactivation date that does not come after the activation date.
fn check_dates(key: &Sobject) -> ServiceResult<()> {
    if let (Some(activation), Some(deactivation)) = (key.activation_date, key.deactivation_date)
        && deactivation <= activation
    {
        return Err(ServiceError::invalid(
            "deactivation_date must come after activation_date",
        ));
    }
    Ok(())
}

/// Sets a key's operations. A key created without EXPORT stays unexportable for good: adding
/// EXPORT to it is refused, and nothing is changed.
fn grant_ops(key: &mut Sobject, ops: BTreeSet<KeyOperation>) -> ServiceResult<()> {
    if key.never_exportable && ops.contains(&KeyOperation::Export) {
        return Err(ServiceError::invalid(
            "key_ops: the key was created without EXPORT and can never be exported; create a new key with EXPORT instead",
        ));
    }
    key.key_ops = ops;
    Ok(())
}

/// Rotates a key named in the request (`POST /crypto/v1/keys/rekey`): a new key with the same
/// type, size, operations and group takes over the name.
pub async fn rekey(
    node: &Node,
    caller: &Caller,
    request: wire::SobjectRequest,
) -> ServiceResult<Sobject> {
    let old = {
        let state = node.cluster.state();
        let state = state.read();
        let account = caller.account()?;
        let name = request
            .name
            .as_deref()
            .ok_or_else(|| ServiceError::invalid("name is required to rotate a key"))?;
        let old = state
            .sobject_by_name(account, name)
            .ok_or_else(ServiceError::key_not_found)?
            .clone();
        access::manage_key(&state, caller, &old)?;
        old
    };
    let spec = match (crypto_type(old.obj_type), &request.value) {
        (_, Some(_)) => None,
        (Some(KeyType::Ec), None) => Some(KeySpec::Ec(convert::crypto_curve(
            old.curve
                .ok_or_else(|| ServiceError::invalid("the key has no curve"))?,
        ))),
        (Some(_), None) => Some(key_spec_sized(old.obj_type, old.key_size.unwrap_or(256))?),
        (None, None) => {
            return Err(ServiceError::invalid(format!(
                "{:?} objects are rotated by giving a new value",
                old.obj_type
            )));
        }
    };
    let (material, public_key) = match spec {
        Some(spec) => {
            let generated = coffer_crypto::generate(spec)
                .map_err(|e| ServiceError::invalid(format!("cannot generate the key: {e}")))?;
            (
                Some(generated.material.expose().to_vec()),
                generated.public_key,
            )
        }
        None => {
            let value = request
                .value
                .as_ref()
                .map(|v| v.as_bytes().to_vec())
                .unwrap_or_default();
            match crypto_type(old.obj_type) {
                Some(key_type) => {
                    let imported = coffer_crypto::import(key_type, &value)
                        .map_err(|e| ServiceError::invalid(format!("invalid value: {e}")))?;
                    (
                        imported.material.map(|m| m.expose().to_vec()),
                        imported.public_key,
                    )
                }
                None => (Some(value), None),
            }
        }
    };
    let id = KeyId::new(Uuid::new_v4());
    let created = now();
    let new = Sobject {
        id,
        created_at: created,
        activation_date: Some(created),
        deactivation_date: None,
        revocation: None,
        state: KeyState::Active,
        creator: creator(caller),
        public_key,
        material: material
            .map(|m| node.seal(Purpose::Record(id.uuid()), &m))
            .transpose()?,
        replacement: None,
        replaced: Some(old.id),
        rsa_policy: match &request.rsa {
            Some(options) => rsa_policy_of(old.obj_type, Some(options))?,
            None => old.rsa_policy.clone(),
        },
        origin: if request.value.is_some() {
            KeyOrigin::External
        } else {
            KeyOrigin::Generated
        },
        ..old.clone()
    };
    node.propose(Command::RekeySobject {
        old: old.id,
        new: new.clone(),
    })
    .await?;
    Ok(new)
}

/// Deletes a key (`DELETE /crypto/v1/keys/{kid}`).
pub async fn delete(node: &Node, caller: &Caller, kid: KeyId) -> ServiceResult<Sobject> {
    let key = managed(node, caller, kid)?;
    node.propose(Command::DeleteSobject(kid)).await?;
    node.keys.forget(kid);
    Ok(key)
}

/// Drops the private half of an asymmetric key (`DELETE /crypto/v1/keys/{kid}/private`).
pub async fn delete_private(node: &Node, caller: &Caller, kid: KeyId) -> ServiceResult<Sobject> {
    let mut key = managed(node, caller, kid)?;
    if key.public_key.is_none() {
        return Err(ServiceError::invalid(
            "only asymmetric keys have a private half to delete",
        ));
    }
    node.propose(Command::DropPrivateKey(kid)).await?;
    node.keys.forget(kid);
    key.material = None;
    Ok(key)
}

/// Changes a key's lifecycle state (activate or revoke).
pub async fn set_state(
    node: &Node,
    caller: &Caller,
    kid: KeyId,
    revocation: Option<wire::RevokeRequest>,
) -> ServiceResult<Sobject> {
    let mut key = managed(node, caller, kid)?;
    let at = now();
    match revocation {
        None => match key.state_at(at) {
            KeyState::Active => return Ok(key),
            KeyState::PreActive => {
                key.state = KeyState::Active;
                key.activation_date = Some(at);
            }
            KeyState::Deactivated | KeyState::Compromised => {
                return Err(ServiceError::invalid(
                    "a deactivated or compromised key cannot become active again",
                ));
            }
        },
        Some(reason) => {
            let compromised = matches!(
                reason.code,
                wire::RevocationReasonCode::KeyCompromise
                    | wire::RevocationReasonCode::CaCompromise
            );
            key.state = if compromised {
                KeyState::Compromised
            } else {
                KeyState::Deactivated
            };
            key.deactivation_date = Some(now());
            key.revocation = Some(Revocation {
                code: format!("{:?}", reason.code),
                message: reason.message,
                compromise_date: reason
                    .compromise_occurance_date
                    .map(|d| coffer_core::UnixTime(d.unix_seconds())),
            });
        }
    }
    node.propose(Command::UpdateSobject(key.clone())).await?;
    Ok(key)
}

/// The object type a create or import request must name.
fn required_type(request: &wire::SobjectRequest) -> ServiceResult<ObjectType> {
    request
        .obj_type
        .map(convert::object_type)
        .ok_or_else(|| ServiceError::invalid("obj_type is required"))
}

/// A key by kid, when the caller may manage it.
fn managed(node: &Node, caller: &Caller, kid: KeyId) -> ServiceResult<Sobject> {
    let state = node.cluster.state();
    let state = state.read();
    let key = state
        .sobject(kid)
        .ok_or_else(ServiceError::key_not_found)?
        .clone();
    access::manage_key(&state, caller, &key)?;
    Ok(key)
}

/// The key's material, when the caller may export it ([`access::export_key`]).
pub fn export(node: &Node, caller: &Caller, key: &Sobject) -> ServiceResult<Vec<u8>> {
    {
        let state = node.cluster.state();
        let state = state.read();
        access::export_key(&state, caller, key)?;
    }
    value(node, key)
}

/// What a read of a key (get, info, and the answers of create, import, update and rekey)
/// shows of its value.
#[derive(Debug, PartialEq, Eq)]
pub enum ShownValue {
    /// Nothing: material only leaves through export.
    Hidden,
    /// A certificate: public, shown to everyone who sees the object.
    Public(Vec<u8>),
    /// An OPAQUE object's material, shown because the caller may export it; the read must be
    /// audited.
    Material(Vec<u8>),
}

/// The value a read of `key` shows to `caller`.
pub fn shown_value(node: &Node, caller: &Caller, key: &Sobject) -> ServiceResult<ShownValue> {
    match key.obj_type {
        ObjectType::Certificate => Ok(ShownValue::Public(value(node, key)?)),
        ObjectType::Opaque => {
            let exportable = {
                let state = node.cluster.state();
                let state = state.read();
                access::export_key(&state, caller, key).is_ok()
            };
            if exportable {
                Ok(ShownValue::Material(value(node, key)?))
            } else {
                Ok(ShownValue::Hidden)
            }
        }
        _ => Ok(ShownValue::Hidden),
    }
}

/// The stored value of a key: its material, or the public key of a public-only one.
pub fn value(node: &Node, key: &Sobject) -> ServiceResult<Vec<u8>> {
    match &key.material {
        Some(sealed) => Ok(node
            .unseal(Purpose::Record(key.id.uuid()), sealed)?
            .expose()
            .to_vec()),
        None => key
            .public_key
            .clone()
            .ok_or_else(|| ServiceError::invalid("the object holds no value")),
    }
}

/// A new key record from a request, its type-specific facts and its material.
struct Draft {
    obj_type: ObjectType,
    key_size: Option<u32>,
    curve: Option<coffer_core::Curve>,
    public_key: Option<Vec<u8>>,
    origin: KeyOrigin,
}

async fn create(
    node: &Node,
    caller: &Caller,
    request: wire::SobjectRequest,
    draft: Draft,
    material: Option<&[u8]>,
) -> ServiceResult<Sobject> {
    if request.transient == Some(true) {
        return Err(ServiceError::invalid("transient keys are not supported"));
    }
    let rsa_policy = rsa_policy_of(draft.obj_type, request.rsa.as_ref())?;
    let name = checked_name(
        request
            .name
            .ok_or_else(|| ServiceError::invalid("name is required"))?,
    )?;
    let group = {
        let state = node.cluster.state();
        let state = state.read();
        let group = match request.group_id {
            Some(group) => GroupId::new(group),
            None => default_group(&state, caller)?,
        };
        if !access::on_group(&state, caller, group, Right::Manage) {
            return Err(ServiceError::Forbidden(format!(
                "not allowed to create keys in group {group}"
            )));
        }
        group
    };
    let public_only = material.is_none();
    let key_ops = match &request.key_ops {
        Some(ops) => convert::key_ops(ops),
        None if public_only => default_ops(draft.obj_type)
            .into_iter()
            .filter(|op| public_op(*op))
            .collect(),
        None => default_ops(draft.obj_type),
    };
    check_ops(draft.obj_type, &key_ops)?;
    if public_only {
        check_public_ops(&key_ops)?;
    }
    let id = KeyId::new(Uuid::new_v4());
    let created = now();
    let key = Sobject {
        id,
        account: caller.account()?,
        group,
        name: Some(name),
        description: request.description,
        obj_type: draft.obj_type,
        key_size: draft.key_size,
        curve: draft.curve,
        never_exportable: !key_ops.contains(&KeyOperation::Export),
        key_ops,
        enabled: request.enabled.unwrap_or(true),
        state: KeyState::Active,
        origin: draft.origin,
        created_at: created,
        creator: creator(caller),
        custom_metadata: request.custom_metadata.unwrap_or_default(),
        public_key: draft.public_key,
        material: material
            .map(|m| node.seal(Purpose::Record(id.uuid()), m))
            .transpose()?,
        activation_date: Some(
            request
                .activation_date
                .map_or(created, |d| coffer_core::UnixTime(d.unix_seconds())),
        ),
        deactivation_date: request
            .deactivation_date
            .map(|d| coffer_core::UnixTime(d.unix_seconds())),
        revocation: None,
        replacement: None,
        replaced: None,
        rsa_policy,
    };
    check_dates(&key)?;
    node.propose(Command::CreateSobject(key.clone())).await?;
    Ok(key)
}

fn default_group(state: &State, caller: &Caller) -> ServiceResult<GroupId> {
    match caller.principal {
        Principal::App(app) => state
            .app(app)
            .and_then(|a| a.default_group.or_else(|| a.groups.keys().next().copied()))
            .ok_or_else(|| {
                ServiceError::invalid("group_id is required: the app has no default group")
            }),
        Principal::User(_) => Err(ServiceError::invalid("group_id is required")),
    }
}

fn creator(caller: &Caller) -> Creator {
    match caller.principal {
        Principal::App(app) => Creator::App(app),
        Principal::User(user) => Creator::User(user),
    }
}

fn creator_id(creator: Creator) -> Uuid {
    match creator {
        Creator::App(app) => app.uuid(),
        Creator::User(user) => user.uuid(),
    }
}

fn checked_name(name: String) -> ServiceResult<String> {
    if name.trim().is_empty() || name.len() > 4096 {
        return Err(ServiceError::invalid(
            "name must be 1 to 4096 characters and not blank",
        ));
    }
    Ok(name)
}

fn bits(bytes: usize) -> u32 {
    u32::try_from(bytes.saturating_mul(8)).unwrap_or(u32::MAX)
}

/// The crypto library's key type for an object type it can use.
pub fn crypto_type(obj_type: ObjectType) -> Option<KeyType> {
    match obj_type {
        ObjectType::Aes => Some(KeyType::Aes),
        ObjectType::Rsa => Some(KeyType::Rsa),
        ObjectType::Ec => Some(KeyType::Ec),
        ObjectType::Hmac => Some(KeyType::Hmac),
        ObjectType::Secret => Some(KeyType::Secret),
        ObjectType::Des | ObjectType::Des3 | ObjectType::Opaque | ObjectType::Certificate => None,
    }
}

fn key_spec(obj_type: ObjectType, request: &wire::SobjectRequest) -> ServiceResult<KeySpec> {
    match obj_type {
        ObjectType::Ec => {
            let curve = request
                .elliptic_curve
                .ok_or_else(|| ServiceError::invalid("elliptic_curve is required for EC keys"))?;
            Ok(KeySpec::Ec(convert::crypto_curve(convert::curve(curve)?)))
        }
        ObjectType::Rsa => {
            let size = request
                .key_size
                .or(request.rsa.as_ref().and_then(|r| r.key_size))
                .unwrap_or(2048);
            let exponent = request
                .rsa
                .as_ref()
                .and_then(|r| r.public_exponent)
                .or(request.pub_exponent);
            if exponent.is_some_and(|e| e != coffer_crypto::RSA_PUBLIC_EXPONENT) {
                return Err(ServiceError::invalid(
                    "only the public exponent 65537 is supported",
                ));
            }
            key_spec_sized(obj_type, size)
        }
        _ => {
            let size = request
                .key_size
                .ok_or_else(|| ServiceError::invalid("key_size is required"))?;
            key_spec_sized(obj_type, size)
        }
    }
}

fn key_spec_sized(obj_type: ObjectType, bits: u32) -> ServiceResult<KeySpec> {
    match obj_type {
        ObjectType::Aes if matches!(bits, 128 | 192 | 256) => Ok(KeySpec::Aes { bits }),
        ObjectType::Aes => Err(ServiceError::invalid(
            "AES key_size must be 128, 192 or 256",
        )),
        ObjectType::Rsa if matches!(bits, 2048 | 3072 | 4096) => Ok(KeySpec::Rsa {
            bits,
            public_exponent: coffer_crypto::RSA_PUBLIC_EXPONENT,
        }),
        ObjectType::Rsa => Err(ServiceError::invalid(
            "RSA key_size must be 2048, 3072 or 4096",
        )),
        ObjectType::Hmac if bits.is_multiple_of(8) && (112..=8192).contains(&bits) => {
            Ok(KeySpec::Hmac { bits })
        }
        ObjectType::Hmac => Err(ServiceError::invalid(
            "HMAC key_size must be a multiple of 8 from 112 to 8192",
        )),
        ObjectType::Secret if bits.is_multiple_of(8) && (8..=65536).contains(&bits) => {
            Ok(KeySpec::Secret {
                bytes: (bits / 8) as usize,
            })
        }
        other => Err(ServiceError::invalid(format!(
            "{other:?} keys cannot be generated"
        ))),
    }
}

/// The operations a key gets when the request lists none: every one its type supports, except
/// EXPORT, which must be asked for — but for OPAQUE objects, whose only use is to be read back
/// (dsm-api.md §5: an imported OPAQUE object is exportable unless its `key_ops` say otherwise).
fn default_ops(obj_type: ObjectType) -> BTreeSet<KeyOperation> {
    use KeyOperation::*;
    let ops: &[KeyOperation] = match obj_type {
        ObjectType::Aes | ObjectType::Des | ObjectType::Des3 => &[
            Encrypt,
            Decrypt,
            WrapKey,
            UnwrapKey,
            DeriveKey,
            AppManageable,
        ],
        ObjectType::Rsa => &[
            Sign,
            Verify,
            Encrypt,
            Decrypt,
            WrapKey,
            UnwrapKey,
            AppManageable,
        ],
        ObjectType::Ec => &[Sign, Verify, AgreeKey, AppManageable],
        ObjectType::Hmac => &[MacGenerate, MacVerify, AppManageable],
        ObjectType::Secret => &[DeriveKey, AppManageable],
        ObjectType::Opaque => &[Export, AppManageable],
        ObjectType::Certificate => &[AppManageable],
    };
    ops.iter().copied().collect()
}

/// True for operations a key without its private half can have: those the state keeps when
/// the private half is deleted, and EXPORT (of the public key).
fn public_op(op: KeyOperation) -> bool {
    op == KeyOperation::Export || KeyOperation::WITHOUT_PRIVATE_HALF.contains(&op)
}

/// Refuses operations that need a private half on a key that has none.
fn check_public_ops(ops: &BTreeSet<KeyOperation>) -> ServiceResult<()> {
    match ops.iter().find(|op| !public_op(**op)) {
        Some(op) => Err(ServiceError::invalid(format!(
            "key_ops: the key has no private half, so it cannot have the {op:?} operation"
        ))),
        None => Ok(()),
    }
}

/// Refuses operations a key type cannot perform.
fn check_ops(obj_type: ObjectType, ops: &BTreeSet<KeyOperation>) -> ServiceResult<()> {
    use KeyOperation::*;
    let allowed: &[KeyOperation] = match obj_type {
        ObjectType::Aes | ObjectType::Des | ObjectType::Des3 => &[
            Encrypt,
            Decrypt,
            WrapKey,
            UnwrapKey,
            DeriveKey,
            MacGenerate,
            MacVerify,
            Export,
            AppManageable,
        ],
        ObjectType::Rsa => &[
            Sign,
            Verify,
            Encrypt,
            Decrypt,
            WrapKey,
            UnwrapKey,
            Export,
            AppManageable,
        ],
        ObjectType::Ec => &[Sign, Verify, AgreeKey, DeriveKey, Export, AppManageable],
        ObjectType::Hmac => &[MacGenerate, MacVerify, DeriveKey, Export, AppManageable],
        ObjectType::Secret | ObjectType::Opaque | ObjectType::Certificate => {
            &[DeriveKey, Verify, Export, AppManageable]
        }
    };
    match ops.iter().find(|op| !allowed.contains(op)) {
        Some(op) => Err(ServiceError::invalid(format!(
            "{obj_type:?} keys cannot have the {op:?} operation"
        ))),
        None => Ok(()),
    }
}
