//! Named values that belong to this node only.

use crate::error::StoreError;
use crate::schema::NODE_LOCAL;
use redb::{Database, ReadableDatabase};
use std::sync::Arc;

/// Durable, node-local named values: the sealed cluster master key, the node identity and the
/// like. They live in the store file but outside the replicated tables, so they never enter
/// the Raft log or a snapshot.
///
/// Writes commit with immediate durability and block the calling thread for an fsync: call
/// them at start-up or from `tokio::task::spawn_blocking`.
#[derive(Clone, Debug)]
pub struct NodeLocal {
    db: Arc<Database>,
}

impl NodeLocal {
    pub(crate) fn new(db: Arc<Database>) -> Self {
        Self { db }
    }

    /// The value stored under `name`, if any.
    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(NODE_LOCAL)?;
        Ok(table.get(name)?.map(|value| value.value().to_vec()))
    }

    /// Stores `value` under `name`, replacing any previous value; durable when it returns.
    pub fn put(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(NODE_LOCAL)?.insert(name, value)?;
        txn.commit()?;
        Ok(())
    }

    /// Removes the value under `name`; true if there was one. Durable when it returns.
    pub fn delete(&self, name: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin_write()?;
        let existed = txn.open_table(NODE_LOCAL)?.remove(name)?.is_some();
        txn.commit()?;
        Ok(existed)
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests {
    use crate::Store;

    #[test]
    fn values_round_trip_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("node.redb");
        {
            let store = Store::open(&path).expect("store opens");
            let local = store.node_local();
            assert_eq!(local.get("cmk").expect("read"), None);
            local.put("cmk", b"sealed-1").expect("write");
            local.put("cmk", b"sealed-2").expect("overwrite");
            local.put("identity", b"node-7").expect("write");
            assert!(local.delete("identity").expect("delete"));
            assert!(!local.delete("identity").expect("second delete"));
        }
        let store = Store::open(&path).expect("store reopens");
        assert_eq!(
            store.node_local().get("cmk").expect("read"),
            Some(b"sealed-2".to_vec())
        );
        assert_eq!(store.node_local().get("identity").expect("read"), None);
    }
}
