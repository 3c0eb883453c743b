//! Coffer's storage: one redb file per node holding the Raft log, the replicated state and the
//! node's own tables.
//!
//! A [`Store`] is opened once per process. It hands the Raft side to openraft — a [`LogStore`]
//! (log, vote, committed and purged pointers) and a [`StateMachineStore`] (applies committed
//! [`Command`](coffer_core::Command)s with [`State::apply`](coffer_core::State::apply), builds and
//! installs snapshots) — and gives the server everything else: a [`StateHandle`] for reads,
//! [`NodeLocal`] for the sealed cluster master key and the node identity, and [`AuditLog`] for
//! the node's audit trail.
//!
//! ```text
//!                         one redb file
//!  ┌──────────────── replicated ────────────────┐ ┌──────── node-local ────────┐
//!  │ raft_log   index → entry (JSON)            │ │ node_local  name → bytes   │
//!  │ raft_meta  vote, committed, last_purged    │ │ audit       u64 → bytes    │
//!  │ records    RecordKey (17 B) → record bytes │ └────────────────────────────┘
//!  │ sm_meta    last_applied, membership        │   never in a snapshot
//!  │ snapshot   meta, data of the current one   │
//!  └────────────────────────────────────────────┘   schema: version (refused if unknown)
//! ```
//!
//! Applying a batch of entries changes the in-memory [`State`](coffer_core::State) first and then
//! writes every changed record, the last applied log id and the membership in one write
//! transaction, so at start-up the state is rebuilt from the `records` table instead of replaying
//! the log. Snapshots are read from a consistent read transaction over the same tables; their
//! byte format is under
//! [Snapshot format](crate::StateMachineStore#snapshot-format).
//!
//! ```
//! use coffer_store::Store;
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(&dir.path().join("node.redb"))?;
//! store.node_local().put("node-id", b"7")?;
//! assert_eq!(store.node_local().get("node-id")?, Some(b"7".to_vec()));
//! assert!(store.state().read().accounts().next().is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod audit;
mod blocking;
mod codec;
mod error;
mod lease;
mod log_store;
mod node_info;
mod node_local;
mod rebuild;
mod response;
mod schema;
mod snapshot;
mod snapshot_builder;
mod state_handle;
mod state_machine;
mod store;
mod type_config;
mod writer;

pub use audit::AuditLog;
pub use error::{SnapshotFormatError, StoreError};
pub use log_store::LogStore;
pub use node_info::{NodeInfo, cert_key_from_hex};
pub use node_local::NodeLocal;
pub use response::CommandResponse;
pub use schema::SCHEMA_VERSION;
pub use snapshot_builder::SnapshotBuilder;
pub use state_handle::{StateGuard, StateHandle};
pub use state_machine::StateMachineStore;
pub use store::Store;
pub use type_config::{Entry, LogId, SnapshotMeta, StoredMembership, TypeConfig};
