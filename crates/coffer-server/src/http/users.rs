//! `/sys/v1/users…`: signup, invitations, users of the caller's account, the caller's own
//! accounts and password.

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json, Query, no_content};
use super::routes::Routes;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use coffer_api as wire;
use coffer_core::{User, UserId};
use coffer_node::Node;
use coffer_node::audit::{ActionType, AuditNote};
use coffer_node::users;
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get("/sys/v1/users", list)
        .post("/sys/v1/users", signup)
        .delete("/sys/v1/users", delete_self)
        .post("/sys/v1/users/invite", invite)
        .get("/sys/v1/users/accounts", accounts)
        .post("/sys/v1/users/change_password", change_password)
        .get("/sys/v1/users/{id}", get_one)
        .patch("/sys/v1/users/{id}", update)
        .delete("/sys/v1/users/{id}/accounts", leave_account)
}

/// A user id from the path; a malformed one is a 404 like an unknown one.
fn user_id(text: &str) -> ApiResult<UserId> {
    text.parse::<Uuid>()
        .map(UserId::new)
        .map_err(|_| ApiError::NotFound(format!("user {text} not found")))
}

fn note(message: String, user: &User) -> AuditNote {
    AuditNote::new(ActionType::Administrative, message, Some(user.id.uuid()))
}

async fn list(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Query(params): Query<wire::ListUsersParams>,
) -> ApiResult<Json<Vec<wire::User>>> {
    Ok(Json(users::list(&node, &caller, &params)?))
}

async fn get_one(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::User>> {
    let user = users::get(&node, &caller, user_id(&id)?)?;
    Ok(Json(users::view(&user, caller.account)))
}

/// Open registration, when the cluster allows it: no credentials needed.
async fn signup(
    State(node): State<Arc<Node>>,
    Body(request): Body<wire::SignupRequest>,
) -> ApiResult<Response> {
    let (user, note) = match users::signup(&node, request).await? {
        users::SignedUp::Created(user) => {
            let note = note(format!("User {} signed up", user.email), &user);
            (user, note)
        }
        users::SignedUp::EmailTaken(user) => {
            let note = note(
                format!(
                    "Signup for {}, which is taken, answered as if it succeeded; nothing stored",
                    user.email
                ),
                &user,
            );
            (user, note)
        }
    };
    Ok((Extension(note), Json(users::view(&user, None))).into_response())
}

async fn invite(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<wire::UserRequest>,
) -> ApiResult<Response> {
    let user = users::invite(&node, &caller, request).await?;
    let note = note(format!("Invited user {} to the account", user.email), &user);
    Ok((Extension(note), Json(users::view(&user, caller.account))).into_response())
}

async fn update(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Body(request): Body<wire::UserRequest>,
) -> ApiResult<Response> {
    let user = users::update(&node, &caller, user_id(&id)?, request).await?;
    let note = note(format!("Updated user {}", user.email), &user);
    Ok((Extension(note), Json(users::view(&user, caller.account))).into_response())
}

async fn leave_account(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let user = users::leave_account(&node, &caller, user_id(&id)?).await?;
    let note = note(
        format!("Removed user {} from the account", user.email),
        &user,
    );
    Ok((no_content(), Extension(note)).into_response())
}

async fn delete_self(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    let user = users::delete_self(&node, &caller).await?;
    let note = note(format!("Deleted user {}", user.email), &user);
    Ok((no_content(), Extension(note)).into_response())
}

async fn accounts(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<wire::UserAccounts>> {
    Ok(Json(users::accounts(&node, &caller)?))
}

async fn change_password(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<wire::ChangePasswordRequest>,
) -> ApiResult<Response> {
    let user = users::change_password(&node, &caller, request).await?;
    let note = note(format!("User {} changed their password", user.email), &user);
    Ok((no_content(), Extension(note)).into_response())
}
