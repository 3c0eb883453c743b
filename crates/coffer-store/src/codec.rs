//! JSON values under string keys: how the Raft pointers (vote, committed, last purged, last
//! applied, membership, snapshot meta) are stored.

use crate::error::StoreError;
use redb::{ReadableTable, Table};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads and decodes the value under `key`, `None` if absent.
pub(crate) fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &'static str,
) -> Result<Option<T>, StoreError> {
    match table.get(key)? {
        Some(value) => serde_json::from_slice(value.value())
            .map(Some)
            .map_err(|source| StoreError::Codec { what: key, source }),
        None => Ok(None),
    }
}

/// Encodes and writes `value` under `key`.
pub(crate) fn put<T: Serialize>(
    table: &mut Table<'_, &'static str, &'static [u8]>,
    key: &'static str,
    value: &T,
) -> Result<(), StoreError> {
    let bytes = encode(key, value)?;
    table.insert(key, bytes.as_slice())?;
    Ok(())
}

/// Encodes `value`; `what` names it in the error.
pub(crate) fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|source| StoreError::Codec { what, source })
}

/// Decodes `bytes`; `what` names them in the error.
pub(crate) fn decode<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Codec { what, source })
}
