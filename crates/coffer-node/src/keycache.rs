//! Parsed keys, by kid.
//!
//! Parsing an RSA key costs far more than using it, so each key is unsealed and parsed once.
//! A kid's material can change in one way only: its private half can be deleted (rotation makes
//! a new kid, and the state refuses any other change). So every entry records whether it holds
//! the private half, and a lookup names what the caller's current record holds: an entry made
//! before the private half was deleted — on this node or, through replication, on any other —
//! is never served for a record without it. Callers always look the key up in the state first,
//! so a deleted key is never served from here either.

use coffer_core::KeyId;
use coffer_crypto::KeyHandle;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Entries kept at most; past this the cache starts over (cheap, and rare in practice).
const CAPACITY: usize = 50_000;

/// The cache.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<KeyId, Entry>>,
}

struct Entry {
    private: bool,
    handle: Arc<KeyHandle>,
}

impl KeyCache {
    /// The cached handle for `kid` made from the same material — with the private half when
    /// `private`, the public one only otherwise — or the one `load` makes (then cached).
    pub fn get_or_load<E>(
        &self,
        kid: KeyId,
        private: bool,
        load: impl FnOnce() -> Result<KeyHandle, E>,
    ) -> Result<Arc<KeyHandle>, E> {
        if let Some(handle) = self.entries.read().ok().and_then(|entries| {
            entries
                .get(&kid)
                .filter(|entry| entry.private == private)
                .map(|entry| entry.handle.clone())
        }) {
            return Ok(handle);
        }
        let handle = Arc::new(load()?);
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(
                kid,
                Entry {
                    private,
                    handle: handle.clone(),
                },
            );
        }
        Ok(handle)
    }

    /// Drops a key (deleted, or its private half removed).
    pub fn forget(&self, kid: KeyId) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(&kid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_crypto::KeyType;
    use std::cell::Cell;

    #[test]
    fn an_entry_with_the_private_half_is_not_served_once_the_record_lost_it() {
        let cache = KeyCache::default();
        let kid = KeyId::from_u128(1);
        let loads = Cell::new(0);
        let load = || {
            loads.set(loads.get() + 1);
            KeyHandle::new(KeyType::Aes, &[7; 32])
        };
        cache.get_or_load(kid, true, load).expect("loads");
        cache.get_or_load(kid, true, load).expect("cached");
        assert_eq!(loads.get(), 1, "the same material is parsed once");
        cache.get_or_load(kid, false, load).expect("reloads");
        assert_eq!(
            loads.get(),
            2,
            "a record without the private half is loaded afresh"
        );
        cache.get_or_load(kid, false, load).expect("cached");
        assert_eq!(loads.get(), 2);
    }
}
