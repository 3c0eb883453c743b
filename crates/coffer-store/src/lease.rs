//! Counts the Raft-side handles (log store, state machine, snapshot builders) still alive, so a
//! shutdown can wait until the file is really released before it is opened again.

use std::sync::Arc;
use tokio::sync::watch;

/// The counter, shared by a [`Store`](crate::Store) and every lease it hands out.
#[derive(Clone, Debug)]
pub(crate) struct Leases {
    live: Arc<watch::Sender<usize>>,
}

impl Leases {
    pub(crate) fn new() -> Self {
        Self {
            live: Arc::new(watch::Sender::new(0)),
        }
    }

    /// A new lease, held until dropped.
    pub(crate) fn take(&self) -> Lease {
        self.live.send_modify(|n| *n += 1);
        Lease {
            live: Arc::clone(&self.live),
        }
    }

    /// How many leases are alive now.
    pub(crate) fn live(&self) -> usize {
        *self.live.borrow()
    }

    /// Resolves once no lease is alive.
    pub(crate) async fn all_returned(&self) {
        let mut live = self.live.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = live.wait_for(|n| *n == 0).await;
    }
}

/// One live Raft-side handle.
#[derive(Debug)]
pub(crate) struct Lease {
    live: Arc<watch::Sender<usize>>,
}

impl Clone for Lease {
    fn clone(&self) -> Self {
        self.live.send_modify(|n| *n += 1);
        Self {
            live: Arc::clone(&self.live),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.live.send_modify(|n| *n = n.saturating_sub(1));
    }
}
