//! `/sys/v1/session/*`: login, refresh, logout, account selection.

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json, no_content};
use super::routes::Routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coffer_api::{AuthResponse, SelectAccountRequest, SelectAccountResponse};
use coffer_core::{AccountId, Command, UnixTime};
use coffer_node::audit::{ActionType, AuditNote};
use coffer_node::caller::Principal;
use coffer_node::session::{IDLE_TIMEOUT_SECS, MAX_LIFETIME_SECS, SessionPrincipal};
use coffer_node::{Node, now};
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post("/sys/v1/session/auth", login)
        .post("/sys/v1/session/reauth", reauth)
        .post("/sys/v1/session/refresh", refresh)
        .post("/sys/v1/session/terminate", terminate)
        .post("/sys/v1/session/select_account", select_account)
}

/// Trades credentials (app API key or user password, checked by the middleware) for a token.
/// A session token is not a credential here: a session cannot outlive its own lifetime by
/// starting another.
async fn login(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    if caller.session.is_some() {
        return Err(ApiError::Unauthorized(
            "log in with credentials; a session is renewed with /sys/v1/session/reauth",
        ));
    }
    new_session(&node, caller)
}

/// DSM's renewal: with credentials, a new session as at login; with a bearer token, a token
/// for the same session (same id, same absolute end), so renewing never extends it and
/// ending it ends every token it was renewed into.
async fn reauth(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    let Some(claims) = caller.session else {
        return new_session(&node, caller);
    };
    let entity = match claims.principal {
        SessionPrincipal::App(app) => app.uuid(),
        SessionPrincipal::User(user) => user.uuid(),
    };
    let token = node.issue_token(claims)?;
    Ok(Json(AuthResponse::bearer(
        token,
        IDLE_TIMEOUT_SECS as u32,
        entity,
    ))
    .into_response())
}

fn new_session(node: &Node, caller: coffer_node::caller::Caller) -> ApiResult<Response> {
    let entity = match caller.principal {
        Principal::App(app) => app.uuid(),
        Principal::User(user) => user.uuid(),
    };
    let (token, _) = node.start_session(&caller)?;
    let body = AuthResponse::bearer(token, IDLE_TIMEOUT_SECS as u32, entity);
    let note = AuditNote::new(
        ActionType::Auth,
        format!("{} logged in", describe(caller.principal)),
        Some(entity),
    );
    Ok((axum::Extension(note), Json(body)).into_response())
}

/// Extends the session; the middleware already recorded the use.
async fn refresh(Authenticated(caller): Authenticated) -> ApiResult<StatusCode> {
    caller
        .session
        .ok_or(ApiError::Unauthorized("a session token is required"))?;
    Ok(no_content())
}

/// Ends the session on every node.
async fn terminate(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    let session = caller
        .session
        .ok_or(ApiError::Unauthorized("a session token is required"))?;
    let until = UnixTime(session.issued_at.0 + MAX_LIFETIME_SECS);
    node.propose(Command::RevokeSession {
        session: session.id,
        until,
        at: now(),
    })
    .await?;
    node.activity.forget(session.id);
    let note = AuditNote::new(
        ActionType::Auth,
        format!("{} logged out", describe(caller.principal)),
        None,
    );
    Ok((no_content(), axum::Extension(note)).into_response())
}

/// Chooses the account a user session works in.
async fn select_account(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<SelectAccountRequest>,
) -> ApiResult<Response> {
    let user = caller.user()?;
    let session = caller
        .session
        .ok_or(ApiError::Unauthorized("a session token is required"))?;
    let account = AccountId::new(request.acct_id);
    let allowed = {
        let state = node.cluster.state();
        let state = state.read();
        let member = state
            .user(user)
            .is_some_and(|u| u.memberships.contains_key(&account));
        member || (caller.sysadmin && state.account(account).is_some())
    };
    if !allowed {
        return Err(ApiError::Forbidden(format!(
            "the user is not a member of account {account}"
        )));
    }
    let until = UnixTime(session.issued_at.0 + MAX_LIFETIME_SECS);
    node.propose(Command::SelectAccount {
        session: session.id,
        account,
        until,
        at: now(),
    })
    .await?;
    let note = AuditNote::new(
        ActionType::Auth,
        format!("{} selected account {account}", describe(caller.principal)),
        Some(account.uuid()),
    )
    .in_account(account);
    Ok((
        axum::Extension(note),
        Json(SelectAccountResponse::default()),
    )
        .into_response())
}

fn describe(principal: Principal) -> String {
    match principal {
        Principal::App(app) => format!("app {app}"),
        Principal::User(user) => format!("user {user}"),
    }
}
