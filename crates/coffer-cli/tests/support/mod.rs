//! What the end-to-end tests share: a real `coffer server` daemon in its own process group, and
//! running the operator commands against it.

#![allow(dead_code, reason = "each test binary uses part of this")]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The daemon's API port.
pub(crate) const API_PORT: u16 = 8443;
/// The daemon's cluster port.
pub(crate) const CLUSTER_PORT: u16 = 8444;

/// How long the daemon may take to start, and to serve newly installed certificates.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Daemon log lines printed when the test fails.
pub(crate) const TAIL_LINES: usize = 80;

// ---------------------------------------------------------------------------------------------
// The daemon
// ---------------------------------------------------------------------------------------------

/// A `coffer server` in its own process group; dropping it kills the group. On a failure the
/// end of its log is printed and the scratch directory (data, logs, test files) is kept.
pub(crate) struct Daemon {
    pub(crate) child: Option<Child>,
    pub(crate) scratch: Option<TempDir>,
    pub(crate) dir: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) log_path: PathBuf,
}

impl Daemon {
    pub(crate) fn start(prefix: &str) -> Self {
        let scratch = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let data_dir = dir.join("data");
        std::fs::create_dir(&data_dir).unwrap();
        let log_path = dir.join("daemon.log");
        let coffer = coffer_testkit::coffer_binary().expect("the coffer binary");
        let child = Command::new(&coffer)
            .arg("server")
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--api-port")
            .arg(API_PORT.to_string())
            .arg("--cluster-port")
            .arg(CLUSTER_PORT.to_string())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("daemon.stdout")).unwrap())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", coffer.display()));
        let mut daemon = Self {
            child: Some(child),
            scratch: Some(scratch),
            dir,
            data_dir,
            log_path,
        };
        daemon.wait_admin_socket();
        daemon
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("the daemon runs").id()
    }

    pub(crate) fn assert_running(&mut self) {
        let child = self.child.as_mut().expect("the daemon runs");
        assert!(
            matches!(child.try_wait(), Ok(None)),
            "the daemon exited; log:\n{}",
            self.log_tail()
        );
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    pub(crate) fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
    }

    pub(crate) fn wait_admin_socket(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            self.assert_running();
            let status = sdkms_cluster(&self.data_dir, &["status", "--json"]);
            if status.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the admin socket did not answer within {READY_TIMEOUT:?}: {}\nlog:\n{}",
                show(&status),
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "KILL");
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let kept = self.scratch.take().map(TempDir::keep);
            eprintln!(
                "--- daemon log, last {TAIL_LINES} lines of {} (kept in {}):\n{}",
                self.log_path.display(),
                kept.map_or_else(String::new, |dir| dir.display().to_string()),
                self.log_tail()
            );
        }
    }
}

/// Sends `signal` to the process group `pgid` through kill(1).
pub(crate) fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

// ---------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------

pub(crate) fn run(program: &str, data_dir: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("COFFER_DATA_DIR")
        .env_remove("COFFER_SYSADMIN_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("running {program}: {error}"))
}

pub(crate) fn sdkms_cluster(data_dir: &Path, args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_sdkms-cluster"), data_dir, args)
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub(crate) fn show(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout:\n{}--- stderr:\n{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    )
}
