//! `sdkms-cluster repair`: check that the replicas agree and re-sync any that diverged
//! (R-CLU-8; the guide's repair job, §10).

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::{AdminRequest, RepairReport};
use std::path::Path;

/// Compare every replica with the leader and repair those that diverged.
///
/// Exits with 1 when a node could not be checked; fix the cause and run it again.
#[derive(clap::Args, Debug)]
pub(crate) struct RepairArgs {}

impl RepairArgs {
    /// Runs the repair and prints its report.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let report: RepairReport = decode_payload(
            "repair",
            Client::new(data_dir).request(&AdminRequest::Repair)?,
        )?;
        print_stdout(&render(&report));
        if report.failed.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = report
            .failed
            .iter()
            .map(|(node, _)| node.as_str())
            .collect();
        Err(CliError::ReportFailed {
            message: format!(
                "repair could not check {} node(s): {}",
                report.failed.len(),
                names.join(", ")
            ),
            hint: "fix the causes listed above, then run `sdkms-cluster repair` again".into(),
        })
    }
}

/// The report, one line per outcome.
fn render(report: &RepairReport) -> String {
    let list = |nodes: &[String]| {
        if nodes.is_empty() {
            "none".to_owned()
        } else {
            nodes.join(", ")
        }
    };
    let mut text = format!(
        "compared replicas at applied index {}\nconsistent: {}\nrepaired:   {}\n",
        report.index,
        list(&report.consistent),
        list(&report.repaired)
    );
    if report.failed.is_empty() {
        text.push_str("failed:     none\n");
    }
    for (node, reason) in &report.failed {
        text.push_str(&format!("failed:     {node}: {reason}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_lists_each_outcome() {
        let report = RepairReport {
            index: 1_234,
            consistent: vec!["node-1".into(), "node-2".into()],
            repaired: vec![],
            failed: vec![("node-3".into(), "unreachable: connection refused".into())],
        };
        assert_eq!(
            render(&report),
            "compared replicas at applied index 1234\n\
             consistent: node-1, node-2\n\
             repaired:   none\n\
             failed:     node-3: unreachable: connection refused\n"
        );
    }
}
