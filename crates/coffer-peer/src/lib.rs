//! The HTTPS side of Coffer's cluster port: how a node's [`Cluster`] reaches its peers and how
//! it serves them. [`coffer_cluster`] itself knows only bytes and routes; this crate puts them
//! on HTTP (`h2` or `http/1.1`) over mutual TLS.
//!
//! - [`HttpsTransport`] is the [`PeerTransport`] a node hands to [`Cluster::start`]: one pooled
//!   hyper client per peer, dialling the peer's [`NodeInfo::cluster_addr`] and verifying its
//!   certificate against its [`NodeInfo::name`], with the node's own certificate as the client
//!   identity.
//! - [`raft_router`] gives the axum routes for every [`PeerRoute`], answered by
//!   [`Cluster::answer_peer`], which knows the caller by the [`PresentedKey`] of its client
//!   certificate. The daemon merges them into its cluster-port router and serves that behind
//!   TLS requiring a client certificate from the cluster CA.
//!
//! Both sides use the rustls configurations the daemon builds from the node's certificate and
//! the cluster CA. The CA lets a peer complete the handshake; what a peer may do is decided by
//! the key of its certificate, pinned in the membership.
//!
//! [`Cluster`]: coffer_cluster::Cluster
//! [`Cluster::start`]: coffer_cluster::Cluster::start
//! [`Cluster::answer_peer`]: coffer_cluster::Cluster::answer_peer
//! [`PeerTransport`]: coffer_cluster::PeerTransport
//! [`PeerRoute`]: coffer_cluster::PeerRoute
//! [`NodeInfo::cluster_addr`]: coffer_cluster::NodeInfo::cluster_addr
//! [`NodeInfo::name`]: coffer_cluster::NodeInfo::name

mod client;
mod server;

pub use client::{HttpsTransport, PeerReply};
pub use server::{PresentedKey, raft_router};
