//! The cluster port's edge: what other members (and, for the join handshake, joining
//! nodes) ask of this node over mutual TLS, and the cluster's side of joins. Raft's own routes
//! come from `coffer-peer`; leader actions are answered by `coffer_node::membership`.

pub(crate) mod cluster_port;
pub(crate) mod join;
