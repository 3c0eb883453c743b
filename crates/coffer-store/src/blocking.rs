//! Runs redb writes off the async worker threads.
//!
//! A write transaction ends in an fsync; waiting for it on a runtime worker would stall every
//! other task on that worker (with two cores, half the node). Reads are short and stay inline.

use crate::error::StoreError;

/// Runs `work` on tokio's blocking pool and waits for it.
pub(crate) async fn run<T, F>(work: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(StoreError::Task)?
}
