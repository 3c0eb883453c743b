//! `sdkms-cluster reset --delete-data [--reset-iptables]`: back to a fresh node.

use crate::runtime::Daemon;
use coffer_admin::AdminError;
use std::sync::Arc;

/// What a reset removed.
#[derive(serde::Serialize)]
pub(crate) struct ResetReport {
    removed: Vec<String>,
    iptables: String,
}

/// Stops the member services and deletes everything in the data directory except the admin
/// socket and the platform secret. Idempotent.
pub(crate) async fn reset(
    daemon: &Arc<Daemon>,
    delete_data: bool,
    reset_iptables: bool,
) -> Result<ResetReport, AdminError> {
    if !delete_data {
        return Err(AdminError::new(
            "reset deletes this node's data, keys and certificates and needs --delete-data to confirm",
            Some("run `sdkms-cluster reset --delete-data`"),
        ));
    }
    daemon.stop_member().await;
    let _phase = daemon.phase.lock().await;
    let mut removed = Vec::new();
    let dir = &daemon.config.dir;
    let entries = std::fs::read_dir(dir)
        .map_err(|e| AdminError::new(format!("reading {}: {e}", dir.display()), None))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path
            .file_name()
            .is_some_and(|n| n == coffer_admin::SOCKET_NAME)
        {
            continue;
        }
        let result = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        result.map_err(|e| AdminError::new(format!("removing {}: {e}", path.display()), None))?;
        removed.push(path.display().to_string());
    }
    // A platform secret kept in the data directory went with it: the next create or join
    // derives the sealing key from a fresh one.
    daemon.forget_sealing();
    // Coffer installs no firewall rules of its own (it has no overlay network), so there is
    // nothing to undo; the flag is accepted for compatibility with the installation guide.
    let iptables = if reset_iptables {
        "no Coffer firewall rules to remove"
    } else {
        "not requested"
    };
    tracing::info!(removed = removed.len(), "node reset");
    Ok(ResetReport {
        removed,
        iptables: iptables.into(),
    })
}
