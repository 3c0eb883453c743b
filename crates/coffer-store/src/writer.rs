//! The single writer of the Raft side of the store file: log appends, truncations and purges,
//! the vote, the committed pointer and the applied state of each batch.
//!
//! redb admits one write transaction at a time, and every commit costs a round of page writes
//! (plus a disk flush when durable). The log store and the state machine used to run their own
//! transactions on tokio's blocking pool, so one client write cost three of them, each waiting
//! for redb's writer lock behind the others: the append (durable), the committed pointer and the
//! applied records. Now a dedicated thread owns these writes:
//!
//! - A caller queues a [`Job`] (what to write, and whether it must be durable) and awaits its
//!   completion. Nothing returns before its data is committed, so every reader — a log reader,
//!   a snapshot builder, a restart — sees exactly what the callers were told was written, and
//!   there is no in-memory copy of the log to keep consistent.
//! - The thread takes every job queued when it wakes and writes them all, in queue order, in one
//!   transaction. Its durability is immediate if any job asks for it, none otherwise (a
//!   non-durable job gets more than it asked for). Queue order is the order the callers asked in,
//!   and openraft serializes the log writes (vote, append, truncate, purge), so their order is
//!   kept; the applied state is written by the state machine, which awaits each batch as well.
//! - If a job fails, or the commit does, the transaction is abandoned and each job of the batch
//!   is written again in a transaction of its own, so each caller gets its own outcome. Every job
//!   writes absolute values (inserts, removals of ranges), so writing one again is harmless.
//! - The committed pointer is not a job: [`Writer::set_committed`] only records it, and the next
//!   transaction of any job writes it. It is a restart hint that needs no flush of its own (see
//!   `LogStore::save_committed`); every commit is followed by applying the newly committed
//!   entries, whose transaction carries it.
//!
//! openraft 0.9 waits for an append's flush before it appends again (`RaftCore::append_to_log`),
//! so a transaction holds at most one append; the saving comes from the writes it shares one
//! transaction and one thread with, not from merging appends.
//!
//! The thread holds the database only while it writes (a [`Weak`] otherwise), and drops it
//! before any caller learns the outcome, so dropping every handle still releases the file at
//! once. It ends when every [`Writer`] is dropped.

use crate::codec;
use crate::error::StoreError;
use crate::schema::{COMMITTED, RAFT_META};
use crate::type_config::LogId;
use parking_lot::Mutex;
use redb::{Database, Durability, WriteTransaction};
use std::sync::mpsc;
use std::sync::{Arc, Weak};
use tokio::sync::oneshot;

/// What a job writes into the shared transaction. It may run again (see the module docs).
type Work = Box<dyn Fn(&WriteTransaction) -> Result<(), StoreError> + Send>;

/// A queued write and where its outcome goes.
struct Job {
    work: Work,
    durable: bool,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The committed pointer as last saved, and whether the file lacks it yet.
#[derive(Debug, Default)]
struct Committed {
    /// `None` until saved once by this process.
    latest: Option<Option<LogId>>,
    unwritten: bool,
}

/// A handle on the writer thread of one store file. Clones share the thread.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    committed: Arc<Mutex<Committed>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("durable", &self.durable)
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// Starts the writer thread of `db`.
    pub(crate) fn start(db: &Arc<Database>) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel();
        let committed = Arc::new(Mutex::new(Committed::default()));
        let db = Arc::downgrade(db);
        let shared = Arc::clone(&committed);
        std::thread::Builder::new()
            .name("coffer-store-writer".into())
            .spawn(move || run(&db, &queue, &shared))
            .map_err(StoreError::WriterStart)?;
        Ok(Self { jobs, committed })
    }

    /// Writes `work` in the next transaction, durably when `durable`, and waits for its commit.
    pub(crate) async fn write(
        &self,
        durable: bool,
        work: impl Fn(&WriteTransaction) -> Result<(), StoreError> + Send + 'static,
    ) -> Result<(), StoreError> {
        let (done, outcome) = oneshot::channel();
        let job = Job {
            work: Box::new(work),
            durable,
            done,
        };
        self.jobs.send(job).map_err(|_| StoreError::WriterStopped)?;
        outcome.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Records the committed pointer; the next transaction writes it.
    pub(crate) fn set_committed(&self, committed: Option<LogId>) {
        let mut slot = self.committed.lock();
        slot.latest = Some(committed);
        slot.unwritten = true;
    }

    /// The committed pointer last recorded by this process, if any.
    pub(crate) fn committed(&self) -> Option<Option<LogId>> {
        self.committed.lock().latest
    }

    /// Forgets the recorded committed pointer (the replicated side of the file was emptied).
    pub(crate) fn forget_committed(&self) {
        *self.committed.lock() = Committed::default();
    }
}

/// The thread: drains the queue into one transaction at a time until every handle is gone.
fn run(db: &Weak<Database>, queue: &mpsc::Receiver<Job>, committed: &Mutex<Committed>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter());
        let outcomes = match db.upgrade() {
            Some(db) => write_batch(&db, &batch, committed),
            None => batch
                .iter()
                .map(|_| Err(StoreError::WriterStopped))
                .collect(),
        };
        // The database handle is dropped here, before anyone is told.
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            // A caller that stopped waiting needs no answer.
            let _ = job.done.send(outcome);
        }
    }
}

/// Writes `batch` in one transaction; on any failure, each job alone.
fn write_batch(
    db: &Database,
    batch: &[Job],
    committed: &Mutex<Committed>,
) -> Vec<Result<(), StoreError>> {
    let durable = batch.iter().any(|job| job.durable);
    let jobs: Vec<&Job> = batch.iter().collect();
    match write_jobs(db, &jobs, durable, committed) {
        Ok(()) => batch.iter().map(|_| Ok(())).collect(),
        Err(error) if batch.len() == 1 => vec![Err(error)],
        Err(error) => {
            tracing::warn!(
                jobs = batch.len(),
                error = %error,
                "a shared store transaction failed; writing its jobs one by one"
            );
            batch
                .iter()
                .map(|job| write_jobs(db, &[job], job.durable, committed))
                .collect()
        }
    }
}

/// One transaction: the jobs in order, then the committed pointer if it is unwritten.
fn write_jobs(
    db: &Database,
    jobs: &[&Job],
    durable: bool,
    committed: &Mutex<Committed>,
) -> Result<(), StoreError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(if durable {
        Durability::Immediate
    } else {
        Durability::None
    })
    .map_err(|e| StoreError::Database(redb::Error::from(e)))?;
    for job in jobs {
        if let Err(error) = (job.work)(&txn) {
            txn.abort()?;
            return Err(error);
        }
    }
    // Taken under the lock and put back on failure, so a pointer saved meanwhile is not lost.
    let pointer = {
        let mut slot = committed.lock();
        if slot.unwritten {
            slot.unwritten = false;
            slot.latest
        } else {
            None
        }
    };
    let written = (|| {
        if let Some(pointer) = &pointer {
            let bytes = codec::encode(COMMITTED, pointer)?;
            txn.open_table(RAFT_META)?
                .insert(COMMITTED, bytes.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    })();
    if written.is_err() && pointer.is_some() {
        committed.lock().unwritten = true;
    }
    written
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests {
    use super::Writer;
    use crate::StoreError;
    use crate::schema::{COMMITTED, NODE_LOCAL, RAFT_META};
    use crate::type_config::LogId;
    use redb::{Database, ReadableDatabase};
    use std::sync::Arc;
    use std::time::Duration;

    fn open(path: &std::path::Path) -> Arc<Database> {
        let db = Database::create(path).expect("db");
        let txn = db.begin_write().expect("txn");
        txn.open_table(RAFT_META).expect("table");
        txn.open_table(NODE_LOCAL).expect("table");
        txn.commit().expect("commit");
        Arc::new(db)
    }

    fn put(name: &'static str) -> impl Fn(&redb::WriteTransaction) -> Result<(), StoreError> {
        move |txn| {
            txn.open_table(NODE_LOCAL)?.insert(name, b"x".as_slice())?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failing_job_fails_alone_and_the_committed_pointer_rides_along() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.redb");
        let db = open(&path);
        let writer = Writer::start(&db).expect("writer");
        let committed = Some(LogId::new(openraft::CommittedLeaderId::new(1, 1), 7));
        writer.set_committed(committed);

        // The slow first job makes the others queue up and share the next transaction.
        let slow = writer.write(false, |txn| {
            std::thread::sleep(Duration::from_millis(100));
            put("a")(txn)
        });
        let good = writer.write(true, put("b"));
        let bad = writer.write(false, |_| Err(StoreError::WriterStopped));
        let last = writer.write(false, put("c"));
        let (slow, good, bad, last) = tokio::join!(slow, good, bad, last);
        slow.expect("slow job");
        good.expect("good job");
        assert!(matches!(bad, Err(StoreError::WriterStopped)));
        last.expect("last job");
        assert_eq!(writer.committed(), Some(committed));

        drop(writer);
        let txn = db.begin_read().expect("read");
        let local = txn.open_table(NODE_LOCAL).expect("table");
        for name in ["a", "b", "c"] {
            assert!(local.get(name).expect("get").is_some(), "{name} written");
        }
        let meta = txn.open_table(RAFT_META).expect("table");
        let stored: Option<Option<LogId>> = crate::codec::get(&meta, COMMITTED).expect("get");
        assert_eq!(stored, Some(committed));
        drop((local, meta, txn));

        // The thread holds no reference of its own: the file can be opened again at once.
        drop(db);
        Database::create(&path).expect("file released");
    }
}
