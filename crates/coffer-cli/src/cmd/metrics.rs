//! `sdkms-cluster metrics`: this node's metrics, as `GET /sys/v1/metrics` serves them to
//! sysadmins (the Prometheus text format).

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::AdminRequest;
use std::path::Path;

/// Print this node's metrics in the Prometheus text format.
#[derive(clap::Args, Debug)]
pub(crate) struct MetricsArgs {}

impl MetricsArgs {
    /// Asks the daemon and prints its answer.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let text: String = decode_payload(
            "metrics",
            Client::new(data_dir).request(&AdminRequest::Metrics)?,
        )?;
        print_stdout(&text);
        Ok(())
    }
}
