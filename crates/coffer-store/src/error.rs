//! What can go wrong in the store. Every variant is a node failure except the two audit and
//! snapshot checks, which reject bad input before anything is written.

use coffer_core::RecordKey;
use std::path::PathBuf;

/// A failure of the node's store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file could not be opened or created (missing directory, held by another process,
    /// damaged beyond repair, ...).
    #[error("cannot open the store file {path}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why redb refused it.
        #[source]
        source: redb::DatabaseError,
    },
    /// The file was written by a build with another table layout.
    #[error(
        "the store file {path} has schema version {found}, but this build only reads version {supported}"
    )]
    UnsupportedSchema {
        /// The file.
        path: PathBuf,
        /// The version recorded in the file.
        found: u64,
        /// The version this build understands.
        supported: u64,
    },
    /// The file is a redb database with tables but without a Coffer schema version.
    #[error("the file {path} is not a Coffer store: it has tables but no schema version")]
    NotAStore {
        /// The file.
        path: PathBuf,
    },
    /// redb failed while reading or writing.
    #[error("storage failure")]
    Database(#[source] redb::Error),
    /// A stored record does not decode.
    #[error("stored record {key:?} cannot be decoded")]
    CorruptRecord {
        /// The record.
        key: RecordKey,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A key in the records table names no known table.
    #[error("stored record key {key:02x?} is not a valid record key")]
    UnknownRecordKey {
        /// The raw key.
        key: Vec<u8>,
    },
    /// A stored Raft value (log entry, vote, membership, snapshot meta, ...) does not encode or
    /// decode.
    #[error("cannot encode or decode the stored {what}")]
    Codec {
        /// What was being encoded or decoded.
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// Snapshot bytes are malformed or disagree with their metadata.
    #[error("malformed snapshot")]
    Snapshot(#[source] SnapshotFormatError),
    /// An audit batch would not keep ids strictly increasing.
    #[error("audit id {id} does not follow the last stored id {last:?}")]
    AuditOutOfOrder {
        /// The offending id.
        id: u64,
        /// The id it must exceed.
        last: Option<u64>,
    },
    /// The replicated tables cannot be reset while a Raft instance uses the store.
    #[error("the store is in use by Raft ({live} handles alive): shut Raft down first")]
    RaftRunning {
        /// Log stores, state machines and snapshot builders still alive.
        live: usize,
    },
    /// A snapshot to rebuild from is ahead of this node's applied state.
    #[error("the snapshot ends at index {snapshot:?}, after this node's applied index {applied:?}")]
    RebuildAhead {
        /// The snapshot's last index.
        snapshot: Option<u64>,
        /// This node's last applied index.
        applied: Option<u64>,
    },
    /// This node's log lacks entries needed to bring a snapshot up to its applied state.
    #[error("this node's log lacks entry {missing}, needed to rebuild its state")]
    RebuildLogGap {
        /// The first missing index.
        missing: u64,
    },
    /// A blocking storage task panicked or was cancelled.
    #[error("a storage task did not finish")]
    Task(#[source] tokio::task::JoinError),
    /// The thread that writes the Raft side of the file could not be started.
    #[error("cannot start the store's writer thread")]
    WriterStart(#[source] std::io::Error),
    /// The thread that writes the Raft side of the file is gone (it panicked, or the file was
    /// closed).
    #[error("the store's writer thread stopped")]
    WriterStopped,
}

/// Why snapshot bytes were rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotFormatError {
    /// The bytes do not start with the snapshot magic.
    #[error("not a Coffer snapshot")]
    BadMagic,
    /// The snapshot uses a format version this build does not read.
    #[error("snapshot format version {0} is not supported")]
    UnsupportedVersion(u32),
    /// The bytes end in the middle of a field.
    #[error("snapshot is truncated")]
    Truncated,
    /// Bytes follow the last record.
    #[error("snapshot has {0} trailing bytes")]
    TrailingBytes(usize),
    /// A field is too long for its 32-bit length.
    #[error("a snapshot field of {0} bytes is too large")]
    TooLarge(usize),
    /// The header does not encode or decode.
    #[error("snapshot header cannot be encoded or decoded")]
    Header(#[source] serde_json::Error),
    /// A record key is invalid, repeated or out of order.
    #[error("snapshot record key {key:02x?} is invalid or out of order")]
    BadKey {
        /// The raw key.
        key: Vec<u8>,
    },
    /// A record does not decode into the state.
    #[error("snapshot record {key:?} cannot be decoded")]
    Record {
        /// The record.
        key: RecordKey,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// The header's last applied log id or membership differs from the snapshot's metadata.
    #[error("snapshot contents do not match its metadata")]
    MetaMismatch,
}

impl From<SnapshotFormatError> for StoreError {
    fn from(error: SnapshotFormatError) -> Self {
        Self::Snapshot(error)
    }
}

macro_rules! from_redb {
    ($($error:ty),* $(,)?) => {
        $(
            impl From<$error> for StoreError {
                fn from(error: $error) -> Self {
                    Self::Database(error.into())
                }
            }
        )*
    };
}

from_redb!(
    redb::Error,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
