//! `sdkms-cluster join --peer=IP[/PREFIX] --token=TOKEN [--self=IP]`: add this node to an
//! existing cluster (guide §5.4 and §7).

use crate::args::{JoinToken, NodeAddr};
use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::{AdminRequest, Joined};
use std::path::Path;

/// Join this node to an existing cluster.
///
/// Same subnet: give the peer with its prefix (`--peer=10.0.0.1/24`). Different subnets: give
/// the peer alone and this node's address (`--peer=10.0.0.1 --self=10.0.1.2`).
#[derive(clap::Args, Debug)]
pub(crate) struct JoinArgs {
    /// The address of a node already in the cluster, with the prefix length of the subnet
    /// when this node is on the same subnet.
    #[arg(long, value_name = "IP[/PREFIX]", value_parser = NodeAddr::parse_optional_prefix)]
    pub(crate) peer: NodeAddr,
    /// A join token from `sdkms-cluster token create` on a member (abcdef.0123456789abcdef).
    #[arg(long, value_name = "TOKEN")]
    pub(crate) token: JoinToken,
    /// This node's address; required when it is not on the peer's subnet.
    #[arg(long = "self", value_name = "IP", value_parser = NodeAddr::parse_optional_prefix)]
    pub(crate) self_addr: Option<NodeAddr>,
    /// The node's name (lower case, unique in the cluster) [default: the host name].
    #[arg(long, value_name = "NAME")]
    pub(crate) node_name: Option<String>,
}

impl JoinArgs {
    /// Asks the daemon to join and prints the outcome.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let request = AdminRequest::Join {
            peer: self.peer.to_string(),
            token: self.token.as_str().to_owned(),
            self_addr: self.self_addr.map(|addr| addr.to_string()),
            node_name: self.node_name,
        };
        let joined: Joined = decode_payload("join", Client::new(data_dir).request(&request)?)?;
        print_stdout(&render(&joined));
        Ok(())
    }
}

/// The outcome and what to check next.
fn render(joined: &Joined) -> String {
    let mut text = format!(
        "node {} joined the cluster as {} (node id {})\n",
        joined.node, joined.role, joined.node_id
    );
    if joined.role == "learner" {
        text.push_str("it becomes a voter once it has caught up with the leader\n");
    }
    text.push_str(
        "check with `sdkms-cluster status` and `sdkms-cluster check-network`; join the next node \
         only after this one shows as a voter\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learner_is_told_it_becomes_a_voter() {
        let text = render(&Joined {
            node: "node-2".into(),
            node_id: 2,
            role: "learner".into(),
        });
        assert!(text.starts_with("node node-2 joined the cluster as learner (node id 2)\n"));
        assert!(text.contains("becomes a voter"));
    }
}
