//! Starting a throw-away dev server, or reading the credentials of a running one.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use coffer_testkit::process::{signal_group, spawn_in_group, tail};
use serde::Deserialize;
use tempfile::TempDir;

/// The `dev-credentials.json` a dev server writes when it is ready.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Credentials {
    /// `https://host:port`.
    pub(crate) url: String,
    /// base64(`app_id:secret`).
    pub(crate) api_key: String,
    /// PEM of the CA that signed the server certificate.
    pub(crate) ca_cert_pem: String,
    /// Process id of the server that wrote the file.
    #[serde(default)]
    pub(crate) pid: Option<u32>,
}

impl Credentials {
    /// Reads and parses a credentials file.
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
    }

    /// True when the url points at this machine (so `pid` may be observed).
    pub(crate) fn is_local(&self) -> bool {
        let rest = self.url.trim_start_matches("https://");
        rest.starts_with("127.") || rest.starts_with("localhost") || rest.starts_with("[::1]")
    }
}

/// A `coffer server --dev` child process with its temporary data directory.
/// Dropping it kills the process and removes the directory.
pub(crate) struct ServerProcess {
    child: Child,
    log_path: PathBuf,
    /// Credentials the child wrote.
    pub(crate) credentials: Credentials,
    _dir: TempDir,
}

/// The `coffer` binary next to this executable (`target/release/coffer`).
pub(crate) fn default_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate own executable")?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("executable {} has no directory", exe.display()))?;
    Ok(dir.join(format!("coffer{}", std::env::consts::EXE_SUFFIX)))
}

impl ServerProcess {
    /// Starts `bin server --dev --data-dir <tmp> --listen 127.0.0.1:0` and waits
    /// until it has written credentials carrying its own pid.
    pub(crate) async fn spawn(bin: &Path, timeout: Duration) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("coffer-bench-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        let data_dir = dir.path().join("data");
        std::fs::create_dir(&data_dir)?;
        let log_path = dir.path().join("server.log");
        let mut command = Command::new(bin);
        command
            .arg("server")
            .arg("--dev")
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--listen")
            .arg("127.0.0.1:0");
        let child = spawn_in_group(&mut command, &log_path, &log_path)?;

        let mut server = Self {
            child,
            log_path,
            credentials: Credentials {
                url: String::new(),
                api_key: String::new(),
                ca_cert_pem: String::new(),
                pid: None,
            },
            _dir: dir,
        };
        let cred_path = data_dir.join("dev-credentials.json");
        let pid = server.child.id();
        let deadline = Instant::now() + timeout;
        loop {
            server.check_alive()?;
            // The file may be half-written: retry until it parses and is ours.
            if let Ok(c) = Credentials::load(&cred_path)
                && c.pid == Some(pid)
            {
                server.credentials = c;
                return Ok(server);
            }
            if Instant::now() >= deadline {
                bail!(
                    "server wrote no {} with pid {pid} within {timeout:?}{}",
                    cred_path.display(),
                    server.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Process id of the child.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails (with the end of the server log) if the child has exited.
    pub(crate) fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => bail!("server exited ({status}){}", self.log_tail()),
        }
    }

    /// The last lines of the server log, formatted for an error message.
    pub(crate) fn log_tail(&self) -> String {
        let tail = tail(&self.log_path, 20);
        if tail.is_empty() {
            String::from(" (server log is empty)")
        } else {
            format!("\n--- last lines of the server log ---\n{tail}")
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        signal_group(self.child.id(), "KILL");
        let _ = self.child.wait();
    }
}
