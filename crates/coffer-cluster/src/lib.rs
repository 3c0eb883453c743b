//! Coffer's replication: the openraft wiring and the [`Cluster`] handle the server talks to.
//!
//! Every change to the replicated state is a [`Command`](coffer_core::Command) proposed with
//! [`Cluster::propose`]: openraft appends it to the log, commits it, and the store's state
//! machine applies it with [`State::apply`](coffer_core::State::apply). A single node is a
//! one-voter Raft cluster, so one node and fifty share this code path.
//!
//! ```text
//!  propose(Command) ──► openraft leader ──► LogStore (redb, fsync) ──► commit
//!                                                                        │
//!  Ok(outcome) ◄── CommandResponse ◄── StateMachineStore::apply ◄───────┘
//!                                        │ State::apply, records written in one transaction
//!  reads ──► Cluster::state() ──► StateHandle (in-memory State)
//! ```
//!
//! The node-to-node transport is not here yet: `network.rs` holds a placeholder whose every RPC
//! fails, which a single voter never calls. The mTLS transport replaces it.
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
mod error;
mod metrics;
mod network;

pub use cluster::Cluster;
pub use error::ClusterError;
pub use metrics::{ClusterMetrics, Role};
