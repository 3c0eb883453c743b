//! Tells the cluster, once a minute, which sessions this node saw in use (see
//! [`crate::session::SessionActivity`]), so that every node counts idle timeouts from the
//! latest use anywhere.

use crate::Node;
use crate::session::REPORT_EVERY_SECS;
use coffer_core::Command;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Reports every [`REPORT_EVERY_SECS`] until `stop`. A report that cannot be stored (no
/// leader, read-only mode) is dropped: the node still counts from its own uses, and another
/// node may end such a session up to a minute early.
pub async fn report_loop(node: Arc<Node>, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(REPORT_EVERY_SECS);
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            () = tokio::time::sleep(every) => {}
        }
        let seen = node.activity.take_reports();
        if seen.is_empty() {
            continue;
        }
        let count = seen.len();
        let command = Command::SessionsSeen {
            seen,
            at: crate::now(),
        };
        if let Err(error) = node.propose(command).await {
            tracing::warn!(%error, count, "could not report the sessions in use to the cluster");
        }
    }
}
