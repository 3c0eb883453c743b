//! openraft settings.

use openraft::{Config, SnapshotPolicy};
use std::time::Duration;

/// How often the leader sends heartbeats, in milliseconds.
const HEARTBEAT_MS: u64 = 250;

/// A follower that hears nothing for a random time in this range starts an election. Several
/// heartbeats fit in the lower bound, so one lost packet does not trigger an election.
const ELECTION_TIMEOUT_MS: (u64, u64) = (1000, 2000);

/// A snapshot is built after this many entries were applied since the last one; the log before
/// it is then purged except for [`LOGS_KEPT_AFTER_SNAPSHOT`], so a follower slightly behind
/// catches up from the log rather than from a snapshot.
const LOGS_BETWEEN_SNAPSHOTS: u64 = 5000;
const LOGS_KEPT_AFTER_SNAPSHOT: u64 = 1000;

/// A whole snapshot goes in one request (connect, transfer, install with an fsync): give it
/// far longer than openraft's default of 200 ms, which a retry would never beat.
const SNAPSHOT_TIMEOUT_MS: u64 = 30_000;

/// The Raft settings every Coffer node uses. Not yet validated.
pub(crate) fn raft_config() -> Config {
    Config {
        cluster_name: "coffer".to_owned(),
        heartbeat_interval: HEARTBEAT_MS,
        election_timeout_min: ELECTION_TIMEOUT_MS.0,
        election_timeout_max: ELECTION_TIMEOUT_MS.1,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(LOGS_BETWEEN_SNAPSHOTS),
        max_in_snapshot_log_to_keep: LOGS_KEPT_AFTER_SNAPSHOT,
        install_snapshot_timeout: SNAPSHOT_TIMEOUT_MS,
        ..Config::default()
    }
}

/// How long a leader contact keeps a node serving reads: twice the longest election timeout,
/// so a partitioned node stops serving soon after the others have elected a new leader.
pub(crate) fn lease(config: &Config) -> Duration {
    Duration::from_millis(config.election_timeout_max.saturating_mul(2))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_settings_are_valid() {
        assert!(super::raft_config().validate().is_ok());
    }
}
