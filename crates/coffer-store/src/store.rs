//! The store file and the handles it gives out.

use crate::audit::AuditLog;
use crate::error::StoreError;
use crate::lease::Leases;
use crate::log_store::LogStore;
use crate::node_local::NodeLocal;
use crate::schema;
use crate::state_handle::{Replica, StateHandle};
use crate::state_machine::{self, StateMachineStore};
use coffer_core::{RecordKey, State};
use redb::{Database, ReadableDatabase, ReadableTable};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One node's store: a single redb file with the Raft log, the replicated state and the
/// node-local tables. Cloning is cheap and shares the file.
///
/// Give [`Store::log_store`] and [`Store::state_machine`] to exactly one Raft instance; read the
/// state through [`Store::state`].
#[derive(Clone, Debug)]
pub struct Store {
    db: Arc<Database>,
    state: StateHandle,
    leases: Leases,
    path: PathBuf,
}

impl Store {
    /// Opens the store file at `path`, creating it if absent, and loads the applied state from
    /// its records table.
    ///
    /// Fails if another process (or another `Store` in this one) holds the file, if the file's
    /// schema version is not [`SCHEMA_VERSION`](crate::SCHEMA_VERSION), or if a record does not
    /// decode.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::builder()
            .create(path)
            .map_err(|source| StoreError::Open {
                path: path.to_owned(),
                source,
            })?;
        let txn = db.begin_write()?;
        match schema::prepare(&txn, path) {
            Ok(()) => txn.commit()?,
            Err(error) => {
                txn.abort()?;
                return Err(error);
            }
        }
        let replica = load_replica(&db)?;
        tracing::info!(
            path = %path.display(),
            last_applied = ?replica.last_applied,
            "store opened"
        );
        Ok(Store {
            db: Arc::new(db),
            state: StateHandle::from_replica(replica),
            leases: Leases::new(),
            path: path.to_owned(),
        })
    }

    /// The Raft log and vote storage, for openraft.
    pub fn log_store(&self) -> LogStore {
        LogStore::new(Arc::clone(&self.db), self.leases.take())
    }

    /// The state machine, for openraft. It updates the state behind [`Store::state`].
    pub fn state_machine(&self) -> StateMachineStore {
        StateMachineStore::new(Arc::clone(&self.db), self.state.clone(), self.leases.take())
    }

    /// Read access to the applied state.
    pub fn state(&self) -> StateHandle {
        self.state.clone()
    }

    /// The node-local named values (sealed cluster master key, node identity, ...).
    pub fn node_local(&self) -> NodeLocal {
        NodeLocal::new(Arc::clone(&self.db))
    }

    /// The node-local audit log.
    pub fn audit(&self) -> AuditLog {
        AuditLog::new(Arc::clone(&self.db))
    }

    /// The path of the store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Resolves once every log store, state machine and snapshot builder handed out by this
    /// store has been dropped — after a Raft shutdown, when its background tasks have finished.
    /// Only then can the file be opened again once every `Store` clone is dropped too.
    pub async fn raft_released(&self) {
        self.leases.all_returned().await;
    }
}

/// Rebuilds the applied state from the records table and the state-machine pointers.
fn load_replica(db: &Database) -> Result<Replica, StoreError> {
    let txn = db.begin_read()?;
    let (last_applied, membership) = state_machine::read_applied(&txn)?;
    let records = txn.open_table(schema::RECORDS)?;
    let mut state = State::default();
    for row in records.iter()? {
        let (key, value) = row?;
        let raw = key.value();
        let key = RecordKey::from_bytes(raw)
            .ok_or_else(|| StoreError::UnknownRecordKey { key: raw.to_vec() })?;
        state
            .load_record(key, value.value())
            .map_err(|source| StoreError::CorruptRecord { key, source })?;
    }
    Ok(Replica {
        state,
        last_applied,
        membership,
    })
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests;
