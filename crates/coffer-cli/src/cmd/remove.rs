//! `sdkms-cluster remove --node NAME --force`: take a node out of the cluster (guide §8).

use crate::client::Client;
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::AdminRequest;
use std::path::Path;

/// Remove a node from the cluster; the other nodes keep serving.
///
/// Find the name with `sdkms-cluster status`. Afterwards, reset the removed node with
/// `sdkms-cluster reset --delete-data --reset-iptables`.
#[derive(clap::Args, Debug)]
pub(crate) struct RemoveArgs {
    /// The node's name, as `sdkms-cluster status` shows it under NAME.
    #[arg(long, value_name = "NAME")]
    pub(crate) node: String,
    /// Confirm the removal; without it nothing is done.
    #[arg(long)]
    pub(crate) force: bool,
}

impl RemoveArgs {
    /// Refuses without `--force`; otherwise asks the daemon to remove the node.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        if !self.force {
            return Err(refusal(&self.node));
        }
        let request = AdminRequest::Remove {
            node: self.node.clone(),
            force: true,
        };
        // The answer only echoes the name.
        Client::new(data_dir).request(&request)?;
        print_stdout(&format!(
            "node {node} removed from the cluster\n\
             next: on {node}, run `sdkms-cluster reset --delete-data --reset-iptables`\n",
            node = self.node,
        ));
        Ok(())
    }
}

/// Why `remove` without `--force` does nothing.
fn refusal(node: &str) -> CliError {
    CliError::Refused {
        message: format!(
            "not removing node {node} without --force: removing takes it out of the cluster \
             membership, so it no longer receives replicated data or counts toward quorum, and \
             it cannot rejoin until it is reset"
        ),
        hint: format!("to confirm, run `sdkms-cluster remove --node {node} --force`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_force_the_refusal_says_what_removing_does_and_how_to_confirm() {
        let error = refusal("node-3");
        assert!(error.to_string().contains("without --force"));
        assert!(error.to_string().contains("out of the cluster membership"));
        assert_eq!(
            error.hint().as_deref(),
            Some("to confirm, run `sdkms-cluster remove --node node-3 --force`")
        );
    }
}
