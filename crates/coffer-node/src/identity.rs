//! Who this node is: its name, addresses and node certificate, kept in the node-local table.

use anyhow::Context;
use coffer_core::Sealed;
use coffer_store::Store;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

const IDENTITY: &str = "node_identity";

/// A member node's identity. The node key is sealed under the node's own sealing key (not the
/// cluster master key) so that it can be opened before the CMK is available.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeIdentity {
    /// Raft node id.
    pub node_id: u64,
    /// Node name (lower case, unique in the cluster).
    pub name: String,
    /// The node's address.
    pub ip: IpAddr,
    /// The subnet prefix length given with `--self` (or the peer's on join), if any.
    pub prefix: Option<u8>,
    /// API listener port.
    pub api_port: u16,
    /// Cluster listener port.
    pub cluster_port: u16,
    /// The node certificate chain (leaf, then cluster CA), PEM.
    pub cert_chain_pem: String,
    /// The cluster CA certificate, PEM.
    pub ca_cert_pem: String,
    /// The node certificate's private key, sealed under the node sealing key.
    pub sealed_key: Sealed,
}

impl NodeIdentity {
    /// Where the API listens.
    pub fn api_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.api_port)
    }

    /// Where the cluster port listens.
    pub fn cluster_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.cluster_port)
    }

    /// The identity stored in `store`, if this node has one.
    pub fn load(store: &Store) -> anyhow::Result<Option<Self>> {
        match store.node_local().get(IDENTITY)? {
            Some(bytes) => Ok(Some(
                serde_json::from_slice(&bytes).context("reading the node identity")?,
            )),
            None => Ok(None),
        }
    }

    /// Persists the identity.
    pub fn save(&self, store: &Store) -> anyhow::Result<()> {
        store
            .node_local()
            .put(IDENTITY, &serde_json::to_vec(self)?)?;
        Ok(())
    }
}

/// Checks a node name: DSM requires lower case and uniqueness (uniqueness is checked by the
/// cluster). Names become DNS names in node certificates, so only `a-z0-9-.` are allowed.
pub fn check_node_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 63 {
        return Err(format!("node name {name:?} must be 1 to 63 characters"));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "host name {name:?} contains upper-case letters; Coffer requires lower-case host names \
             (set it with `hostnamectl set-hostname {}` or pass --node-name)",
            name.to_lowercase()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        || name.starts_with(['-', '.'])
    {
        return Err(format!(
            "node name {name:?} may only contain a-z, 0-9, '-' and '.'"
        ));
    }
    Ok(())
}

/// This machine's host name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// Parses `IP/PREFIX` or `IP`.
pub fn parse_addr(text: &str) -> Result<(IpAddr, Option<u8>), String> {
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, prefix)) => (ip, Some(prefix)),
        None => (text, None),
    };
    let ip: IpAddr = ip
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an IP address (expected IP or IP/PREFIX)"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => Some(
            p.parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
        ),
        None => None,
    };
    Ok((ip, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_must_be_lower_case_dns_labels() {
        assert!(check_node_name("node-1").is_ok());
        let upper = check_node_name("Node1").unwrap_err();
        assert!(
            upper.contains("lower-case") && upper.contains("node1"),
            "{upper}"
        );
        assert!(check_node_name("").is_err());
        assert!(check_node_name("a_b").is_err());
    }

    #[test]
    fn addresses_parse_with_and_without_prefix() {
        assert_eq!(
            parse_addr("10.0.0.5/24"),
            Ok(("10.0.0.5".parse().unwrap(), Some(24)))
        );
        assert_eq!(
            parse_addr("10.0.0.5"),
            Ok(("10.0.0.5".parse().unwrap(), None))
        );
        assert!(parse_addr("10.0.0.5/33").is_err());
        assert!(parse_addr("host/24").is_err());
    }
}
