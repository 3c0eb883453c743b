//! Audit retention: each node deletes the records of its own audit log that are older than the
//! cluster's `max_age_days`, and the oldest beyond `max_records`, in the background — at
//! start, whenever the setting changes, and every minute. Each pruning that deleted something
//! leaves one audit record saying how much and why.

use crate::Node;
use crate::audit::{AuditRecord, Severity};
use coffer_core::AuditRetention;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the bounds are applied when nothing changes.
const EVERY: Duration = Duration::from_secs(60);
/// Records deleted per write transaction: the audit writer waits at most this long.
const STEP: usize = 5_000;
const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;

/// The retention in force: the cluster's, or the defaults (the evaluation node).
pub fn retention(node: &Node) -> AuditRetention {
    node.cluster
        .state()
        .read()
        .cluster()
        .map(|cluster| cluster.audit_retention)
        .unwrap_or_default()
}

/// Applies the retention once; how many records were deleted.
pub async fn prune_once(node: &Node) -> anyhow::Result<u64> {
    let retention = retention(node);
    let cutoff = crate::now_nanos()
        .saturating_sub(u64::from(retention.max_age_days).saturating_mul(NANOS_PER_DAY));
    let log = node.cluster.store().audit();
    let mut deleted = 0u64;
    loop {
        let log = log.clone();
        let step =
            tokio::task::spawn_blocking(move || log.prune(cutoff, retention.max_records, STEP))
                .await??;
        deleted += step as u64;
        if step < STEP {
            break;
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, ?retention, "pruned the audit log");
        let message = format!(
            "Audit retention deleted {deleted} records of this node (older than {} days, or beyond the newest {})",
            retention.max_age_days, retention.max_records
        );
        node.audit
            .record(AuditRecord::system(message, Severity::Info, 200))
            .await;
    }
    Ok(deleted)
}

/// Applies the retention at start, at every change of it, and every minute, until `stop`.
pub async fn prune_loop(node: Arc<Node>, mut stop: watch::Receiver<bool>) {
    let mut changes = node.cluster.state().changes();
    let mut applied = None;
    let mut due = tokio::time::Instant::now();
    loop {
        let now = retention(&node);
        if applied != Some(now) || tokio::time::Instant::now() >= due {
            if let Err(error) = prune_once(&node).await {
                tracing::error!(
                    error = format!("{error:#}"),
                    "could not prune the audit log"
                );
            }
            applied = Some(now);
            due = tokio::time::Instant::now() + EVERY;
        }
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            changed = changes.changed() => if changed.is_err() { return },
            () = tokio::time::sleep_until(due) => {}
        }
    }
}
