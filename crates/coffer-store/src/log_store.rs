//! The Raft log and vote, for openraft.

use crate::codec;
use crate::error::StoreError;
use crate::lease::Lease;
use crate::schema::{COMMITTED, LAST_PURGED, RAFT_LOG, RAFT_META, VOTE};
use crate::type_config::{Entry, LogId, TypeConfig};
use crate::writer::Writer;
use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{
    AnyError, LogState, OptionalSend, RaftLogReader, StorageError, StorageIOError, Vote,
};
use redb::{Database, ReadableDatabase, ReadableTable};
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// The Raft log (`raft_log`) and its pointers (`raft_meta`: vote, committed, last purged).
///
/// Every write goes through the store's writer thread (see `writer.rs`), which commits it,
/// possibly together with other queued writes, in one redb transaction: with immediate
/// durability before the call returns (or, for [`RaftLogStorage::append`], before the flush
/// callback runs — which is also before `append` returns, so the log readers always find every
/// appended entry on disk and no unflushed copy is kept in memory). The committed pointer is the
/// exception: it is only recorded, and the next transaction writes it without a flush of its own.
/// openraft serializes the log writes, as its contract requires; the writer keeps their order.
/// Clones share the file and serve as log readers for replication.
#[derive(Clone, Debug)]
pub struct LogStore {
    db: Arc<Database>,
    writer: Writer,
    // Declared last: dropped after `db`, so a released lease means a released file.
    _lease: Lease,
}

impl LogStore {
    pub(crate) fn new(db: Arc<Database>, writer: Writer, lease: Lease) -> Self {
        Self {
            db,
            writer,
            _lease: lease,
        }
    }

    fn entries(&self, range: (Bound<u64>, Bound<u64>)) -> Result<Vec<Entry>, StoreError> {
        let txn = self.db.begin_read()?;
        let log = txn.open_table(RAFT_LOG)?;
        let mut entries = Vec::new();
        for row in log.range::<u64>(range)? {
            let (_, value) = row?;
            entries.push(codec::decode("log entry", value.value())?);
        }
        Ok(entries)
    }

    fn log_state(&self) -> Result<LogState<TypeConfig>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(RAFT_META)?;
        let last_purged_log_id: Option<LogId> = codec::get(&meta, LAST_PURGED)?;
        let log = txn.open_table(RAFT_LOG)?;
        let last_log_id = match log.last()? {
            Some((_, value)) => Some(codec::decode::<Entry>("log entry", value.value())?.log_id),
            None => last_purged_log_id,
        };
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    fn meta<T: serde::de::DeserializeOwned>(
        &self,
        key: &'static str,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(RAFT_META)?;
        codec::get(&meta, key)
    }

    /// Writes `value` under `key` in `raft_meta`, durably.
    async fn put_meta<T: serde::Serialize>(
        &self,
        key: &'static str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = codec::encode(key, value)?;
        self.writer
            .write(true, move |txn| {
                txn.open_table(RAFT_META)?.insert(key, bytes.as_slice())?;
                Ok(())
            })
            .await
    }

    async fn write_entries(&self, entries: Vec<(u64, Vec<u8>)>) -> Result<(), StoreError> {
        self.writer
            .write(true, move |txn| {
                let mut log = txn.open_table(RAFT_LOG)?;
                for (index, bytes) in &entries {
                    log.insert(index, bytes.as_slice())?;
                }
                Ok(())
            })
            .await
    }

    /// Removes the entries in `range`; with `purged`, records it as the last purged log id in
    /// the same transaction.
    async fn remove_entries(
        &self,
        range: (Bound<u64>, Bound<u64>),
        purged: Option<LogId>,
    ) -> Result<(), StoreError> {
        let purged = purged
            .map(|id| codec::encode(LAST_PURGED, &id))
            .transpose()?;
        self.writer
            .write(true, move |txn| {
                txn.open_table(RAFT_LOG)?
                    .retain_in::<u64, _>(range, |_, _| false)?;
                if let Some(bytes) = &purged {
                    txn.open_table(RAFT_META)?
                        .insert(LAST_PURGED, bytes.as_slice())?;
                }
                Ok(())
            })
            .await
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError<u64>> {
        let bounds = (range.start_bound().cloned(), range.end_bound().cloned());
        self.entries(bounds)
            .map_err(|e| StorageIOError::read_logs(AnyError::new(&e)).into())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        self.log_state()
            .map_err(|e| StorageIOError::read_logs(AnyError::new(&e)).into())
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        self.put_meta(VOTE, vote)
            .await
            .map_err(|e| StorageIOError::write_vote(AnyError::new(&e)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        self.meta(VOTE)
            .map_err(|e| StorageIOError::read_vote(AnyError::new(&e)).into())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError<u64>> {
        // The committed index is a hint for re-applying after a restart, not a Raft safety
        // property (it is recomputed from a quorum): it needs no disk flush of its own, and
        // becomes durable with the next log append. It is not even written here: the next
        // transaction of the store's writer carries it (normally the one that persists the
        // entries it made committed, as they are applied).
        self.writer.set_committed(committed);
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError<u64>> {
        if let Some(committed) = self.writer.committed() {
            return Ok(committed);
        }
        // Stored as JSON of `Option<LogId>`; an absent row and a stored `null` both mean none.
        let committed: Option<Option<LogId>> = self
            .meta(COMMITTED)
            .map_err(|e| StorageIOError::read(AnyError::new(&e)))?;
        Ok(committed.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let encoded: Result<Vec<(u64, Vec<u8>)>, StoreError> = entries
            .into_iter()
            .map(|entry| Ok((entry.log_id.index, codec::encode("log entry", &entry)?)))
            .collect();
        let written = match encoded {
            Ok(encoded) => self.write_entries(encoded).await,
            Err(error) => Err(error),
        };
        match written {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(error) => {
                callback.log_io_completed(Err(std::io::Error::other(error.to_string())));
                Err(StorageIOError::write_logs(AnyError::new(&error)).into())
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError<u64>> {
        tracing::debug!(%log_id, "truncating the log");
        self.remove_entries((Bound::Included(log_id.index), Bound::Unbounded), None)
            .await
            .map_err(|e| StorageIOError::write_logs(AnyError::new(&e)).into())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError<u64>> {
        tracing::debug!(%log_id, "purging the log");
        self.remove_entries(
            (Bound::Unbounded, Bound::Included(log_id.index)),
            Some(log_id),
        )
        .await
        .map_err(|e| StorageIOError::write_logs(AnyError::new(&e)).into())
    }
}
