//! Coffer's replication: the openraft wiring, the node-to-node protocol and the [`Cluster`]
//! handle the server talks to.
//!
//! Every change to the replicated state is a [`Command`](coffer_core::Command) proposed through
//! [`Cluster::propose_anywhere`] (or [`Cluster::propose`] on the leader): openraft appends it to
//! the log, replicates and commits it, and every node's state machine applies it with
//! [`State::apply`](coffer_core::State::apply). A single node is a one-voter Raft cluster, so
//! one node and fifty share this code path.
//!
//! ```text
//!  propose_anywhere(Command) on a follower                      on the leader
//!     │ POST /cluster/propose ───────────────────────────────────► client_write
//!     │                                                              │ POST /raft/append ──► followers
//!     │ ◄──────────────────────────── {outcome, log_index} ◄── commit + apply
//!     │ wait until applied here (read-your-writes)
//!  Ok(outcome)
//!
//!  reads ──► Cluster::state() ──► StateHandle (in-memory State), while Cluster::is_serving()
//! ```
//!
//! Nodes talk over the cluster port, and this crate leaves the network to its caller. Outgoing
//! requests go through the [`PeerTransport`] given to [`Cluster::start`]: it carries a JSON body
//! to a peer (addressed and authenticated by its [`NodeInfo`]) and brings the answer back.
//! Incoming ones are answered by [`Cluster::answer_peer`] for each [`PeerRoute`], whose
//! documentation lists the routes and their payloads. The `coffer-peer` crate provides both
//! sides over HTTPS with mutual TLS. Membership changes go through [`MembershipChange`], one at
//! a time.
//!
//! ```no_run
//! # async fn example(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
//! use coffer_cluster::Cluster;
//! use coffer_core::{Account, AccountId, Command, UnixTime};
//! use coffer_store::Store;
//!
//! let cluster = Cluster::start_single(Store::open(path)?, 1, "127.0.0.1:4444".into()).await?;
//! let account = Account::new(AccountId::from_u128(1), "payments", UnixTime(1_700_000_000));
//! cluster.propose(Command::CreateAccount(account)).await??;
//! assert!(cluster.state().read().account(AccountId::from_u128(1)).is_some());
//! cluster.shutdown().await?;
//! # Ok(())
//! # }
//! ```

mod cluster;
mod config;
mod contacts;
mod error;
mod metrics;
mod network;
mod routes;
mod status;
mod transport;
mod wire;

pub use cluster::{Cluster, MembershipChange};
pub use coffer_store::NodeInfo;
pub use error::{ClusterError, PeerError, PeerRefusal};
pub use metrics::{ClusterMetrics, Role};
pub use routes::{PeerCallers, PeerRoute};
pub use status::{ClusterStatus, MemberRole, MemberStatus, PingReport};
pub use transport::{PeerMethod, PeerRequest, PeerTransport};
