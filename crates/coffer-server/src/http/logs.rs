//! `GET /sys/v1/logs`: the audit log.

use super::auth::Authenticated;
use super::error::ApiResult;
use super::json::{Json, Query};
use super::routes::Routes;
use axum::extract::State;
use coffer_api as wire;
use coffer_node::Node;
use coffer_node::audit::query;
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new().get("/sys/v1/logs", list)
}

async fn list(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
    Query(query): Query<wire::AuditLogsQuery>,
) -> ApiResult<Json<wire::AuditLogsResponse>> {
    Ok(Json(query::query(&node, &caller, &query).await?))
}
