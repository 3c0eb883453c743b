//! `/sys/v1/accounts…`: accounts.

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::{Body, Json, Query, no_content};
use super::routes::Routes;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use coffer_api as wire;
use coffer_core::{Account, AccountId};
use coffer_node::Node;
use coffer_node::accounts;
use coffer_node::audit::{ActionType, AuditNote};
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get("/sys/v1/accounts", list)
        .post("/sys/v1/accounts", create)
        .get("/sys/v1/accounts/{id}", get_one)
        .patch("/sys/v1/accounts/{id}", update)
        .delete("/sys/v1/accounts/{id}", remove)
}

/// An account id from the path; a malformed one is a 404 like an unknown one.
fn account_id(text: &str) -> ApiResult<AccountId> {
    text.parse::<Uuid>()
        .map(AccountId::new)
        .map_err(|_| ApiError::NotFound(format!("account {text} not found")))
}

fn shown(node: &Node, account: &Account, params: &wire::GetAccountParams) -> wire::Account {
    let totals = (params.with_totals == Some(true)).then(|| accounts::totals(node, account.id));
    accounts::view(account, totals)
}

fn note(action: &str, account: &Account) -> AuditNote {
    AuditNote::new(
        ActionType::Administrative,
        format!("{action} account {}", account.name),
        Some(account.id.uuid()),
    )
    .in_account(account.id)
}

async fn list(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Query(params): Query<wire::GetAccountParams>,
) -> ApiResult<Json<Vec<wire::Account>>> {
    let found = accounts::list(&node, &caller)?;
    Ok(Json(
        found.iter().map(|a| shown(&node, a, &params)).collect(),
    ))
}

async fn get_one(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(params): Query<wire::GetAccountParams>,
) -> ApiResult<Json<wire::Account>> {
    let account = accounts::get(&node, &caller, account_id(&id)?)?;
    Ok(Json(shown(&node, &account, &params)))
}

async fn create(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Body(request): Body<wire::AccountRequest>,
) -> ApiResult<Response> {
    let account = accounts::create(&node, &caller, request).await?;
    Ok((
        Extension(note("Created", &account)),
        Json(accounts::view(&account, None)),
    )
        .into_response())
}

async fn update(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Body(request): Body<wire::AccountRequest>,
) -> ApiResult<Response> {
    let account = accounts::update(&node, &caller, account_id(&id)?, request).await?;
    Ok((
        Extension(note("Updated", &account)),
        Json(accounts::view(&account, None)),
    )
        .into_response())
}

async fn remove(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let account = accounts::delete(&node, &caller, account_id(&id)?).await?;
    Ok((no_content(), Extension(note("Deleted", &account))).into_response())
}
