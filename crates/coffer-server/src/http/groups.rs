//! `/sys/v1/groups…`: groups of the caller's account.

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json, no_content};
use super::routes::Routes;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use coffer_api as wire;
use coffer_core::{Group, GroupId};
use coffer_node::Node;
use coffer_node::audit::{ActionType, AuditNote};
use coffer_node::groups;
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get("/sys/v1/groups", list)
        .post("/sys/v1/groups", create)
        .get("/sys/v1/groups/{id}", get_one)
        .patch("/sys/v1/groups/{id}", update)
        .delete("/sys/v1/groups/{id}", remove)
}

/// A group id from the path; a malformed one is a 404 like an unknown one.
fn group_id(text: &str) -> ApiResult<GroupId> {
    text.parse::<Uuid>()
        .map(GroupId::new)
        .map_err(|_| ApiError::NotFound(format!("group {text} not found")))
}

fn note(action: &str, group: &Group) -> AuditNote {
    AuditNote::new(
        ActionType::Administrative,
        format!("{action} group {}", group.name),
        Some(group.id.uuid()),
    )
    .in_group(group.id.uuid())
}

async fn list(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<Vec<wire::Group>>> {
    Ok(Json(
        groups::list(&node, &caller)?
            .iter()
            .map(groups::view)
            .collect(),
    ))
}

async fn get_one(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Group>> {
    Ok(Json(groups::view(&groups::get(
        &node,
        &caller,
        group_id(&id)?,
    )?)))
}

async fn create(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<wire::GroupRequest>,
) -> ApiResult<Response> {
    let group = groups::create(&node, &caller, request).await?;
    Ok((
        Extension(note("Created", &group)),
        Json(groups::view(&group)),
    )
        .into_response())
}

async fn update(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Body(request): Body<wire::GroupRequest>,
) -> ApiResult<Response> {
    let group = groups::update(&node, &caller, group_id(&id)?, request).await?;
    Ok((
        Extension(note("Updated", &group)),
        Json(groups::view(&group)),
    )
        .into_response())
}

async fn remove(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let group = groups::delete(&node, &caller, group_id(&id)?).await?;
    Ok((no_content(), Extension(note("Deleted", &group))).into_response())
}
