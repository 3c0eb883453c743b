//! Builds snapshots of the replicated tables, for openraft.

use crate::blocking;
use crate::codec;
use crate::error::StoreError;
use crate::lease::Lease;
use crate::schema::{RECORDS, SNAPSHOT, SNAPSHOT_DATA, SNAPSHOT_META};
use crate::snapshot::{Encoder, Header};
use crate::state_machine;
use crate::type_config::{SnapshotMeta, TypeConfig};
use openraft::{AnyError, RaftSnapshotBuilder, Snapshot, StorageError, StorageIOError};
use redb::{Database, ReadableDatabase, ReadableTable};
use std::io::Cursor;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Builds a snapshot from one consistent read of `sm_meta` and `records` (format in
/// [`StateMachineStore`](crate::StateMachineStore#snapshot-format)) and keeps it as the current
/// snapshot. Runs beside the state machine without blocking it.
#[derive(Debug)]
pub struct SnapshotBuilder {
    db: Arc<Database>,
    // Declared last: dropped after `db`, so a released lease means a released file.
    _lease: Lease,
}

impl SnapshotBuilder {
    pub(crate) fn new(db: Arc<Database>, lease: Lease) -> Self {
        Self { db, _lease: lease }
    }
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        let db = Arc::clone(&self.db);
        let (meta, data) = blocking::run(move || build(&db))
            .await
            .map_err(|e| StorageIOError::write_snapshot(None, AnyError::new(&e)))?;
        tracing::info!(%meta, bytes = data.len(), "snapshot built");
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

fn build(db: &Database) -> Result<(SnapshotMeta, Vec<u8>), StoreError> {
    let (header, data) = {
        let txn = db.begin_read()?;
        let (last_applied, membership) = state_machine::read_applied(&txn)?;
        let header = Header {
            last_applied,
            membership,
        };
        let mut encoder = Encoder::new(&header)?;
        for row in txn.open_table(RECORDS)?.iter()? {
            let (key, value) = row?;
            encoder.record(key.value(), value.value())?;
        }
        (header, encoder.finish())
    };
    let meta = SnapshotMeta {
        last_log_id: header.last_applied,
        last_membership: header.membership,
        snapshot_id: snapshot_id(&header.last_applied),
    };
    keep_as_current(db, &meta, &data)?;
    Ok((meta, data))
}

/// Stores the snapshot unless a newer one (say, installed meanwhile) is already current.
fn keep_as_current(db: &Database, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StoreError> {
    let meta_bytes = codec::encode(SNAPSHOT_META, meta)?;
    let txn = db.begin_write()?;
    {
        let mut stored = txn.open_table(SNAPSHOT)?;
        let current: Option<SnapshotMeta> = codec::get(&stored, SNAPSHOT_META)?;
        if current.is_some_and(|current| current.last_log_id > meta.last_log_id) {
            drop(stored);
            txn.abort()?;
            return Ok(());
        }
        stored.insert(SNAPSHOT_META, meta_bytes.as_slice())?;
        stored.insert(SNAPSHOT_DATA, data)?;
    }
    txn.commit()?;
    Ok(())
}

/// Unique per build: the last applied log id, then the build time in milliseconds.
fn snapshot_id(last_applied: &Option<crate::type_config::LogId>) -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    match last_applied {
        Some(log_id) => format!(
            "{}-{}-{}-{millis}",
            log_id.leader_id.term, log_id.leader_id.node_id, log_id.index
        ),
        None => format!("empty-{millis}"),
    }
}
