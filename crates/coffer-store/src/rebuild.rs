//! Rebuilding the applied state from a snapshot and the local log (the storage side of a
//! replica repair; see [`Store::rebuild_state`](crate::Store::rebuild_state)).

use crate::codec;
use crate::error::{SnapshotFormatError, StoreError};
use crate::schema::{RAFT_LOG, RECORDS};
use crate::snapshot;
use crate::type_config::{Entry, LogId};
use coffer_core::State;
use openraft::EntryPayload;
use redb::{Database, ReadableDatabase};

/// Loads the snapshot `data` (which must end at `from`), replays the logged entries after it
/// up to `applied`, writes the result as the records table and returns it.
pub(crate) fn rebuild(
    db: &Database,
    from: Option<LogId>,
    applied: Option<LogId>,
    data: &[u8],
) -> Result<State, StoreError> {
    let decoded = snapshot::decode(data)?;
    if decoded.header.last_applied != from {
        return Err(SnapshotFormatError::MetaMismatch.into());
    }
    let mut state = State::default();
    for (key, bytes) in &decoded.records {
        state
            .load_record(*key, bytes)
            .map_err(|source| SnapshotFormatError::Record { key: *key, source })?;
    }
    if let Some(applied) = applied {
        let first = from.map_or(0, |log_id| log_id.index + 1);
        let txn = db.begin_read()?;
        let log = txn.open_table(RAFT_LOG)?;
        let mut expected = first;
        for row in log.range(first..=applied.index)? {
            let (index, value) = row?;
            if index.value() != expected {
                return Err(StoreError::RebuildLogGap { missing: expected });
            }
            let entry: Entry = codec::decode("log entry", value.value())?;
            if let EntryPayload::Normal(command) = &entry.payload {
                // Refusals change nothing, exactly as when the entry was first applied.
                let _ = state.apply(command);
            }
            expected += 1;
        }
        if expected <= applied.index {
            return Err(StoreError::RebuildLogGap { missing: expected });
        }
    }
    let txn = db.begin_write()?;
    {
        let mut records = txn.open_table(RECORDS)?;
        records.retain(|_, _| false)?;
        for (key, bytes) in state.records() {
            records.insert(&key.to_bytes(), bytes.as_slice())?;
        }
    }
    txn.commit()?;
    Ok(state)
}
