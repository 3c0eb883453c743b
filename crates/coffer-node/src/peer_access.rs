//! Who may call the node's own cluster-port routes (Raft's are ruled by
//! `coffer_cluster::PeerRoute::callers`).
//!
//! A caller is known by the key of the certificate it presented, never by the CA that signed
//! it: every node holds the cluster CA, so a signature proves only that some node, present or
//! past, made the certificate. The key must be pinned in the current membership (or, for the
//! last join step, be the key just granted to the pending joiner).

use crate::{Node, ServiceError, ServiceResult};

/// Who may call one of the node's own routes (`coffer_cluster::PeerCallers` rules Raft's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRouteCallers {
    /// Any current member, voter or learner.
    AnyMember,
    /// Only the member this node knows as the current leader.
    Leader,
    /// A current member (relaying the step), or the pending joiner presenting the certificate
    /// it was just granted.
    MemberOrJoiner,
}

/// The node id of the caller whose certificate key has the id `presented`, when `callers`
/// admits it; otherwise why not.
pub fn authorize(
    node: &Node,
    callers: NodeRouteCallers,
    presented: Option<&[u8; 32]>,
) -> ServiceResult<u64> {
    let key = presented.ok_or_else(|| {
        ServiceError::Forbidden("a node certificate is required on the cluster port".into())
    })?;
    let member = node.cluster.member_with_key(key);
    match (callers, member) {
        (NodeRouteCallers::AnyMember | NodeRouteCallers::MemberOrJoiner, Some(id)) => Ok(id),
        (NodeRouteCallers::Leader, Some(id)) => {
            if node.cluster.is_leader_known_as(id) {
                Ok(id)
            } else {
                Err(ServiceError::Forbidden(format!(
                    "only the current leader may call this; node {id} is not it"
                )))
            }
        }
        (NodeRouteCallers::MemberOrJoiner, None) => node
            .membership
            .as_ref()
            .and_then(|m| m.join_gate.joiner_with_key(key))
            .ok_or_else(not_a_member),
        (NodeRouteCallers::AnyMember | NodeRouteCallers::Leader, None) => Err(not_a_member()),
    }
}

fn not_a_member() -> ServiceError {
    ServiceError::Forbidden("the certificate presented is not a current member's".into())
}
