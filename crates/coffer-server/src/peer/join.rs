//! The cluster's side of the join protocol (`coffer_node::join_protocol`): what any member
//! answers a joining node, and what the leader grants it.
//!
//! One join at a time: the leader remembers the pending join and refuses another until it
//! completes or goes stale. A joiner that dies before `complete` leaves the membership
//! untouched, and its retry starts over.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_cluster::NodeInfo;
use coffer_node::identity::check_node_name;
use coffer_node::join_protocol::{
    ClusterInfoAnswer, JoinComplete, JoinGrant, JoinRequest, MAX_CLOCK_OFFSET_MS, cluster_info_mac,
    now_ms,
};
use coffer_node::join_tokens;
use coffer_node::vault::Purpose;
use coffer_node::{Node, now};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

type Refusal = (StatusCode, String);

/// `GET /join/cluster-info?token_id=ID`: the CA, signed with the token's key.
pub(crate) async fn cluster_info(
    State(node): State<Arc<Node>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<ClusterInfoAnswer>, Refusal> {
    let token_id = query
        .get("token_id")
        .ok_or((StatusCode::BAD_REQUEST, "token_id is required".to_owned()))?;
    let (token, cluster_id, ca_cert_pem) = {
        let state = node.cluster.state();
        let state = state.read();
        let cluster = state.cluster().ok_or((
            StatusCode::SERVICE_UNAVAILABLE,
            "the cluster is not initialized".to_owned(),
        ))?;
        let token = cluster
            .tokens
            .get(token_id)
            .filter(|t| t.expires_at > now())
            .cloned();
        (token, cluster.cluster_id, cluster.ca_cert_pem.clone())
    };
    let token = token.ok_or((
        StatusCode::FORBIDDEN,
        "the token is unknown or expired".to_owned(),
    ))?;
    let key = join_tokens::unseal_signing_key(&node, &token)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let mac = cluster_info_mac(&key, cluster_id, &ca_cert_pem)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(ClusterInfoAnswer {
        cluster_id,
        ca_cert_pem,
        signature: STANDARD.encode(mac),
    }))
}

/// `POST /join/request`: checked and granted by the leader (forwarded there if need be).
pub(crate) async fn request(
    State(node): State<Arc<Node>>,
    Json(request): Json<JoinRequest>,
) -> Result<Json<JoinGrant>, Refusal> {
    if !node.cluster.is_leader() {
        return forward(&node, "/join/request", &request).await;
    }
    let membership = node.membership.as_ref().ok_or((
        StatusCode::SERVICE_UNAVAILABLE,
        "not a cluster member".to_owned(),
    ))?;
    let refuse = |text: String| (StatusCode::FORBIDDEN, text);
    join_tokens::check(&node, &request.token).map_err(refuse)?;
    check_node_name(&request.name).map_err(refuse)?;
    let offset = request.time_ms - now_ms();
    if offset.abs() > MAX_CLOCK_OFFSET_MS {
        return Err(refuse(format!(
            "the joining node's clock is {offset} ms off the leader's; fix NTP and retry"
        )));
    }
    for (id, info, role) in node.cluster.members() {
        if info.name == request.name {
            if role == coffer_cluster::MemberRole::Voter {
                return Err((
                    StatusCode::CONFLICT,
                    format!("a node named {} is already a member", request.name),
                ));
            }
            // A learner left behind by a join that died half-way: take it out and start over.
            node.cluster
                .remove_node(id)
                .await
                .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        }
    }
    // Random ids are never reused, even after removals (Raft must not confuse a new node with a
    // removed one that kept its id).
    let node_id = match membership
        .join_gate
        .reserve(&request.name, || random_node_id(&node))?
    {
        Ok(id) => id,
        Err(other) => {
            return Err((
                StatusCode::CONFLICT,
                format!(
                    "node {other} is joining right now; join one node at a time and retry when it has finished"
                ),
            ));
        }
    };
    tracing::info!(
        node = request.name,
        node_id,
        attestation = "not available: the token alone authenticates the node",
        "join request accepted"
    );
    let ca = {
        let state = node.cluster.state();
        let cluster = state.read().cluster().cloned().ok_or((
            StatusCode::SERVICE_UNAVAILABLE,
            "not initialized".to_owned(),
        ))?;
        let key = cluster
            .ca_key
            .as_ref()
            .ok_or((StatusCode::INTERNAL_SERVER_ERROR, "no CA key".to_owned()))?;
        let key_pem = node
            .unseal(Purpose::ClusterCaKey, key)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        coffer_crypto::CaBundle {
            cert_pem: cluster.ca_cert_pem.clone(),
            key_pem,
        }
    };
    let chain = coffer_crypto::sign_node_csr(&ca, &request.csr_pem, &request.name, request.ip)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let transport = STANDARD.decode(&request.transport_key).map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            "transport_key is not base64".to_owned(),
        )
    })?;
    let envelope = node
        .cmk_for_joiner(&transport, &request.name)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(Json(JoinGrant {
        node_id,
        cert_chain_pem: chain,
        cmk_sender_key: STANDARD.encode(envelope.sender_public),
        cmk_sealed: STANDARD.encode(envelope.sealed),
        leader_cluster_addr: membership.identity.cluster_addr().to_string(),
    }))
}

/// `POST /join/complete`: adds the new node as learner, then voter.
pub(crate) async fn complete(
    State(node): State<Arc<Node>>,
    Json(request): Json<JoinComplete>,
) -> Result<Json<serde_json::Value>, Refusal> {
    if !node.cluster.is_leader() {
        return forward(&node, "/join/complete", &request).await;
    }
    let membership = node.membership.as_ref().ok_or((
        StatusCode::SERVICE_UNAVAILABLE,
        "not a cluster member".to_owned(),
    ))?;
    match membership.join_gate.expected() {
        Some((id, name)) if id == request.node_id && name == request.name => {}
        _ => {
            return Err((
                StatusCode::CONFLICT,
                "no matching join request is pending; start the join again".to_owned(),
            ));
        }
    }
    let info = NodeInfo {
        name: request.name.clone(),
        cluster_addr: request.cluster_addr.clone(),
        api_addr: request.api_addr.clone(),
    };
    let added = node.cluster.add_voter(request.node_id, info).await;
    membership.join_gate.clear();
    added.map_err(|e| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("adding the node failed: {e}"),
        )
    })?;
    tracing::info!(
        node = request.name,
        node_id = request.node_id,
        "node joined as voter"
    );
    Ok(Json(serde_json::json!({ "node_id": request.node_id })))
}

/// Relays a join step to the leader.
async fn forward<B: Serialize, T: serde::de::DeserializeOwned>(
    node: &Node,
    path: &str,
    body: &B,
) -> Result<Json<T>, Refusal> {
    let unavailable = |text: String| (StatusCode::SERVICE_UNAVAILABLE, text);
    let (_, leader) = node.cluster.leader().ok_or_else(|| {
        unavailable("no leader is known; the cluster may have lost its quorum".into())
    })?;
    let peers = &node
        .membership
        .as_ref()
        .ok_or_else(|| unavailable("not a cluster member".into()))?
        .peers;
    coffer_node::peers::post_json(
        peers.as_ref(),
        &leader.cluster_addr,
        path,
        body,
        Duration::from_secs(150),
    )
    .await
    .map(Json)
    .map_err(|error| match error {
        coffer_node::peers::PeerCallError::Refused { status, text } => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            text,
        ),
        coffer_node::peers::PeerCallError::Unreachable(e) => {
            unavailable(format!("could not reach the leader: {e}"))
        }
        coffer_node::peers::PeerCallError::Decode(e) => {
            unavailable(format!("bad answer from the leader: {e}"))
        }
    })
}

fn random_node_id(node: &Node) -> Result<u64, Refusal> {
    let taken: Vec<u64> = node
        .cluster
        .members()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    loop {
        let bytes: [u8; 8] = coffer_crypto::random::random_array()
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        // Below 2^53 so that scripts reading the id from JSON keep it exact.
        let id = u64::from_be_bytes(bytes) >> 11;
        if id > 1 && !taken.contains(&id) {
            return Ok(id);
        }
    }
}
