//! `get_csrs` and `install_certs` (installation guide §5.5): the certificates of the API (Main)
//! and UI (Assets) services.
//!
//! Both commands fail the same way: they append a detailed entry (time, command line without
//! secrets, the values used, the daemon's error and hint) to a log file, `--log-file` or
//! `/var/log/<command>.log`, falling back to `DATA_DIR/<command>.log` when that cannot be
//! written, and print `<command> failed: <message>; details in <log path>` on stderr. See
//! [`failure_log`].

pub mod failure_log;
pub mod get_csrs;
pub mod install_certs;

use crate::error::CliError;
use clap::Parser;
use failure_log::{Failure, report_failure, report_usage_failure};
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

/// Key–value lines describing what a command was working with, for the failure log. Values may
/// span several lines (a pasted chain).
pub type Details = Vec<(String, String)>;

/// What `get_csrs` and `install_certs` have in common, for [`run_main`].
pub(crate) trait CertCommand: Parser {
    /// The command's name (`get_csrs`), also the log file's stem.
    const NAME: &'static str;
    /// Flags whose value never goes to the log.
    const SECRET_FLAGS: &'static [&'static str];
    /// The data directory.
    fn data_dir(&self) -> &Path;
    /// The log file for failures.
    fn log_file(&self) -> &Path;
    /// Runs the command; `details` collects what the failure log should say.
    fn run(self, details: &mut Details) -> Result<(), CliError>;
}

/// Before asking anything on the terminal: a missing admin socket means no daemon runs with
/// this data directory, and the operator should hear it before typing every answer.
pub(crate) fn ensure_socket(data_dir: &Path) -> Result<(), CliError> {
    let socket = data_dir.join(coffer_admin::SOCKET_NAME);
    match std::fs::symlink_metadata(&socket) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(CliError::NoDaemon {
            data_dir: data_dir.to_path_buf(),
            socket,
        }),
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(CliError::PermissionDenied { socket })
        }
        // Anything else is for the connection attempt to report.
        Err(_) => Ok(()),
    }
}

/// Parses the command line, runs the command and reports a failure; the exit code is 0 on
/// success, 1 on failure and 2 on a usage error.
pub(crate) fn run_main<C: CertCommand>() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let command = match C::try_parse_from(&argv) {
        Ok(command) => command,
        Err(error) => return report_usage_failure(C::NAME, C::SECRET_FLAGS, &argv, &error),
    };
    let data_dir = command.data_dir().to_path_buf();
    let log_file = command.log_file().to_path_buf();
    let mut details = Details::new();
    match command.run(&mut details) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report_failure(&Failure {
            command: C::NAME,
            secret_flags: C::SECRET_FLAGS,
            argv: &argv,
            data_dir: &data_dir,
            log_file: &log_file,
            details: &details,
            error: &error,
        }),
    }
}
