//! `sdkms-cluster check-network [--peer IP]`: probe every cluster port of every peer and
//! report packet loss (R-CLU-9; the guide's §10 on silently dropped intra-cluster traffic).

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::{MISSING, Table, print_stdout};
use coffer_admin::{AdminRequest, CheckNetworkReport, PortCheck};
use std::path::Path;

/// Check node-to-node connectivity on every cluster port.
///
/// Run it before and after a join. Exits with 1 on any loss or error.
#[derive(clap::Args, Debug)]
pub(crate) struct CheckNetworkArgs {
    /// Check only the member with this address; every member when absent.
    #[arg(long, value_name = "IP")]
    pub(crate) peer: Option<String>,
}

impl CheckNetworkArgs {
    /// Runs the probes and prints the table.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let request = AdminRequest::CheckNetwork { peer: self.peer };
        let report: CheckNetworkReport =
            decode_payload("check-network", Client::new(data_dir).request(&request)?)?;
        if report.checks.is_empty() {
            print_stdout("no peers to check: this node is the only member\n");
            return Ok(());
        }
        print_stdout(&render(&report.checks));
        let bad: Vec<&PortCheck> = report
            .checks
            .iter()
            .filter(|check| !is_clean(check))
            .collect();
        if bad.is_empty() {
            return Ok(());
        }
        let where_: Vec<String> = bad
            .iter()
            .map(|check| format!("{} {} ({})", check.peer, check.port_name, check.address))
            .collect();
        Err(CliError::ReportFailed {
            message: format!("packet loss or errors on {}", where_.join(", ")),
            hint: "check that the ports are open in every firewall between the nodes; a \
                   firewall that inspects tunnelled traffic can drop part of it silently (see \
                   the installation guide, Troubleshooting)"
                .into(),
        })
    }
}

/// No loss and no error.
fn is_clean(check: &PortCheck) -> bool {
    check.error.is_none() && check.received >= check.sent && check.loss_percent <= 0.0
}

/// One row per peer and port.
fn render(checks: &[PortCheck]) -> String {
    let mut table = Table::new(&[
        "PEER",
        "PORT",
        "ADDRESS",
        "SENT",
        "RECEIVED",
        "LOSS",
        "MEDIAN RTT",
        "ERROR",
    ]);
    for check in checks {
        table.push(vec![
            check.peer.clone(),
            check.port_name.clone(),
            check.address.clone(),
            check.sent.to_string(),
            check.received.to_string(),
            format!("{:.1}%", check.loss_percent),
            check
                .median_rtt_ms
                .map_or_else(|| MISSING.to_owned(), |rtt| format!("{rtt:.2}ms")),
            check.error.clone().unwrap_or_default(),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(peer: &str, received: u32, error: Option<&str>) -> PortCheck {
        PortCheck {
            peer: peer.into(),
            port_name: "cluster".into(),
            address: "10.0.0.2:4444".into(),
            sent: 20,
            received,
            loss_percent: f64::from(20 - received) * 5.0,
            median_rtt_ms: (received > 0).then_some(0.42),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn the_table_shows_loss_and_errors() {
        let checks = [
            check("node-2", 20, None),
            check("node-3", 0, Some("connection refused")),
        ];
        assert_eq!(
            render(&checks),
            "PEER     PORT      ADDRESS         SENT   RECEIVED   LOSS     MEDIAN RTT   ERROR\n\
             node-2   cluster   10.0.0.2:4444   20     20         0.0%     0.42ms\n\
             node-3   cluster   10.0.0.2:4444   20     0          100.0%   -            connection refused\n"
        );
        assert!(is_clean(&checks[0]));
        assert!(!is_clean(&checks[1]));
        assert!(!is_clean(&check("node-4", 19, None)));
    }
}
