//! Health and version probes: no authentication, no audit.

use super::json::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use coffer_api::{ServerMode, VersionResponse};
use coffer_node::Node;
use std::sync::Arc;

pub(super) fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/sys/v1/health", get(health).head(health))
        .route("/", axum::routing::head(health))
        .route("/sys/v1/version", get(version))
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
