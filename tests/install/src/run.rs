//! Finished commands: exit code, stdout and stderr.

use std::fmt;
use std::process::Command;

use anyhow::{Context, bail};

/// What one finished command printed and how it exited.
pub struct Run {
    /// The command line, for messages.
    pub command: String,
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Run {
    /// Runs `command` to completion, capturing its output.
    pub fn of(command: &mut Command) -> anyhow::Result<Self> {
        let line = format!("{command:?}");
        let output = command
            .output()
            .with_context(|| format!("starting {line}"))?;
        Ok(Self {
            command: line,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The run itself if it succeeded, or an error quoting everything it printed.
    pub fn ok(self) -> anyhow::Result<Self> {
        if self.success() {
            Ok(self)
        } else {
            bail!("command failed: {self}")
        }
    }

    /// The run itself if it failed, or an error quoting everything it printed.
    pub fn failed(self) -> anyhow::Result<Self> {
        if self.success() {
            bail!("command should have failed: {self}")
        } else {
            Ok(self)
        }
    }

    /// Stdout and stderr together, for checking what the command said.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| "killed by a signal".to_owned(), |code| code.to_string());
        write!(
            f,
            "`{}` exited with {code}\n  stdout:\n{}\n  stderr:\n{}",
            self.command,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
