//! Health and version probes (no authentication, no audit), and the metrics (sysadmins).

use super::auth::Authenticated;
use super::error::{ApiError, ApiResult};
use super::json::Json;
use super::routes::Routes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use coffer_api::{ServerMode, VersionResponse};
use coffer_node::Node;
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get("/sys/v1/health", health)
        .head("/sys/v1/health", health)
        .head("/", health)
        .get("/sys/v1/version", version)
        .get("/sys/v1/metrics", metrics)
}

/// This node's metrics in the Prometheus text format, for sysadmins.
async fn metrics(
    State(node): State<Arc<Node>>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    if !caller.sysadmin {
        return Err(ApiError::Forbidden("metrics are for sysadmins".into()));
    }
    let text = crate::telemetry::render(&node);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

/// 204 while the node can serve requests, 503 otherwise.
async fn health(State(node): State<Arc<Node>>) -> StatusCode {
    if node.serving() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn version() -> Json<VersionResponse> {
    Json(VersionResponse {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        api_version: "1.0".to_owned(),
        server_mode: ServerMode::Software,
        fips_level: None,
    })
}
