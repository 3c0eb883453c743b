//! `sdkms-cluster status [--json]`: every node, its role, state, data centre, replication and
//! component health (R-CLU-6; the guide's `kubectl get nodes` / `get pods -o wide`).

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::{MISSING, Table, format_millis, format_offset, print_stdout};
use coffer_admin::{AdminRequest, ClusterStatus, ComponentHealth, NodeStatus};
use std::path::Path;

/// Show the cluster's nodes and this node's state.
#[derive(clap::Args, Debug)]
pub(crate) struct StatusArgs {
    /// Print the daemon's answer as JSON (a stable format for scripts) instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

impl StatusArgs {
    /// Asks the daemon for the status and prints it.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let payload = Client::new(data_dir).request(&AdminRequest::Status)?;
        if self.json {
            // The answer as received, not re-encoded from our types: fields a newer daemon adds
            // reach the script too.
            let json =
                serde_json::to_string_pretty(&payload).map_err(|error| CliError::BadAnswer {
                    command: "status",
                    reason: error.to_string(),
                })?;
            print_stdout(&format!("{json}\n"));
            return Ok(());
        }
        let status: ClusterStatus = decode_payload("status", payload)?;
        print_stdout(&render(&status));
        Ok(())
    }
}

/// The node table, then this node's state, the leader and the warnings.
fn render(status: &ClusterStatus) -> String {
    let mut table = Table::new(&[
        "NAME",
        "ROLE",
        "STATE",
        "DC",
        "ADDRESS",
        "APPLIED",
        "LAG",
        "LAST CONTACT",
        "CLOCK OFFSET",
        "HEALTH",
    ]);
    for node in &status.nodes {
        table.push(row(node));
    }
    let mut text = if status.nodes.is_empty() {
        String::new()
    } else {
        table.render() + "\n"
    };
    text.push_str(&format!("node {}: {}", status.node, status.state));
    if let Some(reason) = &status.reason {
        text.push_str(&format!(" ({reason})"));
    }
    text.push('\n');
    text.push_str(&format!(
        "leader: {}\n",
        status.leader.as_deref().unwrap_or("none known")
    ));
    for warning in &status.warnings {
        text.push_str(&format!("WARNING: {warning}\n"));
    }
    text
}

/// One table row.
fn row(node: &NodeStatus) -> Vec<String> {
    let or_missing = |value: Option<String>| value.unwrap_or_else(|| MISSING.to_owned());
    vec![
        node.name.clone(),
        node.role.clone(),
        node.state.clone(),
        or_missing(node.dc.clone()),
        node.address.clone(),
        or_missing(node.applied_index.map(|index| index.to_string())),
        or_missing(node.lag.map(|lag| lag.to_string())),
        or_missing(node.last_contact_ms.map(format_millis)),
        or_missing(node.clock_offset_ms.map(format_offset)),
        health(&node.health),
    ]
}

/// `ok` when every component is healthy; otherwise the ones that are not, e.g.
/// `raft=down,store=unknown`.
fn health(health: &ComponentHealth) -> String {
    let parts = [
        ("api", health.api),
        ("raft", health.raft),
        ("store", health.store),
    ];
    if parts.iter().all(|(_, up)| up.is_none()) {
        return "unknown".to_owned();
    }
    let problems: Vec<String> = parts
        .iter()
        .filter_map(|(name, up)| match up {
            Some(true) => None,
            Some(false) => Some(format!("{name}=down")),
            None => Some(format!("{name}=unknown")),
        })
        .collect();
    if problems.is_empty() {
        "ok".to_owned()
    } else {
        problems.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, role: &str) -> NodeStatus {
        NodeStatus {
            name: name.into(),
            id: 1,
            address: "10.0.0.1:4444".into(),
            role: role.into(),
            state: "Member".into(),
            dc: Some("dc-1".into()),
            applied_index: Some(120),
            lag: Some(0),
            last_contact_ms: None,
            clock_offset_ms: Some(0),
            health: ComponentHealth {
                api: Some(true),
                raft: Some(true),
                store: Some(true),
            },
        }
    }

    #[test]
    fn the_table_reads_like_kubectl_get_nodes_wide() {
        let mut second = node("node-2", "follower");
        second.address = "10.0.0.2:4444".into();
        second.state = "Unreachable".into();
        second.dc = None;
        second.applied_index = Some(97);
        second.lag = Some(23);
        second.last_contact_ms = Some(12_400);
        second.clock_offset_ms = Some(-35);
        second.health = ComponentHealth {
            api: None,
            raft: Some(false),
            store: None,
        };
        let status = ClusterStatus {
            node: "node-1".into(),
            state: "Member".into(),
            reason: None,
            leader: Some("node-1".into()),
            nodes: vec![node("node-1", "leader"), second],
            warnings: vec!["only one sysadmin exists; create a second one".into()],
        };
        assert_eq!(
            render(&status),
            "NAME     ROLE       STATE         DC     ADDRESS         APPLIED   LAG   LAST CONTACT   CLOCK OFFSET   HEALTH\n\
             node-1   leader     Member        dc-1   10.0.0.1:4444   120       0     -              +0ms           ok\n\
             node-2   follower   Unreachable   -      10.0.0.2:4444   97        23    12.4s          -35ms          api=unknown,raft=down,store=unknown\n\
             \n\
             node node-1: Member\n\
             leader: node-1\n\
             WARNING: only one sysadmin exists; create a second one\n"
        );
    }

    #[test]
    fn an_uninitialized_node_shows_its_state_and_reason_without_a_table() {
        let status = ClusterStatus {
            node: "node-9".into(),
            state: "Uninitialized".into(),
            reason: Some("run `sdkms-cluster create` or `join`".into()),
            leader: None,
            nodes: vec![],
            warnings: vec![],
        };
        assert_eq!(
            render(&status),
            "node node-9: Uninitialized (run `sdkms-cluster create` or `join`)\nleader: none known\n"
        );
    }

    #[test]
    fn health_with_no_information_is_unknown() {
        assert_eq!(health(&ComponentHealth::default()), "unknown");
    }
}
