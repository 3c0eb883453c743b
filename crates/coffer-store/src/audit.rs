//! The node-local audit log.

use crate::error::StoreError;
use crate::schema::AUDIT;
use redb::{Database, ReadableDatabase, ReadableTable};
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
