//! Runs of the `sdkms-cluster` command: exit code, stdout and stderr.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use coffer_testkit::process::{read_lossy, signal_group, spawn_in_group};

/// How often a running command is checked for completion.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// What one finished command printed and how it exited.
#[derive(Clone)]
pub struct CliOutput {
    /// The command line, for messages.
    pub command: String,
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl CliOutput {
    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The stdout of a successful command, or an error quoting everything it printed.
    pub fn ok(self) -> anyhow::Result<String> {
        if self.success() {
            Ok(self.stdout)
        } else {
            bail!("command failed: {self}")
        }
    }

    /// The stderr of a command that failed with `code`, or an error quoting everything.
    pub fn failed_with(self, code: i32) -> anyhow::Result<String> {
        if self.code == Some(code) {
            Ok(self.stderr)
        } else {
            bail!("expected exit code {code}: {self}")
        }
    }
}

impl fmt::Display for CliOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| "killed by a signal".to_owned(), |code| code.to_string());
        write!(
            f,
            "`{}` exited with {code}\n  stdout: {}\n  stderr: {}",
            self.command,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl fmt::Debug for CliOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A command running in the background, in its own process group (killed on drop).
pub struct CliRun {
    command: String,
    child: Option<Child>,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    started: Instant,
}

impl CliRun {
    /// Starts `bin --data-dir DATA_DIR ARGS…`, its output going to `OUT_PREFIX.stdout` and
    /// `OUT_PREFIX.stderr`.
    pub(crate) fn spawn(
        bin: &Path,
        data_dir: &Path,
        args: &[String],
        out_prefix: &Path,
    ) -> anyhow::Result<Self> {
        let stdout_path = out_prefix.with_extension("stdout");
        let stderr_path = out_prefix.with_extension("stderr");
        let command = format!(
            "sdkms-cluster --data-dir {} {}",
            data_dir.display(),
            args.join(" ")
        );
        let mut process = Command::new(bin);
        process.arg("--data-dir").arg(data_dir).args(args);
        let child = spawn_in_group(&mut process, &stdout_path, &stderr_path)
            .with_context(|| format!("starting {command}"))?;
        Ok(Self {
            command,
            child: Some(child),
            stdout_path,
            stderr_path,
            started: Instant::now(),
        })
    }

    /// The command line.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Whether the command has exited.
    pub fn is_finished(&mut self) -> anyhow::Result<bool> {
        match self.child.as_mut() {
            Some(child) => Ok(child.try_wait().context("checking the command")?.is_some()),
            None => Ok(true),
        }
    }

    /// Waits for the command to exit; after `timeout` it is killed and that is an error.
    pub fn wait(mut self, timeout: Duration) -> anyhow::Result<CliOutput> {
        let mut child = self
            .child
            .take()
            .context("the command was already waited for")?;
        let status = loop {
            if let Some(status) = child.try_wait().context("waiting for the command")? {
                break status;
            }
            if self.started.elapsed() >= timeout {
                signal_group(child.id(), "KILL");
                let _ = child.wait();
                bail!(
                    "`{}` did not return within {timeout:?} and was killed; so far it printed\n  \
                     stdout: {}\n  stderr: {}",
                    self.command,
                    read_lossy(&self.stdout_path).trim_end(),
                    read_lossy(&self.stderr_path).trim_end()
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        };
        Ok(CliOutput {
            command: self.command.clone(),
            code: status.code(),
            stdout: read_lossy(&self.stdout_path),
            stderr: read_lossy(&self.stderr_path),
        })
    }
}

impl Drop for CliRun {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "KILL");
            let _ = child.wait();
        }
    }
}
