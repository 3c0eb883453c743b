//! Parsed keys, by kid.
//!
//! Parsing an RSA key costs far more than using it, so each key is unsealed and parsed once.
//! A kid's material never changes (rotation makes a new kid), so entries never go stale; callers
//! always look the key up in the state first, so a deleted key is never served from here.

use coffer_core::KeyId;
use coffer_crypto::KeyHandle;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Entries kept at most; past this the cache starts over (cheap, and rare in practice).
const CAPACITY: usize = 50_000;

/// The cache.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<KeyId, Arc<KeyHandle>>>,
}

impl KeyCache {
    /// The cached handle for `kid`, or the one `load` makes (then cached).
    pub fn get_or_load<E>(
        &self,
        kid: KeyId,
        load: impl FnOnce() -> Result<KeyHandle, E>,
    ) -> Result<Arc<KeyHandle>, E> {
        if let Some(handle) = self
            .entries
            .read()
            .ok()
            .and_then(|entries| entries.get(&kid).cloned())
        {
            return Ok(handle);
        }
        let handle = Arc::new(load()?);
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(kid, handle.clone());
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
