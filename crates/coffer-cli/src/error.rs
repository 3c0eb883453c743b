//! Every way a command can fail, each with what to do about it.

use coffer_admin::AdminError;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// A failed command. `main` prints `error: <Display>` and, when there is one, `hint: <hint>`,
/// then exits with [`CliError::exit_code`].
#[derive(Debug)]
pub enum CliError {
    /// Nothing listens at the socket path because the file is not there.
    NoDaemon {
        /// The data directory that was searched.
        data_dir: PathBuf,
        /// The socket path that is missing.
        socket: PathBuf,
    },
    /// The socket file exists but nobody accepts connections on it (a daemon that stopped
    /// without cleaning up).
    StaleSocket {
        /// The socket path.
        socket: PathBuf,
        /// The data directory, for the start command in the hint.
        data_dir: PathBuf,
    },
    /// The socket (or its directory) is only accessible to root.
    PermissionDenied {
        /// The socket path.
        socket: PathBuf,
    },
    /// Connecting failed for another reason.
    Connect {
        /// The socket path.
        socket: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The daemon did not accept or answer in time.
    Timeout {
        /// The socket path.
        socket: PathBuf,
        /// What we were waiting for (`connect`, `an answer to join`).
        waiting_for: String,
        /// How long we waited.
        after: Duration,
    },
    /// Sending the request or reading the answer failed.
    Transport {
        /// The socket path.
        socket: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The daemon answered something this command does not understand.
    BadAnswer {
        /// What was asked (`status`).
        command: &'static str,
        /// What was wrong with the answer.
        reason: String,
    },
    /// The daemon refused or failed the request.
    Daemon(AdminError),
    /// The command line is incomplete in a way that protects the operator (a missing `--force`
    /// or `--delete-data`); nothing was attempted.
    Refused {
        /// Why, and what the command would do.
        message: String,
        /// How to confirm.
        hint: String,
    },
    /// A file named on the command line could not be read.
    ReadFile {
        /// What the file is for (`config file`).
        what: &'static str,
        /// Its path, as given.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file named on the command line has a malformed line.
    BadFile {
        /// Its path, as given.
        path: PathBuf,
        /// The 1-based line number (0 when the fault is the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Reading the password from the terminal failed or was not possible.
    Password {
        /// Why.
        reason: String,
    },
    /// The local reset (no daemon running) could not clear the data directory.
    LocalReset {
        /// The entry that could not be removed or listed.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The local reset refuses to clear a directory that is obviously not a Coffer data
    /// directory.
    UnsafeDataDir {
        /// The directory.
        path: PathBuf,
    },
    /// An `iptables` step failed.
    Iptables {
        /// The command line that failed.
        command: String,
        /// Its error output or the reason it could not run.
        reason: String,
    },
    /// Values the command needs were given neither as flags nor, since standard input is not a
    /// terminal, on the terminal.
    Missing {
        /// The flags that would give them (`--main-domain`).
        flags: Vec<String>,
    },
    /// An answer on the terminal, or a file's contents, is unusable.
    Input {
        /// What is wrong.
        message: String,
        /// What to do, when there is something to do.
        hint: Option<String>,
    },
    /// The command ran and printed its report, and the report shows a failure.
    ReportFailed {
        /// One sentence summing up what failed.
        message: String,
        /// What to do.
        hint: String,
    },
}

impl CliError {
    /// What to do about the failure, when there is something to do.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NoDaemon { .. } => None,
            Self::StaleSocket { data_dir, .. } => Some(start_hint(data_dir)),
            Self::PermissionDenied { .. } => Some(
                "the admin socket is only accessible to root; run the command with sudo".into(),
            ),
            Self::Connect { .. } => {
                Some("check that the path is right and shorter than 108 bytes".into())
            }
            Self::Timeout { .. } => Some(
                "the daemon may still be working: check `sdkms-cluster status` and the daemon log \
                 (`journalctl -u coffer`)"
                    .into(),
            ),
            Self::Transport { .. } => Some(
                "the daemon may have stopped or restarted; check the daemon log \
                 (`journalctl -u coffer`) and `sdkms-cluster status`"
                    .into(),
            ),
            Self::BadAnswer { .. } => Some(
                "the daemon and sdkms-cluster may be from different Coffer versions; install \
                 matching versions"
                    .into(),
            ),
            Self::Daemon(error) => error.hint.clone(),
            Self::Refused { hint, .. } | Self::ReportFailed { hint, .. } => Some(hint.clone()),
            Self::Missing { .. } => Some(
                "pass the values as flags (see --help), or run the command in a terminal to be \
                 asked for them"
                    .into(),
            ),
            Self::Input { hint, .. } => hint.clone(),
            Self::ReadFile { .. } => Some("check the path and its permissions".into()),
            Self::BadFile { .. } => {
                Some("each line is `NODE-NAME DATA-CENTRE`; `#` starts a comment".into())
            }
            Self::Password { .. } => Some(
                "pass --password, or set COFFER_SYSADMIN_PASSWORD, or run the command in a \
                 terminal to be prompted"
                    .into(),
            ),
            Self::LocalReset { .. } => {
                Some("remove the entry by hand, or run the command with sudo".into())
            }
            Self::UnsafeDataDir { .. } => Some(
                "pass the node's own data directory with --data-dir (default /var/lib/coffer)"
                    .into(),
            ),
            Self::Iptables { .. } => Some(
                "iptables needs root (run with sudo); list what is left with `iptables -S | grep \
                 COFFER`"
                    .into(),
            ),
        }
    }

    /// 2 when nothing was attempted because the command line lacks a confirmation flag, 1 for
    /// every other failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Refused { .. } => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoDaemon { data_dir, socket } => write!(
                f,
                "no Coffer daemon is running with data directory {dir} ({socket} not found); \
                 start it with `systemctl start coffer` or `coffer server --data-dir {dir}`",
                dir = data_dir.display(),
                socket = socket.display(),
            ),
            Self::StaleSocket { socket, .. } => write!(
                f,
                "{} exists but no Coffer daemon accepts connections on it (the daemon stopped)",
                socket.display()
            ),
            Self::PermissionDenied { socket } => {
                write!(f, "permission denied connecting to {}", socket.display())
            }
            Self::Connect { socket, source } => {
                write!(f, "cannot connect to {}: {source}", socket.display())
            }
            Self::Timeout {
                socket,
                waiting_for,
                after,
            } => write!(
                f,
                "the daemon at {} did not {waiting_for} within {} s",
                socket.display(),
                after.as_secs()
            ),
            Self::Transport { socket, source } => write!(
                f,
                "lost the connection to the daemon at {}: {source}",
                socket.display()
            ),
            Self::BadAnswer { command, reason } => {
                write!(
                    f,
                    "the daemon's answer to `{command}` is not understood: {reason}"
                )
            }
            Self::Daemon(error) => f.write_str(&error.message),
            Self::Refused { message, .. } | Self::ReportFailed { message, .. } => {
                f.write_str(message)
            }
            Self::ReadFile { what, path, source } => {
                write!(f, "cannot read {what} {}: {source}", path.display())
            }
            Self::BadFile { path, line, reason } if *line == 0 => {
                write!(f, "{}: {reason}", path.display())
            }
            Self::BadFile { path, line, reason } => {
                write!(f, "{}:{line}: {reason}", path.display())
            }
            Self::Password { reason } => write!(f, "no sysadmin password: {reason}"),
            Self::LocalReset { path, source } => {
                write!(f, "cannot remove {}: {source}", path.display())
            }
            Self::UnsafeDataDir { path } => write!(
                f,
                "refusing to delete the contents of {}: it is a system directory, not a Coffer \
                 data directory",
                path.display()
            ),
            Self::Iptables { command, reason } => write!(f, "`{command}` failed: {reason}"),
            Self::Missing { flags } => write!(
                f,
                "missing {}: standard input is not a terminal, so {} cannot be asked for",
                flags.join(", "),
                if flags.len() == 1 { "it" } else { "they" }
            ),
            Self::Input { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Connect { source, .. }
            | Self::Transport { source, .. }
            | Self::ReadFile { source, .. }
            | Self::LocalReset { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// How to start the daemon for `data_dir`.
fn start_hint(data_dir: &std::path::Path) -> String {
    format!(
        "start it with `systemctl start coffer` or `coffer server --data-dir {}`",
        data_dir.display()
    )
}
