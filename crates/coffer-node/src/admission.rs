//! The cluster's side of the join protocol ([`join_protocol`](crate::join_protocol)): what any
//! member answers a joining node, and what the leader grants it.
//!
//! One join at a time: the leader's [`JoinGate`](crate::join_gate::JoinGate) remembers the
//! pending join and refuses another until it completes or goes stale. A joiner that dies before
//! `complete` leaves the membership untouched, and its retry starts over.

use crate::identity::check_node_name;
use crate::join_protocol::{
    ClusterInfoAnswer, JoinComplete, JoinCompleted, JoinGrant, JoinRequest, MAX_CLOCK_OFFSET_MS,
    cluster_info_mac, now_ms,
};
use crate::join_tokens;
use crate::peers::{PeerCallError, post_json};
use crate::vault::Purpose;
use crate::{Node, ServiceError, ServiceResult, now};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_cluster::NodeInfo;
use serde::Serialize;
use std::time::Duration;

/// How long a join step relayed to the leader may take (adding a voter waits for it to catch
/// up).
const RELAY_TIMEOUT: Duration = Duration::from_secs(150);

/// `GET /join/cluster-info?token_id=ID`: the CA, signed with the token's key.
pub fn cluster_info(node: &Node, token_id: &str) -> ServiceResult<ClusterInfoAnswer> {
    let (token, cluster_id, ca_cert_pem) = {
        let state = node.cluster.state();
        let state = state.read();
        let cluster = state
            .cluster()
            .ok_or_else(|| ServiceError::Unavailable("the cluster is not initialized".into()))?;
        let token = cluster
            .tokens
            .get(token_id)
            .filter(|t| t.expires_at > now())
            .cloned();
        (token, cluster.cluster_id, cluster.ca_cert_pem.clone())
    };
    let token =
        token.ok_or_else(|| ServiceError::Forbidden("the token is unknown or expired".into()))?;
    let key = join_tokens::unseal_signing_key(node, &token)
        .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?;
    let node_cert_key = node.cluster.me().cert_key.clone();
    let mac = cluster_info_mac(&key, cluster_id, &ca_cert_pem, &node_cert_key)?;
    Ok(ClusterInfoAnswer {
        cluster_id,
        ca_cert_pem,
        node_cert_key,
        signature: STANDARD.encode(mac),
    })
}

/// `POST /join/request`: checked and granted by the leader (relayed there if need be).
pub async fn grant(node: &Node, request: &JoinRequest) -> ServiceResult<JoinGrant> {
    if !node.cluster.is_leader() {
        return relay(node, "/join/request", request).await;
    }
    let membership = node
        .membership
        .as_ref()
        .ok_or_else(|| ServiceError::Unavailable("not a cluster member".into()))?;
    join_tokens::check(node, &request.token).map_err(ServiceError::Forbidden)?;
    check_node_name(&request.name).map_err(ServiceError::Forbidden)?;
    check_clock(request.time_ms, now_ms())?;
    for (id, info, role) in node.cluster.members() {
        if info.name == request.name {
            if role == coffer_cluster::MemberRole::Voter {
                return Err(ServiceError::Conflict(format!(
                    "a node named {} is already a member",
                    request.name
                )));
            }
            // A learner left behind by a join that died half-way: take it out and start over.
            node.cluster.remove_node(id).await?;
        }
    }
    // Random ids are never reused, even after removals (Raft must not confuse a new node with a
    // removed one that kept its id).
    let node_id = match membership
        .join_gate
        .reserve(&request.name, || random_node_id(node))?
    {
        Ok(id) => id,
        Err(other) => {
            return Err(ServiceError::Conflict(format!(
                "node {other} is joining right now; join one node at a time and retry when it has finished"
            )));
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
        let cluster =
            state.read().cluster().cloned().ok_or_else(|| {
                ServiceError::Unavailable("the cluster is not initialized".into())
            })?;
        let key = cluster.ca_key.as_ref().ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("the cluster record holds no CA key"))
        })?;
        coffer_crypto::CaBundle {
            cert_pem: cluster.ca_cert_pem.clone(),
            key_pem: node.unseal(Purpose::ClusterCaKey, key)?,
        }
    };
    let chain = coffer_crypto::sign_node_csr(&ca, &request.csr_pem, &request.name, request.ip)
        .map_err(|e| ServiceError::invalid(e.to_string()))?;
    // The key, not the CA's signature, is what the membership will know the node by.
    let key = coffer_crypto::chain_key_id(&chain).map_err(ServiceError::internal)?;
    if !membership.join_gate.granted(node_id, key) {
        return Err(ServiceError::Conflict(
            "another join request for this node superseded this one; start the join again".into(),
        ));
    }
    let transport = STANDARD
        .decode(&request.transport_key)
        .map_err(|_| ServiceError::invalid("transport_key is not base64"))?;
    let envelope = node.cmk_for_joiner(&transport, &request.name)?;
    Ok(JoinGrant {
        node_id,
        cert_chain_pem: chain,
        cmk_sender_key: STANDARD.encode(envelope.sender_public),
        cmk_sealed: STANDARD.encode(envelope.sealed),
        leader_cluster_addr: membership.identity.cluster_addr().to_string(),
        leader_node_id: node.cluster.node_id(),
        leader_cert_key: node.cluster.me().cert_key.clone(),
    })
}

/// `POST /join/complete`: adds the new node as learner, then voter.
pub async fn complete(node: &Node, request: &JoinComplete) -> ServiceResult<JoinCompleted> {
    if !node.cluster.is_leader() {
        return relay(node, "/join/complete", request).await;
    }
    let membership = node
        .membership
        .as_ref()
        .ok_or_else(|| ServiceError::Unavailable("not a cluster member".into()))?;
    let key = match membership.join_gate.expected() {
        Some((id, name, Some(key))) if id == request.node_id && name == request.name => key,
        _ => {
            return Err(ServiceError::Conflict(
                "no matching join request is pending; start the join again".into(),
            ));
        }
    };
    // Pinned to the key granted with the token, whatever the request says.
    let info =
        NodeInfo::new(&request.name, &request.cluster_addr, &request.api_addr).with_cert_key(&key);
    let added = node.cluster.add_voter(request.node_id, info).await;
    membership.join_gate.clear();
    added.map_err(|e| ServiceError::Unavailable(format!("adding the node failed: {e}")))?;
    tracing::info!(
        node = request.name,
        node_id = request.node_id,
        "node joined as voter"
    );
    Ok(JoinCompleted {
        node_id: request.node_id,
    })
}

/// Refuses a joiner whose clock (`theirs`, Unix ms, as it reported it) is more than
/// [`MAX_CLOCK_OFFSET_MS`] off this node's (`ours`). The value comes from the network: the
/// arithmetic is checked.
fn check_clock(theirs: i64, ours: i64) -> ServiceResult<()> {
    match theirs.checked_sub(ours) {
        Some(offset) if offset.unsigned_abs() <= MAX_CLOCK_OFFSET_MS.unsigned_abs() => Ok(()),
        Some(offset) => Err(ServiceError::Forbidden(format!(
            "the joining node's clock is {offset} ms off the leader's; fix NTP and retry"
        ))),
        None => Err(ServiceError::invalid(
            "time_ms is not a plausible clock reading",
        )),
    }
}

/// Relays a join step to the leader; its refusal comes back as the same kind of refusal.
async fn relay<B: Serialize, T: serde::de::DeserializeOwned>(
    node: &Node,
    path: &str,
    body: &B,
) -> ServiceResult<T> {
    let (_, leader) = node.cluster.leader().ok_or_else(|| {
        ServiceError::Unavailable("no leader is known; the cluster may have lost its quorum".into())
    })?;
    let peers = &node
        .membership
        .as_ref()
        .ok_or_else(|| ServiceError::Unavailable("not a cluster member".into()))?
        .peers;
    post_json(
        peers.as_ref(),
        &leader.cluster_addr,
        path,
        body,
        RELAY_TIMEOUT,
    )
    .await
    .map_err(|error| match error {
        PeerCallError::Refused { status, text } => match status {
            400 => ServiceError::Invalid(text),
            403 => ServiceError::Forbidden(text),
            409 => ServiceError::Conflict(text),
            _ => ServiceError::Unavailable(text),
        },
        PeerCallError::Unreachable(e) => {
            ServiceError::Unavailable(format!("could not reach the leader: {e}"))
        }
        PeerCallError::Decode(e) => {
            ServiceError::Unavailable(format!("bad answer from the leader: {e}"))
        }
    })
}

fn random_node_id(node: &Node) -> ServiceResult<u64> {
    let taken: Vec<u64> = node
        .cluster
        .members()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    loop {
        let bytes: [u8; 8] =
            coffer_crypto::random::random_array().map_err(ServiceError::internal)?;
        // Below 2^53 so that scripts reading the id from JSON keep it exact.
        let id = u64::from_be_bytes(bytes) >> 11;
        if id > 1 && !taken.contains(&id) {
            return Ok(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_joiner_clock_is_checked_without_overflow() {
        let now = 1_800_000_000_000;
        assert!(check_clock(now + MAX_CLOCK_OFFSET_MS, now).is_ok());
        assert!(check_clock(now - MAX_CLOCK_OFFSET_MS, now).is_ok());
        assert!(check_clock(now + MAX_CLOCK_OFFSET_MS + 1, now).is_err());
        assert!(check_clock(i64::MIN, now).is_err());
        assert!(check_clock(i64::MAX, -now).is_err());
        assert!(check_clock(i64::MIN, 0).is_err());
    }
}
