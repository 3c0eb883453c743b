//! The cluster port's edge: what other members (and, for the join handshake, joining
//! nodes) ask of this node over mutual TLS, and the leader side of joins and membership
//! actions. Raft's own routes come from `coffer-peer`.

pub(crate) mod cluster_port;
pub(crate) mod join;
pub(crate) mod membership;
