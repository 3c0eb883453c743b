//! `sdkms-cluster check-outbound URL`: fetch a URL the way the node makes every outbound call,
//! through `global.proxy` unless the exclude list names the host, to check the proxy works.

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::{AdminRequest, OutboundChecked};
use std::path::Path;

/// Fetch URL (GET) through this node's outbound client and say how it went.
///
/// The call goes through global.proxy, unless its exclude list names the host or the host is
/// loopback; the answer says which, with the status. Exits with 1 when the URL could not be
/// fetched.
#[derive(clap::Args, Debug)]
pub(crate) struct CheckOutboundArgs {
    /// An http:// or https:// URL.
    #[arg(value_name = "URL")]
    url: String,
}

impl CheckOutboundArgs {
    /// Asks the daemon to fetch the URL and prints the outcome.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let checked: OutboundChecked = decode_payload(
            "check-outbound",
            Client::new(data_dir).request(&AdminRequest::CheckOutbound { url: self.url })?,
        )?;
        let route = match &checked.via {
            Some(proxy) => format!("through the proxy {proxy}"),
            None => "directly".to_owned(),
        };
        print_stdout(&format!(
            "{} answered {} in {} ms, reached {route}\n",
            checked.url, checked.status, checked.elapsed_ms
        ));
        Ok(())
    }
}
