//! Crypto operations, each in the path form (`/crypto/v1/keys/{kid}/op`) and the descriptor
//! form (`/crypto/v1/op` with `"key": {…}` in the body).

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json};
use crate::audit::{ActionType, AuditNote};
use crate::node::Node;
use crate::service::crypto::{self, UsableKey};
use crate::service::sobjects;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use coffer_api as wire;
use coffer_core::{KeyId, KeyOperation};
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/crypto/v1/keys/{kid}/encrypt", post(encrypt_at))
        .route("/crypto/v1/encrypt", post(encrypt))
        .route("/crypto/v1/keys/{kid}/decrypt", post(decrypt_at))
        .route("/crypto/v1/decrypt", post(decrypt))
        .route("/crypto/v1/keys/{kid}/sign", post(sign_at))
        .route("/crypto/v1/sign", post(sign))
        .route("/crypto/v1/keys/{kid}/verify", post(verify_at))
        .route("/crypto/v1/verify", post(verify))
        .route("/crypto/v1/keys/{kid}/mac", post(mac_at))
        .route("/crypto/v1/mac", post(mac))
        .route("/crypto/v1/keys/{kid}/macverify", post(mac_verify_at))
        .route("/crypto/v1/macverify", post(mac_verify))
        .route("/crypto/v1/keys/{kid}/wrapkey", post(wrap_at))
        .route("/crypto/v1/wrapkey", post(wrap))
        .route("/crypto/v1/keys/{kid}/unwrapkey", post(unwrap_at))
        .route("/crypto/v1/unwrapkey", post(unwrap))
        .route("/crypto/v1/digest", post(digest))
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
    run: impl FnOnce(&UsableKey) -> ApiResult<T>,
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

async fn encrypt_at(
    State(node): Node_,
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::EncryptRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        Some(path_kid(&kid)?),
        None,
        KeyOperation::Encrypt,
        "Encrypted data",
        |k| crypto::encrypt(k, &r),
    )
}

async fn encrypt(
    State(node): Node_,
    caller: Caller,
    Body(r): Body<wire::EncryptRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        None,
        r.key.clone(),
        KeyOperation::Encrypt,
        "Encrypted data",
        |k| crypto::encrypt(k, &r),
    )
}

async fn decrypt_at(
    State(node): Node_,
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::DecryptRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        Some(path_kid(&kid)?),
        None,
        KeyOperation::Decrypt,
        "Decrypted data",
        |k| crypto::decrypt(k, &r),
    )
}

async fn decrypt(
    State(node): Node_,
    caller: Caller,
    Body(r): Body<wire::DecryptRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        None,
        r.key.clone(),
        KeyOperation::Decrypt,
        "Decrypted data",
        |k| crypto::decrypt(k, &r),
    )
}

async fn sign_at(
    State(node): Node_,
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::SignRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        Some(path_kid(&kid)?),
        None,
        KeyOperation::Sign,
        "Signed data",
        |k| crypto::sign(k, &r),
    )
}

async fn sign(
    State(node): Node_,
    caller: Caller,
    Body(r): Body<wire::SignRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        None,
        r.key.clone(),
        KeyOperation::Sign,
        "Signed data",
        |k| crypto::sign(k, &r),
    )
}

async fn verify_at(
    State(node): Node_,
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::VerifyRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        Some(path_kid(&kid)?),
        None,
        KeyOperation::Verify,
        "Verified a signature",
        |k| crypto::verify(k, &r),
    )
}

async fn verify(
    State(node): Node_,
    caller: Caller,
    Body(r): Body<wire::VerifyRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        None,
        r.key.clone(),
        KeyOperation::Verify,
        "Verified a signature",
        |k| crypto::verify(k, &r),
    )
}

async fn mac_at(
    State(node): Node_,
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::MacRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        Some(path_kid(&kid)?),
        None,
        KeyOperation::MacGenerate,
        "Computed a MAC",
        |k| crypto::mac(k, &r),
    )
}

async fn mac(
    State(node): Node_,
    caller: Caller,
    Body(r): Body<wire::MacRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        None,
        r.key.clone(),
        KeyOperation::MacGenerate,
        "Computed a MAC",
        |k| crypto::mac(k, &r),
    )
}

async fn mac_verify_at(
    State(node): Node_,
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::MacVerifyRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        Some(path_kid(&kid)?),
        None,
        KeyOperation::MacVerify,
        "Verified a MAC",
        |k| crypto::mac_verify(k, &r),
    )
}

async fn mac_verify(
    State(node): Node_,
    caller: Caller,
    Body(r): Body<wire::MacVerifyRequest>,
) -> ApiResult<Response> {
    operate(
        &node,
        &caller,
        None,
        r.key.clone(),
        KeyOperation::MacVerify,
        "Verified a MAC",
        |k| crypto::mac_verify(k, &r),
    )
}

async fn digest(Body(r): Body<wire::DigestRequest>) -> ApiResult<Json<wire::DigestResponse>> {
    crypto::digest(&r).map(Json)
}

async fn wrap_at(
    State(node): Node_,
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::WrapKeyRequest>,
) -> ApiResult<Response> {
    wrap_with(&node, &caller, Some(path_kid(&kid)?), r)
}

async fn wrap(
    State(node): Node_,
    caller: Caller,
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
    caller: Caller,
    Path(kid): Path<String>,
    Body(r): Body<wire::UnwrapKeyRequest>,
) -> ApiResult<Response> {
    unwrap_with(&node, &caller, Some(path_kid(&kid)?), r).await
}

async fn unwrap(
    State(node): Node_,
    caller: Caller,
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
        value: Some(wire::Blob(value)),
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
        Json(crate::service::convert::sobject(&key, None)),
    )
        .into_response())
}
