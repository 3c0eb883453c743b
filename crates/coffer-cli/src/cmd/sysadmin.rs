//! `sdkms-cluster sysadmin create`: a system administrator account (R-OPS-1: create two).

use crate::client::Client;
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::AdminRequest;
use std::io::IsTerminal;
use std::path::Path;

/// Manage system administrators.
#[derive(clap::Args, Debug)]
pub(crate) struct SysadminArgs {
    #[command(subcommand)]
    pub(crate) command: SysadminCommand,
}

/// `sysadmin` subcommands.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum SysadminCommand {
    /// Create a system administrator. The password comes from --password, else from
    /// COFFER_SYSADMIN_PASSWORD, else it is asked for on the terminal.
    Create {
        /// Login email.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Password; it must satisfy the password policy. Prefer the environment variable or
        /// the prompt: a flag shows up in the shell history and the process list.
        #[arg(
            long,
            value_name = "PASSWORD",
            env = "COFFER_SYSADMIN_PASSWORD",
            hide_env_values = true
        )]
        password: Option<String>,
    },
}

impl SysadminArgs {
    /// Runs the `sysadmin` subcommand.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let SysadminCommand::Create { email, password } = self.command;
        let password = match password {
            Some(password) => password,
            None => prompt_password()?,
        };
        let request = AdminRequest::SysadminCreate {
            email: email.clone(),
            password,
        };
        let created = Client::new(data_dir).request(&request)?;
        let user_id = match created.get("user_id") {
            Some(serde_json::Value::String(id)) => format!(" (user id {id})"),
            Some(serde_json::Value::Number(id)) => format!(" (user id {id})"),
            _ => String::new(),
        };
        print_stdout(&format!("sysadmin {email} created{user_id}\n"));
        Ok(())
    }
}

/// Asks twice on the terminal with echo off (through `stty`, which needs no unsafe code).
fn prompt_password() -> Result<String, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Password {
            reason: "stdin is not a terminal, so it cannot prompt".into(),
        });
    }
    let first = read_hidden("sysadmin password: ")?;
    let second = read_hidden("repeat the password: ")?;
    if first != second {
        return Err(CliError::Password {
            reason: "the two passwords differ".into(),
        });
    }
    if first.is_empty() {
        return Err(CliError::Password {
            reason: "the password is empty".into(),
        });
    }
    Ok(first)
}

/// Reads one line from the terminal without echoing it.
fn read_hidden(prompt: &str) -> Result<String, CliError> {
    crate::prompt::read_hidden(prompt).map_err(|reason| CliError::Password { reason })
}
