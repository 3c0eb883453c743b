//! The DSM REST API over axum.
//!
//! `router` assembles every area's routes under the authentication middleware and the body
//! limit. Handlers are thin: parse the wire type, call a service, map the result back.

pub(crate) mod auth;
pub(crate) mod error;
pub(crate) mod json;

mod accounts;
mod apps;
mod crypto;
mod groups;
mod logs;
mod session;
mod sobjects;
mod sys;
mod ui;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use coffer_node::Node;
use std::sync::Arc;

/// The largest request body accepted (DSM documents 512 KiB for single-shot crypto; JSON and
/// base64 add a third).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// Every route of the API.
pub(crate) fn router(node: Arc<Node>) -> Router {
    Router::new()
        .merge(sys::routes())
        .merge(session::routes())
        .merge(accounts::routes())
        .merge(groups::routes())
        .merge(apps::routes())
        .merge(users::routes())
        .merge(sobjects::routes())
        .merge(crypto::routes())
        .merge(logs::routes())
        .fallback(|| async { error::ApiError::NotFound("no such route".into()) })
        .layer(axum::middleware::from_fn_with_state(
            node.clone(),
            auth::authenticate,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(node)
}
