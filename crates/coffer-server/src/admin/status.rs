//! `sdkms-cluster status`: every node, its role, state, data centre, lag and health.

use crate::runtime::Daemon;
use coffer_admin::{AdminError, ClusterStatus};
use coffer_node::cluster_status::member_status;
use coffer_node::membership::{self, LeaderAction};
use std::sync::Arc;

/// Builds the status from this node's view, asking peers for their clocks.
pub(crate) async fn status(daemon: &Arc<Daemon>) -> Result<ClusterStatus, AdminError> {
    let Some(node) = daemon.node().await else {
        return Ok(ClusterStatus {
            node: coffer_node::identity::host_name(),
            state: daemon.phase_label().to_owned(),
            reason: Some(
                "not a cluster member yet: run `sdkms-cluster create` or `sdkms-cluster join`"
                    .into(),
            ),
            leader: None,
            nodes: Vec::new(),
            warnings: Vec::new(),
        });
    };
    let local = member_status(&node).await;
    if node.cluster.is_leader() {
        return Ok(local);
    }
    // Replication progress is only known on the leader: show its view of the members, with
    // this node's own state.
    match membership::on_leader(&node, &LeaderAction::Status).await {
        Ok(value) => match serde_json::from_value::<ClusterStatus>(value) {
            Ok(mut leader_view) => {
                leader_view.node = local.node;
                leader_view.state = local.state;
                leader_view.reason = local.reason;
                Ok(leader_view)
            }
            Err(_) => Ok(local),
        },
        Err(_) => Ok(local),
    }
}
