//! The cluster port's edge: what other members (and, for the join handshake, joining
//! nodes) ask of this node over mutual TLS. Each route parses its body, calls a use case in
//! `coffer-node` (`admission` for joins, `membership` for leader actions) and answers a
//! refusal through [`refusal::Refusal`]. Raft's own routes come from `coffer-peer`.

pub(crate) mod cluster_port;
pub(crate) mod join;
mod refusal;
