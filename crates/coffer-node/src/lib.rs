//! A Coffer node's use cases, independent of any transport.
//!
//! Both planes of a node live here: the DSM API's use cases (accounts, groups, apps, users,
//! security objects, crypto, the audit log) and the control plane's (the node's identity and
//! availability, the join gate, join tokens, the cluster configuration). The edges — the
//! HTTPS API, the admin socket, the cluster port — live in `coffer-server`; they parse their
//! wire format, call a use case here with a [`Caller`](caller::Caller), and map
//! [`ServiceError`](error::ServiceError) to their own answer once.
//!
//! ```text
//! edges (http/, admin/, peer/) → coffer-node → coffer-cluster → coffer-store → coffer-core
//! ```
//!
//! This crate depends on no HTTP or TLS library; `.ci/run` checks it.

pub mod access;
pub mod accounts;
pub mod admission;
pub mod app_secrets;
pub mod apps;
pub mod audit;
pub mod audit_retention;
pub mod auth;
pub mod availability;
pub mod caller;
mod clock;
pub mod cluster_status;
pub mod config;
pub mod convert;
pub mod crypto;
pub mod dev;
pub mod error;
pub mod groups;
pub mod identity;
pub mod join_gate;
pub mod join_protocol;
pub mod join_tokens;
pub mod keycache;
pub mod login_backoff;
pub mod master_keys;
pub mod membership;
mod node;
pub mod password_pool;
pub mod passwords;
pub mod peer_access;
pub mod peers;
pub mod private_file;
pub mod session;
pub mod session_reports;
pub mod settings;
pub mod sobjects;
pub mod users;
pub mod vault;

#[cfg(test)]
mod fixtures;

pub use clock::{now, now_nanos};
pub use error::{ServiceError, ServiceResult};
pub use node::{Membership, Node};
