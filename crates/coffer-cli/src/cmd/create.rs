//! `sdkms-cluster create --self=IP/PREFIX --config ./config.yaml`: make this node a one-node
//! cluster (guide §5.3.5).

use crate::args::NodeAddr;
use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::{AdminRequest, Created};
use std::path::{Path, PathBuf};

/// Create a new one-node cluster on this node.
///
/// Run it on the first node only; the other nodes join it with `sdkms-cluster join`.
#[derive(clap::Args, Debug)]
pub(crate) struct CreateArgs {
    /// This node's address and the prefix length of its subnet, e.g. 10.0.0.5/24. The API and
    /// cluster ports listen on this address.
    #[arg(long = "self", value_name = "IP/PREFIX", value_parser = NodeAddr::parse_with_prefix)]
    pub(crate) self_addr: NodeAddr,
    /// The cluster configuration (see config.yaml.example in the admin's home directory).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// The node's name (lower case, unique in the cluster) [default: the host name].
    #[arg(long, value_name = "NAME")]
    pub(crate) node_name: Option<String>,
}

impl CreateArgs {
    /// Reads the configuration, asks the daemon to create the cluster, prints the result.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let config_yaml =
            std::fs::read_to_string(&self.config).map_err(|source| CliError::ReadFile {
                what: "config file",
                path: self.config.clone(),
                source,
            })?;
        let self_addr = self.self_addr.to_string();
        let request = AdminRequest::Create {
            self_addr: self_addr.clone(),
            config_yaml,
            node_name: self.node_name,
        };
        let created: Created = decode_payload("create", Client::new(data_dir).request(&request)?)?;
        print_stdout(&render(&created, &self_addr));
        Ok(())
    }
}

/// The result and the guide's next steps; `self_addr` is this node's `IP/PREFIX`.
fn render(created: &Created, self_addr: &str) -> String {
    format!(
        "cluster created; node {node} is its first member\n\
         API:     {api}\n\
         cluster: {cluster}\n\
         \n\
         next steps:\n\
         \x20 1. on this node:   sdkms-cluster token create\n\
         \x20 2. on each other node, one at a time:\n\
         \x20                    sdkms-cluster join --peer={self_addr} --token=<token>\n\
         \x20 3. on this node:   get_csrs, then install_certs\n\
         \x20 4. check:          sdkms-cluster status\n",
        node = created.node,
        api = created.api_url,
        cluster = created.cluster_addr,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_names_the_node_and_its_addresses() {
        let text = render(
            &Created {
                node: "node-1".into(),
                api_url: "https://10.0.0.5:443".into(),
                cluster_addr: "10.0.0.5:4444".into(),
            },
            "10.0.0.5/24",
        );
        assert!(text.starts_with("cluster created; node node-1 is its first member\n"));
        assert!(text.contains("API:     https://10.0.0.5:443\n"));
        assert!(text.contains("cluster: 10.0.0.5:4444\n"));
        assert!(text.contains("sdkms-cluster join --peer=10.0.0.5/24 --token=<token>\n"));
    }
}
