//! `sdkms-cluster signup enable|disable`: whether anyone may register a user through the API
//! (`POST /sys/v1/users`). Off on a new cluster; account administrators invite users instead.

use crate::client::Client;
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::AdminRequest;
use std::path::Path;

/// Let anyone register a user through the API, or stop it (the default).
///
/// While signup is enabled, registering an email that is taken answers like a successful
/// signup and stores nothing, so that signup does not tell who is registered.
#[derive(clap::Args, Debug)]
pub(crate) struct SignupArgs {
    #[command(subcommand)]
    pub(crate) command: SignupCommand,
}

/// `signup` subcommands.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum SignupCommand {
    /// Let anyone register a user with `POST /sys/v1/users`.
    Enable,
    /// Refuse registrations (403); users are invited by account administrators.
    Disable,
}

impl SignupArgs {
    /// Sends the setting to the daemon (it is replicated to every node).
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let open = matches!(self.command, SignupCommand::Enable);
        Client::new(data_dir).request(&AdminRequest::Signup { open })?;
        print_stdout(if open {
            "signup enabled: anyone can register a user with POST /sys/v1/users\n"
        } else {
            "signup disabled: POST /sys/v1/users is refused; invite users instead\n"
        });
        Ok(())
    }
}
