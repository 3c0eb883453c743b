//! Crypto operations, each in the path form (`/crypto/v1/keys/{kid}/op`) and the descriptor
//! form (`/crypto/v1/op` with `"key": {…}` in the body).

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json};
use super::routes::Routes;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use coffer_api as wire;
use coffer_core::{KeyId, KeyOperation};
use coffer_node::Node;
use coffer_node::audit::{ActionType, AuditNote};
use coffer_node::caller::Caller;
use coffer_node::crypto::{self, UsableKey};
use coffer_node::sobjects;
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post("/crypto/v1/keys/{kid}/encrypt", encrypt_at)
        .post("/crypto/v1/encrypt", encrypt)
        .post("/crypto/v1/keys/{kid}/decrypt", decrypt_at)
        .post("/crypto/v1/decrypt", decrypt)
        .post("/crypto/v1/keys/{kid}/sign", sign_at)
        .post("/crypto/v1/sign", sign)
        .post("/crypto/v1/keys/{kid}/verify", verify_at)
        .post("/crypto/v1/verify", verify)
        .post("/crypto/v1/keys/{kid}/mac", mac_at)
        .post("/crypto/v1/mac", mac)
        .post("/crypto/v1/keys/{kid}/macverify", mac_verify_at)
        .post("/crypto/v1/macverify", mac_verify)
        .post("/crypto/v1/keys/{kid}/wrapkey", wrap_at)
        .post("/crypto/v1/wrapkey", wrap)
        .post("/crypto/v1/keys/{kid}/unwrapkey", unwrap_at)
        .post("/crypto/v1/unwrapkey", unwrap)
        .post("/crypto/v1/digest", digest)
}

type Node_ = State<Arc<Node>>;

fn path_kid(text: &str) -> ApiResult<KeyId> {
    text.parse::<Uuid>()
        .map(KeyId::new)
        .map_err(|_| ApiError::key_not_found())
}

/// Runs one operation and attaches its audit note.
fn operate<T: Serialize>(
    node: &Node,
    caller: &Caller,
    kid: Option<KeyId>,
    descriptor: Option<wire::SobjectDescriptor>,
    op: KeyOperation,
    verb: &str,
    run: impl FnOnce(&UsableKey) -> coffer_node::ServiceResult<T>,
) -> ApiResult<Response> {
    let key = crypto::usable(node, caller, &crypto::locate(kid, descriptor)?, op)?;
    let body = run(&key)?;
    let note = AuditNote::new(
        ActionType::CryptoOperation,
        format!("{verb} with key {}", key.record.id),
        Some(key.record.id.uuid()),
    )
    .in_group(key.record.group.uuid());
    Ok((Extension(note), Json(body)).into_response())
}

/// Defines the two handlers of one key operation: the path form (`…/keys/{kid}/op`, the key
/// from the path) and the descriptor form (`…/op`, the key from the body's `key`).
macro_rules! key_operation {
    ($at:ident, $plain:ident, $request:ty, $op:expr, $verb:literal, $run:path) => {
        async fn $at(
            State(node): Node_,
            Authenticated(caller): Authenticated,
            Path(kid): Path<String>,
            Body(r): Body<$request>,
        ) -> ApiResult<Response> {
            operate(
                &node,
                &caller,
                Some(path_kid(&kid)?),
                None,
                $op,
                $verb,
                |k| $run(k, &r),
            )
        }

        async fn $plain(
            State(node): Node_,
            Authenticated(caller): Authenticated,
            Body(r): Body<$request>,
        ) -> ApiResult<Response> {
            operate(&node, &caller, None, r.key.clone(), $op, $verb, |k| {
                $run(k, &r)
            })
        }
    };
}

key_operation!(
    encrypt_at,
    encrypt,
    wire::EncryptRequest,
    KeyOperation::Encrypt,
    "Encrypted data",
    crypto::encrypt
);
key_operation!(
    decrypt_at,
    decrypt,
    wire::DecryptRequest,
    KeyOperation::Decrypt,
    "Decrypted data",
    crypto::decrypt
);
key_operation!(
    sign_at,
    sign,
    wire::SignRequest,
    KeyOperation::Sign,
    "Signed data",
    crypto::sign
);
key_operation!(
    verify_at,
    verify,
    wire::VerifyRequest,
    KeyOperation::Verify,
    "Verified a signature",
    crypto::verify
);
key_operation!(
    mac_at,
    mac,
    wire::MacRequest,
    KeyOperation::MacGenerate,
    "Computed a MAC",
    crypto::mac
);
key_operation!(
    mac_verify_at,
    mac_verify,
    wire::MacVerifyRequest,
    KeyOperation::MacVerify,
    "Verified a MAC",
    crypto::mac_verify
);

async fn digest(Body(r): Body<wire::DigestRequest>) -> ApiResult<Json<wire::DigestResponse>> {
    Ok(crypto::digest(&r).map(Json)?)
}

async fn wrap_at(
    State(node): Node_,
    Authenticated(caller): Authenticated,
    Path(kid): Path<String>,
    Body(r): Body<wire::WrapKeyRequest>,
) -> ApiResult<Response> {
    wrap_with(&node, &caller, Some(path_kid(&kid)?), r)
}

async fn wrap(
    State(node): Node_,
    Authenticated(caller): Authenticated,
    Body(r): Body<wire::WrapKeyRequest>,
) -> ApiResult<Response> {
    wrap_with(&node, &caller, None, r)
}

/// Wraps the subject key (which must allow EXPORT) under the wrapping key (WRAPKEY).
fn wrap_with(
    node: &Node,
    caller: &Caller,
    kid: Option<KeyId>,
    r: wire::WrapKeyRequest,
) -> ApiResult<Response> {
    let subject = match (&r.subject, r.kid) {
        (Some(subject), _) => subject.clone(),
        (None, Some(kid)) => wire::SobjectDescriptor::Kid(kid),
        (None, None) => {
            return Err(ApiError::bad_request(
                "the key to wrap is required: give kid or subject",
            ));
        }
    };
    let subject = {
        let state = node.cluster.state();
        let state = state.read();
        sobjects::resolve(&state, caller, &subject)?
    };
    let value = sobjects::export(node, caller, &subject)?;
    let descriptor = r.key.clone();
    operate(
        node,
        caller,
        kid,
        descriptor,
        KeyOperation::WrapKey,
        &format!("Wrapped key {}", subject.id),
        |k| crypto::wrap(k, &value, &r),
    )
}

async fn unwrap_at(
    State(node): Node_,
    Authenticated(caller): Authenticated,
    Path(kid): Path<String>,
    Body(r): Body<wire::UnwrapKeyRequest>,
) -> ApiResult<Response> {
    unwrap_with(&node, &caller, Some(path_kid(&kid)?), r).await
}

async fn unwrap(
    State(node): Node_,
    Authenticated(caller): Authenticated,
    Body(r): Body<wire::UnwrapKeyRequest>,
) -> ApiResult<Response> {
    unwrap_with(&node, &caller, None, r).await
}

/// Unwraps a key under the unwrapping key (UNWRAPKEY) and stores it as a new object.
async fn unwrap_with(
    node: &Node,
    caller: &Caller,
    kid: Option<KeyId>,
    r: wire::UnwrapKeyRequest,
) -> ApiResult<Response> {
    let unwrapping = crypto::usable(
        node,
        caller,
        &crypto::locate(kid, r.key.clone())?,
        KeyOperation::UnwrapKey,
    )?;
    let value = crypto::unwrap(&unwrapping, &r)?;
    let request = wire::SobjectRequest {
        name: r.name.clone(),
        description: r.description.clone(),
        obj_type: Some(r.obj_type),
        key_ops: r.key_ops.clone(),
        group_id: r.group_id,
        custom_metadata: r.custom_metadata.clone(),
        value: Some(value),
        enabled: r.enabled,
        transient: r.transient,
        rsa: r.rsa.clone(),
        ..Default::default()
    };
    let key = sobjects::import(node, caller, request).await?;
    let note = AuditNote::new(
        ActionType::CryptoOperation,
        format!("Unwrapped key {} with key {}", key.id, unwrapping.record.id),
        Some(key.id.uuid()),
    )
    .in_group(key.group.uuid());
    Ok((
        Extension(note),
        Json(coffer_node::convert::sobject(&key, None)),
    )
        .into_response())
}
