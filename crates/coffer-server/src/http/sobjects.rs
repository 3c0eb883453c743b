//! `/crypto/v1/keys…`: security object lifecycle.

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json, Query, no_content};
use super::routes::Routes;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use coffer_api as wire;
use coffer_core::{KeyId, Sobject};
use coffer_node::Node;
use coffer_node::audit::{ActionType, AuditNote};
use coffer_node::caller::Caller;
use coffer_node::sobjects::ShownValue;
use coffer_node::{convert, sobjects};
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post("/crypto/v1/keys", generate)
        .put("/crypto/v1/keys", import)
        .get("/crypto/v1/keys", list)
        .post("/crypto/v1/keys/info", info)
        .post("/crypto/v1/keys/export", export_by_descriptor)
        .post("/crypto/v1/keys/rekey", rekey)
        .get("/crypto/v1/keys/{kid}", get_one)
        .patch("/crypto/v1/keys/{kid}", update)
        .delete("/crypto/v1/keys/{kid}", remove)
        .get("/crypto/v1/keys/{kid}/export", export_by_kid)
        .post("/crypto/v1/keys/{kid}/activate", activate)
        .post("/crypto/v1/keys/{kid}/revoke", revoke)
        .delete("/crypto/v1/keys/{kid}/private", remove_private)
}

/// A kid from the path; a malformed one is a 404 like an unknown one.
fn kid(text: &str) -> ApiResult<KeyId> {
    text.parse::<Uuid>()
        .map(KeyId::new)
        .map_err(|_| ApiError::key_not_found())
}

/// The answer to a request that shows `key` to the caller, audited with `note` (if any). When
/// the answer carries an OPAQUE object's material, that read is audited too: the note says so,
/// or, for a plain read, a note of its own records it.
fn answer_with_key(
    node: &Node,
    caller: &Caller,
    key: &Sobject,
    audit: Option<AuditNote>,
) -> ApiResult<Response> {
    let (value, audit) = match sobjects::shown_value(node, caller, key)? {
        ShownValue::Hidden => (None, audit),
        ShownValue::Public(value) => (Some(value), audit),
        ShownValue::Material(value) => {
            let audit = match audit {
                Some(mut note) => {
                    note.message.push_str("; its value was returned");
                    note
                }
                None => {
                    let mut read = note("Read the value of", key);
                    read.action = ActionType::CryptoOperation;
                    read
                }
            };
            (Some(value), Some(audit))
        }
    };
    let body = Json(convert::sobject(key, value));
    Ok(match audit {
        Some(note) => (Extension(note), body).into_response(),
        None => body.into_response(),
    })
}

fn note(action: &str, key: &Sobject) -> AuditNote {
    let name = key.name.as_deref().unwrap_or("(unnamed)");
    AuditNote::new(
        ActionType::Administrative,
        format!("{action} key {name} ({:?})", key.obj_type),
        Some(key.id.uuid()),
    )
    .in_group(key.group.uuid())
}

async fn generate(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<wire::SobjectRequest>,
) -> ApiResult<Response> {
    let key = sobjects::generate(&node, &caller, request).await?;
    answer_with_key(&node, &caller, &key, Some(note("Created", &key)))
}

async fn import(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<wire::SobjectRequest>,
) -> ApiResult<Response> {
    let key = sobjects::import(&node, &caller, request).await?;
    answer_with_key(&node, &caller, &key, Some(note("Imported", &key)))
}

async fn list(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Query(params): Query<wire::ListSobjectsParams>,
) -> ApiResult<Json<Vec<wire::Sobject>>> {
    let keys = sobjects::list(&node, &caller, &params)?;
    Ok(Json(
        keys.iter().map(|k| convert::sobject(k, None)).collect(),
    ))
}

async fn get_one(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = sobjects::get(&node, &caller, kid(&id)?)?;
    answer_with_key(&node, &caller, &key, None)
}

async fn info(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(descriptor): Body<wire::SobjectDescriptor>,
) -> ApiResult<Response> {
    let key = {
        let state = node.cluster.state();
        let state = state.read();
        sobjects::resolve(&state, &caller, &descriptor)?
    };
    answer_with_key(&node, &caller, &key, None)
}

async fn update(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Body(request): Body<wire::SobjectRequest>,
) -> ApiResult<Response> {
    let key = sobjects::update(&node, &caller, kid(&id)?, request).await?;
    answer_with_key(&node, &caller, &key, Some(note("Updated", &key)))
}

async fn rekey(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<wire::SobjectRequest>,
) -> ApiResult<Response> {
    let key = sobjects::rekey(&node, &caller, request).await?;
    answer_with_key(&node, &caller, &key, Some(note("Rotated", &key)))
}

async fn remove(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = sobjects::delete(&node, &caller, kid(&id)?).await?;
    Ok((no_content(), Extension(note("Deleted", &key))).into_response())
}

async fn remove_private(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = sobjects::delete_private(&node, &caller, kid(&id)?).await?;
    Ok((
        no_content(),
        Extension(note("Deleted the private half of", &key)),
    )
        .into_response())
}

async fn activate(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = sobjects::set_state(&node, &caller, kid(&id)?, None).await?;
    Ok((no_content(), Extension(note("Activated", &key))).into_response())
}

async fn revoke(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Body(request): Body<wire::RevokeRequest>,
) -> ApiResult<Response> {
    let key = sobjects::set_state(&node, &caller, kid(&id)?, Some(request)).await?;
    Ok((no_content(), Extension(note("Revoked", &key))).into_response())
}

async fn export_by_kid(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    export(
        &node,
        &caller,
        wire::SobjectDescriptor::Kid(kid(&id)?.uuid()),
    )
}

async fn export_by_descriptor(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(descriptor): Body<wire::SobjectDescriptor>,
) -> ApiResult<Response> {
    export(&node, &caller, descriptor)
}

fn export(
    node: &Node,
    caller: &Caller,
    descriptor: wire::SobjectDescriptor,
) -> ApiResult<Response> {
    let key = {
        let state = node.cluster.state();
        let state = state.read();
        sobjects::resolve(&state, caller, &descriptor)?
    };
    let value = sobjects::export(node, caller, &key)?;
    let mut note = note("Exported", &key);
    note.action = ActionType::CryptoOperation;
    Ok((Extension(note), Json(convert::sobject(&key, Some(value)))).into_response())
}
