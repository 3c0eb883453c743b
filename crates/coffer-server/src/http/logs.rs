//! `GET /sys/v1/logs`: the audit log.

use super::auth::Caller;
use super::error::ApiResult;
use super::json::{Json, Query};
use crate::node::Node;
use crate::service::audit_query;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use coffer_api as wire;
use std::sync::Arc;

pub(super) fn routes() -> Router<Arc<Node>> {
    Router::new().route("/sys/v1/logs", get(list))
}

async fn list(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Query(query): Query<wire::AuditLogsQuery>,
) -> ApiResult<Json<wire::AuditLogsResponse>> {
    Ok(Json(audit_query::query(&node, &caller, &query).await?))
}
