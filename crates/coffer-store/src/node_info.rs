//! What the cluster knows about each member node: the `Node` type of the Raft membership.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A member node as recorded in the replicated membership: its name and where to reach it.
///
/// `name` is the node's DNS name as written in its certificate (a DNS SAN issued by the cluster
/// CA); peers verify the cluster port's certificate against it. `cluster_addr` is the
/// `IP:PORT` of the node's cluster port (Raft RPCs, write forwarding), `api_addr` the `IP:PORT`
/// of its API listener. `cert_key` pins the node's certificate key: the hex SHA-256 of the
/// SubjectPublicKeyInfo of the certificate it was admitted with. The cluster port accepts a
/// peer as this member only when the certificate it presents holds that key, so a certificate
/// the cluster CA signed for anything else (a removed node, a node id that was never admitted)
/// confers nothing.
///
/// Stores written before this type existed recorded openraft's `BasicNode` (`{"addr": …}`);
/// they still decode, the address becoming `cluster_addr` and the other fields empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeInfo {
    /// The node's name, also the DNS SAN of its certificate.
    pub name: String,
    /// `IP:PORT` of the node's cluster port.
    #[serde(alias = "addr")]
    pub cluster_addr: String,
    /// `IP:PORT` of the node's API listener.
    pub api_addr: String,
    /// Hex SHA-256 of the SubjectPublicKeyInfo of the node's certificate; empty in stores
    /// written before keys were pinned, and then no certificate is this member's.
    pub cert_key: String,
}

impl NodeInfo {
    /// A node named `name` with its cluster and API addresses.
    pub fn new(
        name: impl Into<String>,
        cluster_addr: impl Into<String>,
        api_addr: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            cluster_addr: cluster_addr.into(),
            api_addr: api_addr.into(),
            cert_key: String::new(),
        }
    }

    /// The same node, pinned to the certificate key with id `key` (see
    /// `coffer_crypto::certificate_key_id`).
    #[must_use]
    pub fn with_cert_key(mut self, key: &[u8; 32]) -> Self {
        self.cert_key = hex::encode(key);
        self
    }

    /// The id of the key this node was admitted with, when its record pins one.
    pub fn cert_key_id(&self) -> Option<[u8; 32]> {
        cert_key_from_hex(&self.cert_key)
    }

    /// True when `key` is the id of the key this node was admitted with.
    pub fn holds_cert_key(&self, key: &[u8; 32]) -> bool {
        // Decoded onto the stack: this runs for every member on every cluster-port request.
        self.cert_key_id().as_ref() == Some(key)
    }
}

/// A certificate key id from its hex form (as [`NodeInfo::cert_key`] keeps it).
pub fn cert_key_from_hex(text: &str) -> Option<[u8; 32]> {
    let mut key = [0; 32];
    hex::decode_to_slice(text, &mut key).ok()?;
    Some(key)
}

impl fmt::Display for NodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (cluster {}, api {})",
            self.name, self.cluster_addr, self.api_addr
        )
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_basic_node_still_decodes() {
        let node: NodeInfo = serde_json::from_str(r#"{"addr":"127.0.0.1:4444"}"#).expect("decodes");
        assert_eq!(node, NodeInfo::new("", "127.0.0.1:4444", ""));
    }

    #[test]
    fn node_info_round_trips() {
        let node = NodeInfo::new("node-1", "10.0.0.1:4445", "10.0.0.1:443").with_cert_key(&[7; 32]);
        assert!(node.holds_cert_key(&[7; 32]));
        assert_eq!(node.cert_key_id(), Some([7; 32]));
        assert_eq!(NodeInfo::new("n", "a", "b").cert_key_id(), None);
        assert!(!node.holds_cert_key(&[8; 32]));
        assert!(!NodeInfo::new("n", "a", "b").holds_cert_key(&[0; 32]));
        let json = serde_json::to_string(&node).expect("encodes");
        assert_eq!(
            serde_json::from_str::<NodeInfo>(&json).expect("decodes"),
            node
        );
    }
}
