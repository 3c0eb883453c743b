//! Process groups, files and binaries.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

/// Sends a signal to a whole process group through kill(1), which keeps this crate free of
/// `unsafe`. A group that no longer exists is not an error.
pub(crate) fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg("-s")
        .arg(signal)
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The `sdkms-cluster` binary: `$SDKMS_CLUSTER_BIN`, or the one next to the `coffer` binary.
pub(crate) fn sdkms_cluster_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("SDKMS_CLUSTER_BIN") {
        let path = PathBuf::from(path);
        anyhow::ensure!(
            path.is_file(),
            "SDKMS_CLUSTER_BIN points to {}, which does not exist",
            path.display()
        );
        return Ok(path);
    }
    let coffer = coffer_testkit::coffer_binary()?;
    let candidate = coffer.with_file_name("sdkms-cluster");
    anyhow::ensure!(
        candidate.is_file(),
        "the sdkms-cluster binary is not at {}: build it with `cargo build --workspace --bins` \
         (or point SDKMS_CLUSTER_BIN at it)",
        candidate.display()
    );
    Ok(candidate)
}

/// Opens `path` for appending, creating it.
pub(crate) fn append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// The text of a file, empty if it cannot be read.
pub(crate) fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The last `lines` lines of a file.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = read_lossy(path);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
