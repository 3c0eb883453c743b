//! `sdkms-cluster audit-retention`: how much audit log each node keeps.

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::{AdminRequest, AuditRetentionShown};
use std::path::Path;

/// Show how much audit log each node keeps, or change it (for every node).
///
/// Each node deletes, in the background, its records older than the maximum age and the
/// oldest beyond the maximum count. A new cluster keeps 365 days and 2,000,000 records.
#[derive(clap::Args, Debug)]
pub(crate) struct AuditRetentionArgs {
    /// Days a record is kept (1 to 3650).
    #[arg(long, value_name = "DAYS")]
    max_age_days: Option<u32>,
    /// Records kept at most on each node (100 to 1000000000).
    #[arg(long, value_name = "N")]
    max_records: Option<u64>,
}

impl AuditRetentionArgs {
    /// Sends the change, if any, and prints the retention in force.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let shown: AuditRetentionShown = decode_payload(
            "audit-retention",
            Client::new(data_dir).request(&AdminRequest::AuditRetention {
                max_age_days: self.max_age_days,
                max_records: self.max_records,
            })?,
        )?;
        print_stdout(&format!(
            "audit records are kept {} days, at most {} per node\n",
            shown.max_age_days, shown.max_records
        ));
        Ok(())
    }
}
