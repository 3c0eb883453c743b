//! The node's clock, as records and tokens carry it.

use coffer_core::UnixTime;
use std::time::{SystemTime, UNIX_EPOCH};

/// The node's clock, in whole seconds.
pub fn now() -> UnixTime {
    UnixTime(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// The node's clock, in nanoseconds.
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
