//! One join at a time: the leader remembers the join it is working on and refuses another until
//! that one completes or [`PENDING_TIMEOUT`] passes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A pending join older than this no longer blocks others.
pub const PENDING_TIMEOUT: Duration = Duration::from_secs(180);

/// The join the leader is working on: the id it gave the joiner, the joiner's name, and once
/// its certificate is signed, the id of the certificate's key.
#[derive(Default)]
pub struct JoinGate {
    pending: Mutex<Option<Pending>>,
}

struct Pending {
    id: u64,
    name: String,
    key: Option<[u8; 32]>,
    since: Instant,
}

impl JoinGate {
    /// Reserves the gate for the node `name` with the id `make_id` gives, or names the node whose
    /// join is under way. The same node asking again (a retried join) gets a fresh id.
    pub fn reserve<E>(
        &self,
        name: &str,
        make_id: impl FnOnce() -> Result<u64, E>,
    ) -> Result<Result<u64, String>, E> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(other) = pending.as_ref()
            && other.since.elapsed() < PENDING_TIMEOUT
            && other.name != name
        {
            return Ok(Err(other.name.clone()));
        }
        let id = make_id()?;
        *pending = Some(Pending {
            id,
            name: name.to_owned(),
            key: None,
            since: Instant::now(),
        });
        Ok(Ok(id))
    }

    /// Records the id of the certificate key granted to the pending joiner `id` (see
    /// `coffer_crypto::certificate_key_id`); false when that join is no longer pending.
    pub fn granted(&self, id: u64, key: [u8; 32]) -> bool {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match pending.as_mut() {
            Some(join) if join.id == id => {
                join.key = Some(key);
                true
            }
            _ => false,
        }
    }

    /// The join under way: the id handed out, the joiner's name and its granted key.
    pub fn expected(&self) -> Option<(u64, String, Option<[u8; 32]>)> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|join| (join.id, join.name.clone(), join.key))
    }

    /// The pending joiner's id when `key` is the key it was granted and the join has not gone
    /// stale.
    pub fn joiner_with_key(&self, key: &[u8; 32]) -> Option<u64> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|join| join.since.elapsed() < PENDING_TIMEOUT && join.key == Some(*key))
            .map(|join| join.id)
    }

    /// Opens the gate.
    pub fn clear(&self) {
        *self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_node_waits_while_the_first_one_joins() {
        let gate = JoinGate::default();
        assert_eq!(gate.reserve::<()>("a", || Ok(1)), Ok(Ok(1)));
        assert_eq!(gate.reserve::<()>("b", || Ok(2)), Ok(Err("a".to_owned())));
        assert_eq!(gate.reserve::<()>("a", || Ok(3)), Ok(Ok(3)));
        assert_eq!(gate.expected(), Some((3, "a".to_owned(), None)));
        assert_eq!(gate.joiner_with_key(&[1; 32]), None);
        assert!(!gate.granted(1, [1; 32]), "that join was superseded");
        assert!(gate.granted(3, [1; 32]));
        assert_eq!(gate.joiner_with_key(&[1; 32]), Some(3));
        assert_eq!(gate.joiner_with_key(&[2; 32]), None);
        gate.clear();
        assert_eq!(gate.joiner_with_key(&[1; 32]), None);
        assert_eq!(gate.reserve::<()>("b", || Ok(4)), Ok(Ok(4)));
    }
}
