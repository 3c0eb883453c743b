//! `sdkms-cluster rotate --cmk`: replace the cluster master key online (after removing a node,
//! so that what it took with it stops opening anything new).

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::{AdminRequest, MasterKeyRotated};
use std::path::Path;

/// Make a new cluster master key, re-seal every secret under it while the cluster keeps
/// serving, and destroy the old key on every node.
///
/// Every member must be reachable. Sessions signed under the old key end (clients sign in
/// again); API keys keep working. Run it again after a failure: it resumes.
/// Exits with 1 when a member did not confirm that it destroyed the old key.
#[derive(clap::Args, Debug)]
pub(crate) struct RotateArgs {
    /// Rotate the cluster master key (the one thing `rotate` rotates today).
    #[arg(long, required = true)]
    cmk: bool,
}

impl RotateArgs {
    /// Runs the rotation and prints its report.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        debug_assert!(self.cmk, "clap requires --cmk");
        let report: MasterKeyRotated = decode_payload(
            "rotate --cmk",
            Client::new(data_dir).request(&AdminRequest::RotateMasterKey)?,
        )?;
        print_stdout(&render(&report));
        if report.pending.is_empty() {
            return Ok(());
        }
        Err(CliError::ReportFailed {
            message: format!(
                "{} member(s) did not confirm that they destroyed version {}",
                report.pending.len(),
                report.from
            ),
            hint: "each destroys it when it applies the retirement, at the latest when it \
                   starts again; check them with `sdkms-cluster status`"
                .into(),
        })
    }
}

fn render(report: &MasterKeyRotated) -> String {
    let mut text = format!(
        "cluster master key rotated: version {} -> {}\nre-sealed:    {} values\ndestroyed on: {}\n",
        report.from,
        report.to,
        report.resealed,
        report.destroyed_on.join(", ")
    );
    for (node, why) in &report.pending {
        text.push_str(&format!("pending:      {node}: {why}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_both_versions_and_every_node() {
        let report = MasterKeyRotated {
            from: 1,
            to: 2,
            resealed: 42,
            destroyed_on: vec!["node-1".into(), "node-2".into()],
            pending: vec![("node-3".into(), "did not answer: timed out".into())],
        };
        assert_eq!(
            render(&report),
            "cluster master key rotated: version 1 -> 2\n\
             re-sealed:    42 values\n\
             destroyed on: node-1, node-2\n\
             pending:      node-3: did not answer: timed out\n"
        );
    }
}
