//! A real `coffer server --dev` process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::credentials::DevCredentials;
use crate::http::{RawClient, RawResponse};
use crate::process::{signal_group, spawn_in_group, tail, workspace_binary};

/// How long a server may take to write its credentials and answer health checks.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Interval between readiness and exit checks.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Log lines quoted in errors.
const TAIL_LINES: usize = 50;
/// Set this variable to keep every server's scratch directory (data and logs) after the test.
const KEEP_ENV: &str = "COFFER_KEEP_TEST_DIRS";

/// A development-mode Coffer server running as a child process in its own process group.
///
/// The server's stderr (JSON log lines) is appended to [`log_path`](Self::log_path) and its
/// stdout (the banner) to a file beside it; both live in a scratch directory outside the data
/// directory, so scanning the data directory never sees them. Dropping the value kills the
/// process group and prints the end of the log (the test harness shows it only for failed
/// tests); the scratch directory is kept when the drop happens during a panic or when
/// `COFFER_KEEP_TEST_DIRS` is set.
pub struct CofferServer {
    bin: PathBuf,
    data_dir: PathBuf,
    log_path: PathBuf,
    stdout_path: PathBuf,
    child: Option<Child>,
    credentials: DevCredentials,
    client: RawClient,
    scratch: Option<TempDir>,
    /// Flags passed after `server --dev`, at every start.
    flags: Vec<String>,
}

impl CofferServer {
    /// Starts a server on a fresh temporary data directory.
    pub fn start_dev() -> anyhow::Result<Self> {
        Self::start_dev_with(&[])
    }

    /// Starts a server on a fresh temporary data directory with extra `flags` after
    /// `coffer server --dev` (such as `--allow-signup`).
    pub fn start_dev_with(flags: &[&str]) -> anyhow::Result<Self> {
        let scratch = scratch_dir()?;
        let data_dir = scratch.path().join("data");
        std::fs::create_dir(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        Self::launch(scratch, data_dir, flags)
    }

    /// Starts a server on `dir`, initializing it if empty and reusing it otherwise.
    pub fn start_dev_in(dir: &Path) -> anyhow::Result<Self> {
        Self::launch(scratch_dir()?, dir.to_path_buf(), &[])
    }

    /// Stops the server gracefully: SIGTERM to its process group, then SIGKILL if it has not
    /// exited within 15 s (which is reported as an error).
    pub fn stop(&mut self) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("the server is not running")?;
        let pgid = child.id();
        signal_group(pgid, "TERM");
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().context("waiting for the server")? {
                // Anything the server left in its group goes with it.
                signal_group(pgid, "KILL");
                return Ok(status);
            }
            if Instant::now() >= deadline {
                signal_group(pgid, "KILL");
                let status = child.wait().context("waiting for the killed server")?;
                bail!(
                    "the server did not exit within {STOP_TIMEOUT:?} of SIGTERM and was killed \
                     ({status}); last log lines:\n{}",
                    self.log_tail(TAIL_LINES)
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Kills the server's process group with SIGKILL and reaps it.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        let mut child = self.child.take().context("the server is not running")?;
        signal_group(child.id(), "KILL");
        child.wait().context("waiting for the killed server")?;
        Ok(())
    }

    /// Stops the server if it runs, starts it again on the same data directory and waits until
    /// it is ready. The credentials are re-read: same secrets, new `url` and `pid`.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            self.stop()?;
        }
        let (child, credentials, client) = spawn_ready(
            &self.bin,
            &self.data_dir,
            &self.log_path,
            &self.stdout_path,
            &self.flags,
        )?;
        self.child = Some(child);
        self.credentials = credentials;
        self.client = client;
        Ok(())
    }

    /// What the running server wrote to `dev-credentials.json`.
    pub fn credentials(&self) -> &DevCredentials {
        &self.credentials
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The file collecting the server's stderr across restarts.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything the server has written to stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Everything the server has written to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read(&self.stdout_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The process id of the running server, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A raw HTTPS client for the running server, trusting its CA.
    pub fn raw_client(&self) -> &RawClient {
        &self.client
    }

    /// Sends one hand-made request to the running server. See [`RawClient::request`].
    pub fn raw_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<RawResponse> {
        self.client.request(method, path, headers, body)
    }

    fn launch(scratch: TempDir, data_dir: PathBuf, flags: &[&str]) -> anyhow::Result<Self> {
        let bin = coffer_binary()?;
        let log_path = scratch.path().join("coffer.stderr.log");
        let stdout_path = scratch.path().join("coffer.stdout.log");
        let flags: Vec<String> = flags.iter().map(|flag| (*flag).to_owned()).collect();
        let (child, credentials, client) =
            spawn_ready(&bin, &data_dir, &log_path, &stdout_path, &flags)?;
        Ok(Self {
            bin,
            data_dir,
            log_path,
            stdout_path,
            child: Some(child),
            credentials,
            client,
            scratch: Some(scratch),
            flags,
        })
    }

    fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_path, lines)
    }
}

impl Drop for CofferServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "KILL");
            let _ = child.wait();
        }
        // The test harness shows a test's output only when it fails, so the end of the log is
        // always printed: it is there for tests that fail by returning an error, too.
        let keep = std::thread::panicking() || std::env::var_os(KEEP_ENV).is_some();
        let kept = if keep {
            self.scratch.take().map(TempDir::keep)
        } else {
            None
        };
        eprintln!(
            "--- coffer server log (last {TAIL_LINES} lines of {}{}):\n{}",
            self.log_path.display(),
            kept.map(|dir| format!("; kept in {}", dir.display()))
                .unwrap_or_default(),
            self.log_tail(TAIL_LINES)
        );
    }
}

/// The `coffer` binary under test: `$COFFER_BIN`, or `coffer` in the target directory the test
/// executable was built into.
pub fn coffer_binary() -> anyhow::Result<PathBuf> {
    workspace_binary("coffer", "COFFER_BIN")
}

/// Spawns a server and waits until it is ready; on any failure the child is killed.
fn spawn_ready(
    bin: &Path,
    data_dir: &Path,
    log_path: &Path,
    stdout_path: &Path,
    flags: &[String],
) -> anyhow::Result<(Child, DevCredentials, RawClient)> {
    let mut command = Command::new(bin);
    command
        .arg("server")
        .arg("--dev")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .args(flags);
    let mut child = spawn_in_group(&mut command, stdout_path, log_path)?;
    match wait_ready(&mut child, data_dir, log_path) {
        Ok((credentials, client)) => Ok((child, credentials, client)),
        Err(e) => {
            signal_group(child.id(), "KILL");
            let _ = child.wait();
            Err(e)
        }
    }
}

fn wait_ready(
    child: &mut Child,
    data_dir: &Path,
    log_path: &Path,
) -> anyhow::Result<(DevCredentials, RawClient)> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let pid = child.id();
    let mut last_problem: String;

    let credentials = loop {
        check_alive(child, log_path)?;
        match DevCredentials::read(data_dir) {
            Ok(credentials) if credentials.pid == pid => break credentials,
            Ok(credentials) => {
                last_problem = format!(
                    "dev-credentials.json names pid {}, not {pid}",
                    credentials.pid
                );
            }
            Err(e) => last_problem = format!("{e:#}"),
        }
        check_deadline(deadline, &last_problem, log_path)?;
        std::thread::sleep(POLL_INTERVAL);
    };

    let client = RawClient::new(&credentials.url, &credentials.ca_cert_pem)
        .context("dev-credentials.json has an unusable url or ca_cert_pem")?;
    loop {
        check_alive(child, log_path)?;
        match client.request("GET", "/sys/v1/health", &[], b"") {
            Ok(response) if response.status == 204 => return Ok((credentials, client)),
            Ok(response) => last_problem = format!("GET /sys/v1/health answered {response:?}"),
            Err(e) => last_problem = format!("GET /sys/v1/health failed: {e:#}"),
        }
        check_deadline(deadline, &last_problem, log_path)?;
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn check_alive(child: &mut Child, log_path: &Path) -> anyhow::Result<()> {
    if let Some(status) = child.try_wait().context("checking the server process")? {
        bail!(
            "the server exited ({status}) before it was ready; last log lines:\n{}",
            tail(log_path, TAIL_LINES)
        );
    }
    Ok(())
}

fn check_deadline(deadline: Instant, last_problem: &str, log_path: &Path) -> anyhow::Result<()> {
    if Instant::now() >= deadline {
        bail!(
            "the server was not ready within {READY_TIMEOUT:?} ({last_problem}); last log \
             lines:\n{}",
            tail(log_path, TAIL_LINES)
        );
    }
    Ok(())
}

fn scratch_dir() -> anyhow::Result<TempDir> {
    tempfile::Builder::new()
        .prefix("coffer-test-")
        .tempdir()
        .context("creating a scratch directory")
}
