//! The store file and the handles it gives out.

use crate::audit::AuditLog;
use crate::blocking;
use crate::error::StoreError;
use crate::lease::Leases;
use crate::log_store::LogStore;
use crate::node_local::NodeLocal;
use crate::rebuild;
use crate::schema;
use crate::state_handle::{Replica, StateHandle};
use crate::state_machine::{self, ApplyLock, StateMachineStore};
use crate::type_config::SnapshotMeta;
use crate::writer::Writer;
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
    apply_lock: ApplyLock,
    writer: Writer,
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
        let db = Arc::new(db);
        let writer = Writer::start(&db)?;
        Ok(Store {
            db,
            writer,
            state: StateHandle::from_replica(replica),
            leases: Leases::new(),
            apply_lock: ApplyLock::default(),
            path: path.to_owned(),
        })
    }

    /// The Raft log and vote storage, for openraft.
    pub fn log_store(&self) -> LogStore {
        LogStore::new(
            Arc::clone(&self.db),
            self.writer.clone(),
            self.leases.take(),
        )
    }

    /// The state machine, for openraft. It updates the state behind [`Store::state`].
    pub fn state_machine(&self) -> StateMachineStore {
        StateMachineStore::new(
            Arc::clone(&self.db),
            self.state.clone(),
            Arc::clone(&self.apply_lock),
            self.writer.clone(),
            self.leases.take(),
        )
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

    /// Empties the replicated side of the store — the Raft log, vote and pointers, the records,
    /// the applied pointers and membership, the current snapshot — and the in-memory state,
    /// keeping the node-local tables and the audit log. Durable when it returns.
    ///
    /// This is how a replica that diverged is rebuilt: the node is first removed from the
    /// membership (a voter must never forget its log or its vote while it counts towards a
    /// quorum), then Raft is shut down, the store reset, Raft started again without bootstrap,
    /// and the leader adds the node back; it then receives the leader's snapshot or whole log.
    ///
    /// Refused with [`StoreError::RaftRunning`] while a log store, state machine or snapshot
    /// builder handed out by this store is alive (see [`Store::raft_released`]).
    pub async fn reset_replica(&self) -> Result<(), StoreError> {
        let live = self.leases.live();
        if live > 0 {
            return Err(StoreError::RaftRunning { live });
        }
        let db = Arc::clone(&self.db);
        blocking::run(move || {
            let txn = db.begin_write()?;
            txn.open_table(schema::RAFT_LOG)?.retain(|_, _| false)?;
            txn.open_table(schema::RAFT_META)?.retain(|_, _| false)?;
            txn.open_table(schema::RECORDS)?.retain(|_, _| false)?;
            txn.open_table(schema::SM_META)?.retain(|_, _| false)?;
            txn.open_table(schema::SNAPSHOT)?.retain(|_, _| false)?;
            txn.commit()?;
            Ok(())
        })
        .await?;
        self.writer.forget_committed();
        self.state.replace(Replica::default());
        tracing::warn!(path = %self.path.display(), "replicated state reset");
        Ok(())
    }

    /// Rebuilds the applied state from `snapshot` (the bytes of a snapshot described by
    /// `meta`, normally the leader's) without stopping Raft: the snapshot's records, brought
    /// forward by replaying this node's own log entries after the snapshot up to its last
    /// applied entry. The records table is replaced in one transaction and the in-memory state
    /// swapped; the applied pointer and the membership stay as they are. Returns the applied
    /// index the state was rebuilt at.
    ///
    /// This repairs a replica whose state diverged although its log is right (committed log
    /// entries are the same everywhere; only their application went wrong). No entry is applied
    /// meanwhile. Refused when the snapshot is ahead of this node's applied index
    /// ([`StoreError::RebuildAhead`]: wait until it caught up) or when this node's log no longer
    /// holds every entry after the snapshot ([`StoreError::RebuildLogGap`]: use a newer
    /// snapshot, or reset the replica). The node's own current snapshot still shows the old
    /// state: build a new one afterwards.
    pub async fn rebuild_state(
        &self,
        meta: &SnapshotMeta,
        data: Vec<u8>,
    ) -> Result<u64, StoreError> {
        let _applying = self.apply_lock.lock().await;
        let applied = self.state.last_applied();
        let from = meta.last_log_id;
        if from > applied {
            return Err(StoreError::RebuildAhead {
                snapshot: from.map(|log_id| log_id.index),
                applied: applied.map(|log_id| log_id.index),
            });
        }
        let db = Arc::clone(&self.db);
        let state = blocking::run(move || rebuild::rebuild(&db, from, applied, &data)).await?;
        self.state.write().state = state;
        self.state.announce();
        let index = applied.map_or(0, |log_id| log_id.index);
        tracing::warn!(
            path = %self.path.display(),
            snapshot = ?from,
            applied = index,
            "applied state rebuilt from a snapshot"
        );
        Ok(index)
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
