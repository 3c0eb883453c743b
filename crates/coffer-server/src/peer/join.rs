//! The join protocol's routes on the cluster port; the cluster's side of it is
//! `coffer_node::admission`.

use super::refusal::Refusal;
use axum::Json;
use axum::extract::{Query, State};
use coffer_node::join_protocol::{
    ClusterInfoAnswer, JoinComplete, JoinCompleted, JoinGrant, JoinRequest,
};
use coffer_node::{Node, ServiceError, admission};
use std::collections::HashMap;
use std::sync::Arc;

/// `GET /join/cluster-info?token_id=ID`: open to anyone (the answer is authenticated by the
/// token's key, not by TLS).
pub(crate) async fn cluster_info(
    State(node): State<Arc<Node>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<ClusterInfoAnswer>, Refusal> {
    let token_id = query
        .get("token_id")
        .ok_or_else(|| ServiceError::invalid("token_id is required"))?;
    Ok(Json(admission::cluster_info(&node, token_id)?))
}

/// `POST /join/request`: open to anyone; the body carries the join token.
pub(crate) async fn request(
    State(node): State<Arc<Node>>,
    Json(request): Json<JoinRequest>,
) -> Result<Json<JoinGrant>, Refusal> {
    Ok(Json(admission::grant(&node, &request).await?))
}

/// `POST /join/complete`: members only (the joiner presents the certificate it was granted).
pub(crate) async fn complete(
    State(node): State<Arc<Node>>,
    Json(request): Json<JoinComplete>,
) -> Result<Json<JoinCompleted>, Refusal> {
    Ok(Json(admission::complete(&node, &request).await?))
}
