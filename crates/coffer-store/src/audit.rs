//! The node-local audit log.

use crate::error::StoreError;
use crate::schema::AUDIT;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use std::sync::Arc;

/// This node's durable audit trail: opaque entries under strictly increasing `u64` ids. It is
/// node-local (never replicated, never in a snapshot); cluster-wide queries fan out to every
/// node.
///
/// Calls block the calling thread (appends for an fsync): batch appends and run them from
/// `tokio::task::spawn_blocking` or a dedicated thread.
#[derive(Clone, Debug)]
pub struct AuditLog {
    db: Arc<Database>,
}

impl AuditLog {
    pub(crate) fn new(db: Arc<Database>) -> Self {
        Self { db }
    }

    /// Appends a batch in one write transaction: all of it is durable when this returns, or
    /// none of it is written. Ids must be strictly increasing and above [`AuditLog::last_id`].
    pub fn append(&self, batch: &[(u64, Vec<u8>)]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(AUDIT)?;
            let mut last = table.last()?.map(|(id, _)| id.value());
            for (id, entry) in batch {
                if last.is_some_and(|last| *id <= last) {
                    drop(table);
                    txn.abort()?;
                    return Err(StoreError::AuditOutOfOrder { id: *id, last });
                }
                table.insert(id, entry.as_slice())?;
                last = Some(*id);
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Up to `limit` entries accepted by `filter`, newest first, with ids below `before` (all
    /// ids when `None`): page backwards by passing the last id of the previous page.
    pub fn scan_newest_first(
        &self,
        before: Option<u64>,
        limit: usize,
        filter: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(AUDIT)?;
        let rows = match before {
            Some(before) => table.range(..before)?,
            None => table.range::<u64>(..)?,
        };
        let mut found = Vec::new();
        for row in rows.rev() {
            if found.len() >= limit {
                break;
            }
            let (id, entry) = row?;
            if filter(entry.value()) {
                found.push((id.value(), entry.value().to_vec()));
            }
        }
        Ok(found)
    }

    /// Deletes the oldest entries: every one with an id below `before`, then more of the oldest
    /// until at most `keep` remain — at most `limit` in one write transaction, so that pruning
    /// a large backlog never holds the writer long. How many were deleted; call again while it
    /// returns `limit`.
    pub fn prune(&self, before: u64, keep: u64, limit: usize) -> Result<usize, StoreError> {
        let txn = self.db.begin_write()?;
        let deleted = {
            let mut table = txn.open_table(AUDIT)?;
            let mut excess = table.len()?.saturating_sub(keep);
            let mut deleted = 0;
            while deleted < limit {
                let Some(oldest) = table.first()?.map(|(id, _)| id.value()) else {
                    break;
                };
                if oldest >= before && excess == 0 {
                    break;
                }
                table.remove(oldest)?;
                excess = excess.saturating_sub(1);
                deleted += 1;
            }
            deleted
        };
        txn.commit()?;
        Ok(deleted)
    }

    /// How many entries the log holds.
    pub fn len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(AUDIT)?.len()?)
    }

    /// True when the log holds no entry.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// The id of the newest entry, `None` when the log is empty.
    pub fn last_id(&self) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(AUDIT)?;
        Ok(table.last()?.map(|(id, _)| id.value()))
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests {
    use crate::{Store, StoreError};

    fn entry(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    #[test]
    fn batches_append_and_scan_newest_first_with_before_and_filter() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("node.redb")).expect("store opens");
        let audit = store.audit();
        assert_eq!(audit.last_id().expect("last id"), None);

        audit
            .append(&[
                (1, entry("login alice")),
                (2, entry("create key")),
                (3, entry("login bob")),
            ])
            .expect("batch 1");
        audit
            .append(&[(5, entry("delete key")), (8, entry("login carol"))])
            .expect("batch 2");
        assert_eq!(audit.last_id().expect("last id"), Some(8));

        let all = audit.scan_newest_first(None, 10, |_| true).expect("scan");
        assert_eq!(
            all.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            vec![8, 5, 3, 2, 1]
        );

        let page = audit
            .scan_newest_first(None, 2, |_| true)
            .expect("first page");
        assert_eq!(
            page.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            vec![8, 5]
        );
        let page = audit
            .scan_newest_first(Some(5), 2, |_| true)
            .expect("second page");
        assert_eq!(
            page,
            vec![(3, entry("login bob")), (2, entry("create key"))]
        );

        let logins = audit
            .scan_newest_first(Some(8), 10, |e| e.starts_with(b"login"))
            .expect("filtered");
        assert_eq!(
            logins,
            vec![(3, entry("login bob")), (1, entry("login alice"))]
        );
    }

    #[test]
    fn pruning_drops_the_oldest_by_age_then_by_count_in_bounded_steps() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("node.redb")).expect("store opens");
        let audit = store.audit();
        let rows: Vec<(u64, Vec<u8>)> = (1..=10).map(|id| (id, entry("x"))).collect();
        audit.append(&rows).expect("appended");

        assert_eq!(
            audit.prune(4, 100, 2).expect("pruned"),
            2,
            "bounded per call"
        );
        assert_eq!(
            audit.prune(4, 100, 10).expect("pruned"),
            1,
            "ids 1..=3 were older"
        );
        assert_eq!(audit.len().expect("len"), 7);
        assert_eq!(audit.prune(0, 5, 10).expect("pruned"), 2, "then by count");
        let left: Vec<u64> = audit
            .scan_newest_first(None, 100, |_| true)
            .expect("scan")
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(left, vec![10, 9, 8, 7, 6]);
        assert_eq!(audit.prune(0, 5, 10).expect("nothing"), 0);
    }

    #[test]
    fn a_batch_that_goes_backwards_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("node.redb")).expect("store opens");
        let audit = store.audit();
        audit.append(&[(10, entry("a"))]).expect("first");
        let refused = audit.append(&[(11, entry("b")), (11, entry("c"))]);
        assert!(matches!(
            refused,
            Err(StoreError::AuditOutOfOrder {
                id: 11,
                last: Some(11)
            })
        ));
        let refused = audit.append(&[(9, entry("d"))]);
        assert!(matches!(
            refused,
            Err(StoreError::AuditOutOfOrder {
                id: 9,
                last: Some(10)
            })
        ));
        assert_eq!(
            audit.scan_newest_first(None, 10, |_| true).expect("scan"),
            vec![(10, entry("a"))]
        );
    }
}
