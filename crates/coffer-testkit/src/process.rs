//! Child processes for tests and benchmarks: each in its own process group, with its output
//! appended to files, signalled as a group.
//!
//! Shared by the dev-server harness ([`CofferServer`](crate::CofferServer)), the cluster tests'
//! daemons and `sdkms-cluster` runs, and the benchmarks' servers, so that all of them start,
//! signal and read their processes the same way.

use anyhow::Context;
use std::fs::{File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Starts `command` in a new process group (so that signalling the group reaches anything it
/// starts), with no stdin and its stdout and stderr appended to the two files.
pub fn spawn_in_group(
    command: &mut Command,
    stdout: &Path,
    stderr: &Path,
) -> anyhow::Result<Child> {
    command
        .stdin(Stdio::null())
        .stdout(append(stdout)?)
        .stderr(append(stderr)?)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))
}

/// Sends `signal` (`TERM`, `KILL`, `STOP`, …) to a whole process group through kill(1), which
/// keeps this crate free of `unsafe`. A group that no longer exists is not an error.
pub fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg("-s")
        .arg(signal)
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A binary built with the workspace: `$ENV_VAR` when set, else `name` in the target directory
/// the running test or benchmark executable was built into.
pub fn workspace_binary(name: &str, env_var: &str) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        anyhow::ensure!(
            path.is_file(),
            "{env_var} points to {}, which does not exist",
            path.display()
        );
        return Ok(path);
    }
    let exe = std::env::current_exe().context("locating the running executable")?;
    // Test executables live in target/<profile>/deps/; binaries in target/<profile>/.
    let mut dir = exe.parent().context("the executable has no directory")?;
    if dir.ends_with("deps") {
        dir = dir.parent().context("deps directory has no parent")?;
    }
    let candidate = dir.join(name);
    anyhow::ensure!(
        candidate.is_file(),
        "the {name} binary is not at {}: build it with `cargo build --workspace --bins` \
         (or point {env_var} at it)",
        candidate.display()
    );
    Ok(candidate)
}

/// Opens `path` for appending, creating it.
pub fn append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// The text of a file, empty if it cannot be read.
pub fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The last `lines` lines of a file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = read_lossy(path);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
