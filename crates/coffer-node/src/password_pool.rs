//! Password hashing on a bounded pool: a fixed number of hashes at a time, a bounded queue
//! behind them, and a quick refusal beyond it.
//!
//! Each argon2id hash takes about 19 MiB and tens of milliseconds of a core. Run on the async
//! workers, or on tokio's blocking pool (up to 512 threads), a flood of wrong-password logins
//! grows memory by gigabytes and starves every other request. Here at most [`WORKERS`] hashes
//! run at once and [`QUEUE`] more wait; any further request is refused at once with
//! [`ServiceError::Busy`] (HTTP 429 with `Retry-After`), costing nothing.

use crate::{ServiceError, ServiceResult};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Hashes run at once: one per core, at most four (memory stays under ~80 MiB).
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Hashes that may wait for a worker; beyond them, requests are refused.
pub const QUEUE: usize = 32;

/// What a refused request is told to wait before retrying.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The bounded pool.
#[derive(Clone)]
pub struct PasswordPool {
    /// Held from admission until the hash ends: workers plus queue.
    admitted: Arc<Semaphore>,
    /// Held while a hash runs.
    running: Arc<Semaphore>,
}

impl Default for PasswordPool {
    fn default() -> Self {
        Self::new(workers(), QUEUE)
    }
}

impl PasswordPool {
    /// A pool running `workers` hashes at once with `queue` more waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        Self {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            running: Arc::new(Semaphore::new(workers)),
        }
    }

    /// Runs `work` (a password hash or verification) on the pool, or refuses at once when the
    /// queue is full. The permits travel with the work: a caller that gives up does not free
    /// its place until the hash it started has finished.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ServiceResult<T> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| ServiceError::Busy {
                what: "too many password checks are waiting",
                retry_after: RETRY_AFTER,
            })?;
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(ServiceError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permits = (admitted, running);
            work()
        })
        .await
        .map_err(ServiceError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_workers_run_and_beyond_the_queue_requests_are_refused() {
        let pool = PasswordPool::new(2, 3);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        let mut done = 0;
        let mut busy = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => done += 1,
                Err(ServiceError::Busy { retry_after, .. }) => {
                    assert_eq!(retry_after, RETRY_AFTER);
                    busy += 1;
                }
                Err(other) => panic!("unexpected {other}"),
            }
        }
        assert!(
            peak.load(Ordering::SeqCst) <= 2,
            "never more than two at once"
        );
        assert!(done >= 5, "workers and queue were served: {done}");
        assert!(busy >= 1, "the rest was refused at once");
        assert_eq!(done + busy, 20);
        // Once drained, the pool takes work again.
        pool.run(|| ()).await.unwrap();
    }
}
