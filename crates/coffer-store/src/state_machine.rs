//! The replicated state machine, for openraft.

use crate::blocking;
use crate::codec;
use crate::error::{SnapshotFormatError, StoreError};
use crate::lease::Lease;
use crate::response::CommandResponse;
use crate::schema::{
    LAST_APPLIED, MEMBERSHIP, RECORDS, SM_META, SNAPSHOT, SNAPSHOT_DATA, SNAPSHOT_META,
};
use crate::snapshot;
use crate::snapshot_builder::SnapshotBuilder;
use crate::state_handle::StateHandle;
use crate::type_config::{Entry, LogId, SnapshotMeta, StoredMembership, TypeConfig};
use crate::writer::Writer;
use coffer_core::State;
use openraft::storage::RaftStateMachine;
use openraft::{AnyError, EntryPayload, OptionalSend, Snapshot, StorageError, StorageIOError};
use parking_lot::RwLockWriteGuard;
use redb::{Database, ReadTransaction, ReadableDatabase, WriteTransaction};
use std::collections::BTreeSet;
use std::io::Cursor;
use std::sync::Arc;

/// Applies committed entries to the in-memory [`State`] and persists what changed.
///
/// # Applying
///
/// A batch of entries is applied to the state under its write lock ([`State::apply`] for
/// commands; membership entries are recorded; blank entries only advance the pointer). Then,
/// in one redb write transaction, every record the batch changed is written (or removed when
/// [`State::encode_record`] says it is gone) together with the last applied log id and the
/// membership. Responses are returned after that commit, so an acknowledged write is durable.
/// The transaction is the store's shared writer's (see `writer.rs`): it may also carry a log
/// append, and is then durable.
///
/// Readers may see a batch a moment before it is on disk. That is safe: only committed entries
/// are applied, and after a crash the same entries are applied again from the log.
///
/// # Snapshot format
///
/// A snapshot is built from one read transaction over `sm_meta` and `records`, so its records
/// and its last applied log id always agree. Bytes (integers big-endian):
///
/// ```text
/// b"COFSNAP\0" | u32 version = 1 | u32 header_len | header JSON {last_applied, membership}
/// | u64 count | count × (17-byte RecordKey | u32 len | record bytes)   keys strictly increasing
/// ```
///
/// Installing decodes and checks everything and builds the new [`State`] before touching the
/// file; then one transaction replaces the `records` table, the pointers and the stored current
/// snapshot, and only after that commit is the in-memory state swapped.
#[derive(Debug)]
pub struct StateMachineStore {
    db: Arc<Database>,
    state: StateHandle,
    /// Held while a batch is applied (memory and disk) or a snapshot installed, so that
    /// [`Store::rebuild_state`](crate::Store::rebuild_state) never interleaves with them.
    apply_lock: ApplyLock,
    writer: Writer,
    // Declared last: dropped after `db`, so a released lease means a released file.
    lease: Lease,
}

impl StateMachineStore {
    pub(crate) fn new(
        db: Arc<Database>,
        state: StateHandle,
        apply_lock: ApplyLock,
        writer: Writer,
        lease: Lease,
    ) -> Self {
        Self {
            db,
            state,
            apply_lock,
            writer,
            lease,
        }
    }

    /// Applies a batch in memory; returns the responses and what to persist.
    fn apply_in_memory(
        &self,
        entries: impl IntoIterator<Item = Entry>,
    ) -> (Vec<CommandResponse>, Option<Persist>) {
        let mut replica = self.state.write();
        let mut responses = Vec::new();
        let mut changed = BTreeSet::new();
        for entry in entries {
            let response = match entry.payload {
                EntryPayload::Blank => CommandResponse::accepted(),
                EntryPayload::Normal(command) => {
                    let applied = replica.state.apply(&command);
                    if let Err(refusal) = &applied.outcome {
                        tracing::debug!(log_id = %entry.log_id, %refusal, "command refused");
                    }
                    changed.extend(applied.changed);
                    CommandResponse {
                        outcome: applied.outcome,
                    }
                }
                EntryPayload::Membership(membership) => {
                    tracing::info!(log_id = %entry.log_id, %membership, "membership applied");
                    replica.membership = StoredMembership::new(Some(entry.log_id), membership);
                    CommandResponse::accepted()
                }
            };
            replica.last_applied = Some(entry.log_id);
            responses.push(response);
        }
        if responses.is_empty() {
            return (responses, None);
        }
        // Encoding needs only shared access; let readers in while it runs.
        let replica = RwLockWriteGuard::downgrade(replica);
        let records = changed
            .into_iter()
            .map(|key| (key.to_bytes(), replica.state.encode_record(key)))
            .collect();
        let persist = Persist {
            records,
            last_applied: replica.last_applied,
            membership: replica.membership.clone(),
        };
        (responses, Some(persist))
    }

    async fn install(&self, meta: &SnapshotMeta, data: Vec<u8>) -> Result<(), StoreError> {
        let meta_bytes = codec::encode(SNAPSHOT_META, meta)?;
        let last_applied = meta.last_log_id;
        let membership = meta.last_membership.clone();
        let db = Arc::clone(&self.db);
        let state = blocking::run(move || {
            let decoded = snapshot::decode(&data)?;
            if decoded.header.last_applied != last_applied
                || decoded.header.membership != membership
            {
                return Err(SnapshotFormatError::MetaMismatch.into());
            }
            let mut state = State::default();
            for (key, bytes) in &decoded.records {
                state
                    .load_record(*key, bytes)
                    .map_err(|source| SnapshotFormatError::Record { key: *key, source })?;
            }
            let txn = db.begin_write()?;
            {
                let mut records = txn.open_table(RECORDS)?;
                records.retain(|_, _| false)?;
                for (key, bytes) in &decoded.records {
                    records.insert(&key.to_bytes(), *bytes)?;
                }
            }
            write_applied(&txn, &last_applied, &membership)?;
            {
                let mut stored = txn.open_table(SNAPSHOT)?;
                stored.insert(SNAPSHOT_META, meta_bytes.as_slice())?;
                stored.insert(SNAPSHOT_DATA, data.as_slice())?;
            }
            txn.commit()?;
            Ok(state)
        })
        .await?;
        {
            let mut replica = self.state.write();
            replica.state = state;
            replica.last_applied = meta.last_log_id;
            replica.membership = meta.last_membership.clone();
        }
        self.state.announce();
        Ok(())
    }

    fn current_snapshot(&self) -> Result<Option<Snapshot<TypeConfig>>, StoreError> {
        let txn = self.db.begin_read()?;
        let stored = txn.open_table(SNAPSHOT)?;
        let Some(meta) = codec::get::<SnapshotMeta>(&stored, SNAPSHOT_META)? else {
            return Ok(None);
        };
        let data = stored
            .get(SNAPSHOT_DATA)?
            .map(|v| v.value().to_vec())
            .unwrap_or_default();
        Ok(Some(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId>, StoredMembership), StorageError<u64>> {
        let replica = self.state.replica();
        Ok((replica.last_applied, replica.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<CommandResponse>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let _applying = self.apply_lock.lock().await;
        let (responses, persist) = self.apply_in_memory(entries);
        if let Some(persist) = persist {
            self.state.announce();
            self.writer
                .write(false, move |txn| persist.write(txn))
                .await
                .map_err(|e| StorageIOError::write_state_machine(AnyError::new(&e)))?;
        }
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder::new(Arc::clone(&self.db), self.lease.clone())
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        tracing::info!(%meta, "installing snapshot");
        let _applying = self.apply_lock.lock().await;
        self.install(meta, snapshot.into_inner())
            .await
            .map_err(|e| {
                StorageIOError::write_snapshot(Some(meta.signature()), AnyError::new(&e)).into()
            })
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        self.current_snapshot()
            .map_err(|e| StorageIOError::read_snapshot(None, AnyError::new(&e)).into())
    }
}

/// Serializes the writers of the applied state: applying, installing, rebuilding.
pub(crate) type ApplyLock = Arc<tokio::sync::Mutex<()>>;

/// What one applied batch writes.
struct Persist {
    /// `RecordKey::to_bytes()` and the new value, `None` to remove.
    records: Vec<([u8; 17], Option<Vec<u8>>)>,
    last_applied: Option<LogId>,
    membership: StoredMembership,
}

impl Persist {
    fn write(&self, txn: &WriteTransaction) -> Result<(), StoreError> {
        // The applied state need not reach the disk before the client is answered: the entries
        // are already durable in the Raft log (appends commit with immediate durability, which
        // also flushes every earlier non-durable commit). After a crash the state resumes from
        // the last durable `last_applied` and openraft re-applies the committed entries after
        // it, so an acknowledged write is never lost; skipping the fsync here halves the disk
        // flushes per write. (The writer makes the transaction durable anyway when it also
        // carries a log write.)
        {
            let mut records = txn.open_table(RECORDS)?;
            for (key, value) in &self.records {
                match value {
                    Some(bytes) => records.insert(key, bytes.as_slice())?,
                    None => records.remove(key)?,
                };
            }
        }
        write_applied(txn, &self.last_applied, &self.membership)?;
        Ok(())
    }
}

/// The last applied log id and membership as stored (none and empty in a new file).
pub(crate) fn read_applied(
    txn: &ReadTransaction,
) -> Result<(Option<LogId>, StoredMembership), StoreError> {
    let meta = txn.open_table(SM_META)?;
    let last_applied: Option<Option<LogId>> = codec::get(&meta, LAST_APPLIED)?;
    let membership: Option<StoredMembership> = codec::get(&meta, MEMBERSHIP)?;
    Ok((last_applied.flatten(), membership.unwrap_or_default()))
}

fn write_applied(
    txn: &WriteTransaction,
    last_applied: &Option<LogId>,
    membership: &StoredMembership,
) -> Result<(), StoreError> {
    let mut meta = txn.open_table(SM_META)?;
    codec::put(&mut meta, LAST_APPLIED, last_applied)?;
    codec::put(&mut meta, MEMBERSHIP, membership)?;
    Ok(())
}
