//! `/sys/v1/apps…`: apps of the caller's account and their credentials.

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json, Query, no_content};
use super::routes::Routes;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use coffer_api as wire;
use coffer_core::{App, AppId};
use coffer_node::Node;
use coffer_node::apps;
use coffer_node::audit::{ActionType, AuditNote};
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get("/sys/v1/apps", list)
        .post("/sys/v1/apps", create)
        .get("/sys/v1/apps/{id}", get_one)
        .patch("/sys/v1/apps/{id}", update)
        .delete("/sys/v1/apps/{id}", remove)
        .get("/sys/v1/apps/{id}/credential", credential)
        .post("/sys/v1/apps/{id}/reset_secret", reset_secret)
}

/// An app id from the path; a malformed one is a 404 like an unknown one.
fn app_id(text: &str) -> ApiResult<AppId> {
    text.parse::<Uuid>()
        .map(AppId::new)
        .map_err(|_| ApiError::NotFound(format!("app {text} not found")))
}

fn note(action: &str, app: &App) -> AuditNote {
    let note = AuditNote::new(
        ActionType::Administrative,
        format!("{action} app {}", app.name),
        Some(app.id.uuid()),
    );
    app.groups
        .keys()
        .fold(note, |note, group| note.in_group(group.uuid()))
}

async fn list(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Query(params): Query<wire::ListAppsParams>,
) -> ApiResult<Json<Vec<wire::App>>> {
    let apps = apps::list(&node, &caller, &params)?;
    let map = params.group_permissions == Some(true);
    Ok(Json(apps.iter().map(|a| apps::view(a, map)).collect()))
}

async fn get_one(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(params): Query<wire::GetAppParams>,
) -> ApiResult<Json<wire::App>> {
    let app = apps::get(&node, &caller, app_id(&id)?)?;
    Ok(Json(apps::view(
        &app,
        params.group_permissions == Some(true),
    )))
}

async fn create(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Query(params): Query<wire::GetAppParams>,
    Body(request): Body<wire::AppRequest>,
) -> ApiResult<Response> {
    let app = apps::create(&node, &caller, request).await?;
    let shown = apps::view(&app, params.group_permissions == Some(true));
    Ok((Extension(note("Created", &app)), Json(shown)).into_response())
}

async fn update(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(params): Query<wire::GetAppParams>,
    Body(request): Body<wire::AppRequest>,
) -> ApiResult<Response> {
    let app = apps::update(&node, &caller, app_id(&id)?, request).await?;
    let shown = apps::view(&app, params.group_permissions == Some(true));
    Ok((Extension(note("Updated", &app)), Json(shown)).into_response())
}

async fn remove(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let app = apps::delete(&node, &caller, app_id(&id)?).await?;
    Ok((no_content(), Extension(note("Deleted", &app))).into_response())
}

/// The app's secret, or its client certificate. Reading it is audited like a change.
async fn credential(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (app, credential) = apps::credential(&node, &caller, app_id(&id)?)?;
    let body = wire::AppCredentialResponse {
        app_id: app.id.uuid(),
        credential,
    };
    Ok((
        Extension(note("Viewed the credential of", &app)),
        Json(body),
    )
        .into_response())
}

async fn reset_secret(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Body(request): Body<wire::ResetSecretRequest>,
) -> ApiResult<Response> {
    let app = apps::reset_secret(&node, &caller, app_id(&id)?, request).await?;
    Ok((
        Extension(note("Reset the secret of", &app)),
        Json(apps::view(&app, false)),
    )
        .into_response())
}
