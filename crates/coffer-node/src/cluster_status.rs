//! This node's view of the cluster, as `sdkms-cluster status` shows it.

use crate::Node;
use coffer_admin::{ClusterStatus, ComponentHealth, NodeStatus};

/// This node's view of the cluster.
pub async fn member_status(node: &Node) -> ClusterStatus {
    let Some(membership) = &node.membership else {
        return ClusterStatus {
            node: "dev".into(),
            state: "Member".into(),
            reason: None,
            leader: None,
            nodes: Vec::new(),
            warnings: vec!["single-node evaluation mode".into()],
        };
    };
    let mode = membership.availability.mode();
    let labels = node
        .cluster
        .state()
        .read()
        .cluster()
        .map(|c| c.dc_labels.clone())
        .unwrap_or_default();
    let leader = node.cluster.leader();
    let progress = node.cluster.status();
    let mut nodes = Vec::new();
    for member in progress.members {
        let me = member.id == node.cluster.node_id();
        let offset = if me {
            Some(0)
        } else {
            node.cluster
                .peer_ping(&member.info.cluster_addr)
                .await
                .ok()
                .map(|report| report.clock_offset_ms)
        };
        let reachable = me || offset.is_some();
        let role = if leader.as_ref().is_some_and(|(id, _)| *id == member.id) {
            "leader"
        } else if member.role == coffer_cluster::MemberRole::Voter {
            "follower"
        } else {
            "learner"
        };
        let state = if me {
            mode.name().to_owned()
        } else if reachable {
            "Member".to_owned()
        } else {
            "Unreachable".to_owned()
        };
        nodes.push(NodeStatus {
            name: member.info.name.clone(),
            id: member.id,
            address: member.info.cluster_addr.clone(),
            role: role.into(),
            state,
            dc: labels.get(&member.info.name).cloned(),
            applied_index: member.matched_index,
            lag: member.lag,
            last_contact_ms: member.last_contact.map(|d| d.as_millis() as u64),
            clock_offset_ms: offset,
            health: ComponentHealth {
                api: Some(reachable),
                raft: Some(reachable),
                store: me.then_some(true),
            },
        });
    }
    let mut warnings = Vec::new();
    let sysadmins = node
        .cluster
        .state()
        .read()
        .users()
        .filter(|u| u.sysadmin)
        .count();
    if sysadmins < 2 {
        warnings.push(format!(
            "only {sysadmins} sysadmin account(s) exist; create a second one (`sdkms-cluster sysadmin create`) so that losing one password does not lock you out"
        ));
    }
    if let Some(failure) = membership
        .repair_failure
        .lock()
        .ok()
        .and_then(|f| f.clone())
    {
        warnings.push(format!(
            "the last replica check failed ({failure}); run `sdkms-cluster repair` again"
        ));
    }
    let certificates_installed = node
        .cluster
        .state()
        .read()
        .cluster()
        .is_some_and(|c| c.tls.installed.is_some());
    if !certificates_installed {
        warnings.push("the API serves a bootstrap certificate: install real ones with get_csrs and install_certs".into());
    }
    for status in &nodes {
        if let Some(offset) = status.clock_offset_ms
            && offset.abs() > 2000
        {
            warnings.push(format!(
                "{}'s clock is {offset} ms off; check NTP",
                status.name
            ));
        }
    }
    ClusterStatus {
        node: membership.identity.name.clone(),
        state: mode.name().into(),
        reason: mode.reason(),
        leader: leader.map(|(_, info)| info.name),
        nodes,
        warnings,
    }
}
