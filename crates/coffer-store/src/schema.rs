//! Every table of the store file, and the schema version that guards their formats.
//!
//! Keys and values:
//!
//! | table        | key                       | value                                         |
//! |--------------|---------------------------|-----------------------------------------------|
//! | `schema`     | `"version"`               | `u64`, [`SCHEMA_VERSION`]                     |
//! | `raft_log`   | log index (`u64`)         | JSON of `openraft::Entry<TypeConfig>`         |
//! | `raft_meta`  | `"vote"`, `"committed"`, `"last_purged"` | JSON of the openraft value     |
//! | `records`    | `RecordKey::to_bytes()`   | `State::encode_record` bytes                  |
//! | `sm_meta`    | `"last_applied"`, `"membership"` | JSON of the openraft value             |
//! | `snapshot`   | `"meta"`, `"data"`        | JSON of `SnapshotMeta`; snapshot bytes        |
//! | `node_local` | name (`&str`)             | bytes                                         |
//! | `audit`      | audit id (`u64`)          | bytes                                         |
//!
//! `node_local` and `audit` belong to this node only and never enter a snapshot.

use crate::error::StoreError;
use redb::{ReadableTable, TableDefinition, TableHandle, WriteTransaction};
use std::path::Path;

/// The version of the table layout this build reads and writes. A file with another version is
/// refused at open: bump it whenever a key or value format changes, and migrate explicitly.
///
/// Version 2 records membership nodes as [`NodeInfo`](crate::NodeInfo) instead of openraft's
/// `BasicNode`. `NodeInfo` decodes the old values, so a version 1 file is upgraded in place by
/// rewriting the version number; builds that only know version 1 then refuse the file cleanly.
pub const SCHEMA_VERSION: u64 = 2;

/// Older versions this build upgrades at open, by rewriting the version number only.
const UPGRADABLE_VERSIONS: [u64; 1] = [1];

pub(crate) const SCHEMA: TableDefinition<&str, u64> = TableDefinition::new("schema");
pub(crate) const SCHEMA_VERSION_KEY: &str = "version";

pub(crate) const RAFT_LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("raft_log");
pub(crate) const RAFT_META: TableDefinition<&str, &[u8]> = TableDefinition::new("raft_meta");
pub(crate) const VOTE: &str = "vote";
pub(crate) const COMMITTED: &str = "committed";
pub(crate) const LAST_PURGED: &str = "last_purged";

pub(crate) const RECORDS: TableDefinition<&[u8; 17], &[u8]> = TableDefinition::new("records");
pub(crate) const SM_META: TableDefinition<&str, &[u8]> = TableDefinition::new("sm_meta");
pub(crate) const LAST_APPLIED: &str = "last_applied";
pub(crate) const MEMBERSHIP: &str = "membership";

pub(crate) const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshot");
pub(crate) const SNAPSHOT_META: &str = "meta";
pub(crate) const SNAPSHOT_DATA: &str = "data";

pub(crate) const NODE_LOCAL: TableDefinition<&str, &[u8]> = TableDefinition::new("node_local");
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// Checks the schema version of the file (writing it into a new, empty file) and creates any
/// missing table, so that read transactions never meet an absent table.
pub(crate) fn prepare(txn: &WriteTransaction, path: &Path) -> Result<(), StoreError> {
    let fresh = txn
        .list_tables()?
        .all(|table| table.name() == SCHEMA.name());
    {
        let mut schema = txn.open_table(SCHEMA)?;
        let found = schema.get(SCHEMA_VERSION_KEY)?.map(|v| v.value());
        match found {
            Some(SCHEMA_VERSION) => {}
            Some(old) if UPGRADABLE_VERSIONS.contains(&old) => {
                tracing::info!(
                    path = %path.display(),
                    from = old,
                    to = SCHEMA_VERSION,
                    "upgrading the store schema"
                );
                schema.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
            }
            Some(found) => {
                return Err(StoreError::UnsupportedSchema {
                    path: path.to_owned(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            None if fresh => {
                schema.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
            }
            None => {
                return Err(StoreError::NotAStore {
                    path: path.to_owned(),
                });
            }
        }
    }
    txn.open_table(RAFT_LOG)?;
    txn.open_table(RAFT_META)?;
    txn.open_table(RECORDS)?;
    txn.open_table(SM_META)?;
    txn.open_table(SNAPSHOT)?;
    txn.open_table(NODE_LOCAL)?;
    txn.open_table(AUDIT)?;
    Ok(())
}
