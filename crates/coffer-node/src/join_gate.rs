//! One join at a time: the leader remembers the join it is working on and refuses another until
//! that one completes or [`PENDING_TIMEOUT`] passes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A pending join older than this no longer blocks others.
pub const PENDING_TIMEOUT: Duration = Duration::from_secs(180);

/// The join the leader is working on: the id it gave the joiner, and the joiner's name.
#[derive(Default)]
pub struct JoinGate {
    pending: Mutex<Option<(u64, String, Instant)>>,
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
        if let Some((_, other, since)) = pending.as_ref()
            && since.elapsed() < PENDING_TIMEOUT
            && other != name
        {
            return Ok(Err(other.clone()));
        }
        let id = make_id()?;
        *pending = Some((id, name.to_owned(), Instant::now()));
        Ok(Ok(id))
    }

    /// The join under way: the id handed out and the joiner's name.
    pub fn expected(&self) -> Option<(u64, String)> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|(id, name, _)| (*id, name.clone()))
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
        assert_eq!(gate.expected(), Some((3, "a".to_owned())));
        gate.clear();
        assert_eq!(gate.reserve::<()>("b", || Ok(4)), Ok(Ok(4)));
    }
}
