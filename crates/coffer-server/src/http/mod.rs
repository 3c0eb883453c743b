//! The DSM REST API over axum.
//!
//! `router` assembles every area's routes under the authentication middleware and the body
//! limit. Handlers are thin: parse the wire type, call a service, map the result back.

pub(crate) mod auth;
pub(crate) mod error;
pub(crate) mod json;

mod accounts;
mod apps;
#[cfg(test)]
mod authorization_matrix;
mod crypto;
pub(crate) mod early_answer;
mod groups;
mod logs;
mod routes;
mod session;
mod sobjects;
mod sys;
mod ui;
mod users;

use crate::net::log_filter::LogFilter;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use coffer_node::Node;
use std::sync::Arc;

/// The largest request body accepted (DSM documents 512 KiB for single-shot crypto; JSON and
/// base64 add a third).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// Every route of the API, listed.
pub(crate) fn routes() -> routes::Routes {
    sys::routes()
        .merge(session::routes())
        .merge(accounts::routes())
        .merge(groups::routes())
        .merge(apps::routes())
        .merge(users::routes())
        .merge(sobjects::routes())
        .merge(crypto::routes())
        .merge(logs::routes())
}

/// The API's router: [`routes`] under the authentication middleware and the body limit, with
/// unread bodies drained after early answers (`early_answer`).
pub(crate) fn router(node: Arc<Node>, log_filter: Arc<LogFilter>) -> Router {
    routes()
        .into_router()
        .fallback(|| async { error::ApiError::NotFound("no such route".into()) })
        .layer(axum::middleware::from_fn_with_state(
            node.clone(),
            auth::authenticate,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(early_answer::drain_unread_body))
        .layer(axum::Extension(log_filter))
        .with_state(node)
}

/// The client address of in-process test requests.
#[cfg(test)]
fn listener_addr() -> crate::net::listener::ClientAddr {
    crate::net::listener::ClientAddr(
        std::net::SocketAddr::from(([127, 0, 0, 1], 50000)),
        crate::net::listener::Service::Api,
        None,
    )
}
