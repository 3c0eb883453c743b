//! The join protocol: its messages, and what the joining node and the cluster both compute.
//!
//! ```text
//! joiner                                   any member                 leader
//!   │ GET /join/cluster-info?token_id=ID  ──►│ CA cert + HMAC(token key)  │
//!   │   (TLS unverified; the HMAC proves the peer knows the token: the CA is now pinned)
//!   │ POST /join/request {token, name, ip, CSR, transport key, clock} ──►│──forward──►│
//!   │◄── node id, node certificate, CMK sealed to the transport key ─────────────────│
//!   │ starts Raft and its cluster port with the new certificate
//!   │ POST /join/complete (mutual TLS) ────────────────────────────────────────────►│
//!   │                                  leader adds it as learner, waits until caught up,
//!   │◄── done ──────────────────────── promotes it to voter ─────────────────────────│
//! ```
//!
//! One join at a time: the leader's [`JoinGate`](crate::join_gate::JoinGate) remembers the
//! pending join and refuses another until it completes or goes stale.

use crate::{ServiceError, ServiceResult};
use coffer_crypto::DigestAlgorithm;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Largest clock difference a joiner may have (R-NTP-1).
pub const MAX_CLOCK_OFFSET_MS: i64 = 30_000;

/// The cluster's answer to `/join/cluster-info`.
#[derive(Serialize, Deserialize)]
pub struct ClusterInfoAnswer {
    /// The cluster's id.
    pub cluster_id: uuid::Uuid,
    /// The cluster CA's certificate, which the joiner pins from now on.
    pub ca_cert_pem: String,
    /// The answering member's certificate key (hex SHA-256 of its SubjectPublicKeyInfo),
    /// which the joiner pins for its join request.
    pub node_cert_key: String,
    /// HMAC-SHA-256 under the token's signing key over
    /// `cluster_id ‖ ca_cert_pem ‖ node_cert_key`, base64.
    pub signature: String,
}

/// A joiner's request.
#[derive(Serialize, Deserialize)]
pub struct JoinRequest {
    /// The join token, `id.secret`.
    pub token: String,
    /// The joiner's node name.
    pub name: String,
    /// The joiner's address.
    pub ip: IpAddr,
    /// The joiner's API port.
    pub api_port: u16,
    /// The joiner's cluster port.
    pub cluster_port: u16,
    /// A CSR for the joiner's node certificate.
    pub csr_pem: String,
    /// The joiner's transport public key, base64.
    pub transport_key: String,
    /// The joiner's clock, Unix milliseconds.
    pub time_ms: i64,
}

/// The leader's answer to a join request.
#[derive(Serialize, Deserialize)]
pub struct JoinGrant {
    /// The joiner's node id, never used before in this cluster.
    pub node_id: u64,
    /// The joiner's node certificate and the CA, PEM.
    pub cert_chain_pem: String,
    /// The leader's ephemeral public key of the sealed master key, base64.
    pub cmk_sender_key: String,
    /// The master key sealed to the joiner's transport key, base64.
    pub cmk_sealed: String,
    /// Where the joiner sends `/join/complete`.
    pub leader_cluster_addr: String,
    /// The leader's node id: the one peer the joiner takes Raft messages from until it has a
    /// membership of its own.
    pub leader_node_id: u64,
    /// The leader's certificate key id, hex (its `NodeInfo::cert_key`).
    pub leader_cert_key: String,
}

impl JoinGrant {
    /// [`JoinGrant::leader_cert_key`] as a key id, when it is one.
    pub fn leader_key_id(&self) -> Option<[u8; 32]> {
        let bytes = hex::decode(&self.leader_cert_key).ok()?;
        <[u8; 32]>::try_from(bytes).ok()
    }
}

/// The joiner's last step.
#[derive(Serialize, Deserialize)]
pub struct JoinComplete {
    /// The granted node id.
    pub node_id: u64,
    /// The joiner's node name.
    pub name: String,
    /// The joiner's cluster-port address.
    pub cluster_addr: String,
    /// The joiner's API address.
    pub api_addr: String,
}

/// The leader's answer to `/join/complete`: the joiner is a voter now.
#[derive(Serialize, Deserialize)]
pub struct JoinCompleted {
    /// The joiner's node id.
    pub node_id: u64,
}

/// The MAC with which the cluster proves to a joiner that it knows the join token.
pub fn cluster_info_mac(
    key: &[u8],
    cluster_id: uuid::Uuid,
    ca_cert_pem: &str,
    node_cert_key: &str,
) -> ServiceResult<Vec<u8>> {
    let mut message = cluster_id.as_bytes().to_vec();
    message.extend_from_slice(ca_cert_pem.as_bytes());
    // The CA's PEM ends in a fixed footer, so the key that follows cannot be shifted into it.
    message.extend_from_slice(node_cert_key.as_bytes());
    coffer_crypto::hmac(DigestAlgorithm::Sha256, key, &message).map_err(ServiceError::internal)
}

/// This node's clock in Unix milliseconds, as joiners report it.
pub fn now_ms() -> i64 {
    i64::try_from(crate::now_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::join_tokens::signing_key;

    #[test]
    fn the_cluster_info_mac_binds_the_cluster_id_and_the_ca() {
        let key = signing_key("0123456789abcdef").unwrap();
        let a = cluster_info_mac(&key, uuid::Uuid::from_u128(1), "CA", "k1").unwrap();
        assert_ne!(
            a,
            cluster_info_mac(&key, uuid::Uuid::from_u128(2), "CA", "k1").unwrap()
        );
        assert_ne!(
            a,
            cluster_info_mac(&key, uuid::Uuid::from_u128(1), "CB", "k1").unwrap()
        );
        assert_ne!(
            a,
            cluster_info_mac(&key, uuid::Uuid::from_u128(1), "CA", "k2").unwrap(),
            "the answering member's key is bound too"
        );
        let other = signing_key("fedcba9876543210").unwrap();
        assert_ne!(
            a,
            cluster_info_mac(&other, uuid::Uuid::from_u128(1), "CA", "k1").unwrap()
        );
    }
}
