//! Shared, read-mostly access to the applied state.

use crate::type_config::{LogId, StoredMembership};
use coffer_core::State;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::ops::Deref;
use std::sync::Arc;
use tokio::sync::watch;

/// A cheap, cloneable handle on the in-memory applied [`State`], for every read the server
/// serves. Writers are the state machine only.
///
/// Take the guard, read, and drop it: never hold a [`StateGuard`] across an `.await`, since the
/// state machine cannot apply anything while a guard lives, and never take a second guard while
/// holding one (the lock is fair, so a waiting writer would deadlock the second read).
///
/// [`StateHandle::changes`] tells a consumer that the state changed, without polling.
#[derive(Clone, Debug)]
pub struct StateHandle {
    replica: Arc<RwLock<Replica>>,
    /// Counts the writes to the replica; sent after each write's lock is released.
    version: Arc<watch::Sender<u64>>,
}

impl Default for StateHandle {
    fn default() -> Self {
        Self::from_replica(Replica::default())
    }
}

impl StateHandle {
    /// A read guard on the current state.
    pub fn read(&self) -> StateGuard<'_> {
        StateGuard {
            replica: self.replica.read(),
        }
    }

    /// The log id of the last entry applied to the state, `None` before the first.
    pub fn last_applied(&self) -> Option<LogId> {
        self.replica.read().last_applied
    }

    /// A receiver of the state's version: a number that grows after every change of the
    /// applied state (an applied entry, an installed snapshot, a rebuild). Wait on it with
    /// [`watch::Receiver::changed`], then read the state; several changes may be seen as one.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    pub(crate) fn from_replica(replica: Replica) -> Self {
        Self {
            replica: Arc::new(RwLock::new(replica)),
            version: Arc::new(watch::Sender::new(0)),
        }
    }

    /// Write access. Call [`StateHandle::announce`] once the guard is dropped.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Replica> {
        self.replica.write()
    }

    /// Tells the subscribers of [`StateHandle::changes`] that the state changed. Called after
    /// the write lock is released, so a woken consumer can read at once.
    pub(crate) fn announce(&self) {
        self.version.send_modify(|version| *version += 1);
    }

    pub(crate) fn replica(&self) -> RwLockReadGuard<'_, Replica> {
        self.replica.read()
    }

    /// Replaces the whole replica (a reset store).
    pub(crate) fn replace(&self, replica: Replica) {
        *self.write() = replica;
        self.announce();
    }
}

/// Read access to the applied [`State`]; dereferences to it.
pub struct StateGuard<'a> {
    replica: RwLockReadGuard<'a, Replica>,
}

impl StateGuard<'_> {
    /// The log id of the last entry applied to the state this guard shows: read under the same
    /// guard, so the two always agree.
    pub fn last_applied(&self) -> Option<LogId> {
        self.replica.last_applied
    }

    /// The membership as of [`StateGuard::last_applied`].
    pub fn membership(&self) -> &StoredMembership {
        &self.replica.membership
    }
}

impl Deref for StateGuard<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.replica.state
    }
}

/// The applied state with the Raft pointers that describe it.
#[derive(Debug, Default)]
pub(crate) struct Replica {
    pub(crate) state: State,
    pub(crate) last_applied: Option<LogId>,
    pub(crate) membership: StoredMembership,
}
