//! One Coffer daemon on its own loopback address and data directory.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use coffer_testkit::{RawClient, RawResponse};
use tempfile::TempDir;

use crate::cli::{CliOutput, CliRun};
use crate::status::Status;
use coffer_testkit::process::{read_lossy, signal_group, spawn_in_group, tail, workspace_binary};

/// The API port of every node (on the node's own address).
pub const API_PORT: u16 = 8443;
/// The cluster port of every node (on the node's own address).
pub const CLUSTER_PORT: u16 = 8444;

/// The `config.yaml` test clusters are created with.
pub const CONFIG_YAML: &str =
    "global:\n  attestation: null\n  externalLoadBalancer: true\n  clusterIp: dummy\n";

/// How long a daemon may take to answer on its admin socket.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a daemon may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long an ordinary command may run.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `join` may run: it returns only once the node is a voter.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(90);
/// Daemon log lines printed when a test fails.
const TAIL_LINES: usize = 60;
/// Set this variable to keep every node's scratch directory (data and logs) after the test.
const KEEP_ENV: &str = "COFFER_KEEP_TEST_DIRS";
/// Interval between checks of a starting or stopping daemon.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A `coffer server` daemon in its own process group, with its own data directory.
///
/// The daemon's stderr (JSON log lines) is appended to [`log_path`](Self::log_path) across
/// restarts; it lives in a scratch directory beside the data directory, as do the config file
/// and the output of every command. Dropping the node kills the daemon's process group; when
/// that happens during a panic, the last 60 log lines are printed and the scratch directory is
/// kept.
pub struct Node {
    name: String,
    ip: Ipv4Addr,
    coffer_bin: PathBuf,
    cli_bin: PathBuf,
    scratch_path: PathBuf,
    data_dir: PathBuf,
    log_path: PathBuf,
    daemon: Option<Child>,
    runs: AtomicU32,
    scratch: Option<TempDir>,
}

impl Node {
    /// Starts a daemon called `name` (the name it is given at create or join) for address `ip`
    /// on a fresh data directory, and waits until its admin socket answers.
    pub fn start(name: &str, ip: Ipv4Addr) -> anyhow::Result<Self> {
        let scratch = tempfile::Builder::new()
            .prefix(&format!("coffer-cluster-{name}-"))
            .tempdir()
            .context("creating a scratch directory")?;
        let scratch_path = scratch.path().to_path_buf();
        let data_dir = scratch_path.join("data");
        std::fs::create_dir(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let mut node = Self {
            name: name.to_owned(),
            ip,
            coffer_bin: coffer_testkit::coffer_binary()?,
            cli_bin: workspace_binary("sdkms-cluster", "SDKMS_CLUSTER_BIN")?,
            log_path: scratch_path.join("daemon.log"),
            scratch_path,
            data_dir,
            daemon: None,
            runs: AtomicU32::new(0),
            scratch: Some(scratch),
        };
        node.launch()?;
        Ok(node)
    }

    /// Starts the daemon again on the same data directory after [`kill`](Self::kill) or
    /// [`stop`](Self::stop) and waits until its admin socket answers.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        ensure!(self.daemon.is_none(), "{} is already running", self.name);
        self.launch()
    }

    /// Stops the daemon if it runs, then starts it again on the same data directory.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        if self.daemon.is_some() {
            self.stop()?;
        }
        self.launch()
    }

    /// Stops the daemon gracefully: SIGTERM, then SIGKILL if it has not exited within 20 s
    /// (which is an error).
    pub fn stop(&mut self) -> anyhow::Result<ExitStatus> {
        let mut child = self
            .daemon
            .take()
            .with_context(|| format!("{} is not running", self.name))?;
        let pgid = child.id();
        signal_group(pgid, "TERM");
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().context("waiting for the daemon")? {
                signal_group(pgid, "KILL");
                return Ok(status);
            }
            if Instant::now() >= deadline {
                signal_group(pgid, "KILL");
                let status = child.wait().context("waiting for the killed daemon")?;
                bail!(
                    "{} did not exit within {STOP_TIMEOUT:?} of SIGTERM and was killed \
                     ({status}); last log lines:\n{}",
                    self.name,
                    self.log_tail(TAIL_LINES)
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Kills the daemon's process group with SIGKILL and reaps it.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        let mut child = self
            .daemon
            .take()
            .with_context(|| format!("{} is not running", self.name))?;
        signal_group(child.id(), "KILL");
        child.wait().context("waiting for the killed daemon")?;
        Ok(())
    }

    /// Whether the daemon process is alive (it may have exited on its own).
    pub fn is_running(&mut self) -> bool {
        match self.daemon.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's address.
    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    /// `https://IP:8443`.
    pub fn api_url(&self) -> String {
        format!("https://{}:{API_PORT}", self.ip)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The file collecting the daemon's stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything the daemon has logged so far.
    pub fn logs(&self) -> String {
        read_lossy(&self.log_path)
    }

    /// The last `lines` lines of the daemon log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_path, lines)
    }

    /// The cluster CA this node wrote to `DIR/cluster-ca.pem`.
    pub fn ca_pem(&self) -> anyhow::Result<String> {
        let path = self.data_dir.join("cluster-ca.pem");
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// The names in the data directory, sorted.
    pub fn data_dir_entries(&self) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.data_dir)
            .with_context(|| format!("listing {}", self.data_dir.display()))?
        {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    // ---- commands ----

    /// Runs `sdkms-cluster --data-dir DIR ARGS…` and waits (60 s at most) for it to exit.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<CliOutput> {
        self.spawn_cli(args)?.wait(CLI_TIMEOUT)
    }

    /// `deploy --config FILE --stage DEPLOY` of `config_yaml` (written to a file in the node's
    /// scratch directory); its output, an error unless it succeeds.
    pub fn deploy(&self, config_yaml: &str) -> anyhow::Result<String> {
        let run = self.runs.fetch_add(1, Ordering::Relaxed);
        let path = self.scratch_path.join(format!("deploy-{run:03}.yaml"));
        std::fs::write(&path, config_yaml)
            .with_context(|| format!("writing {}", path.display()))?;
        self.cli(&[
            "deploy",
            "--config",
            &path.to_string_lossy(),
            "--stage",
            "DEPLOY",
        ])?
        .ok()
    }

    /// Starts `sdkms-cluster --data-dir DIR ARGS…` in the background.
    pub fn spawn_cli(&self, args: &[&str]) -> anyhow::Result<CliRun> {
        let run = self.runs.fetch_add(1, Ordering::Relaxed);
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        CliRun::spawn(
            &self.cli_bin,
            &self.data_dir,
            &args,
            &self.scratch_path.join(format!("cli-{run:03}")),
        )
    }

    /// `create --self=IP/24 --config FILE --node-name NAME`, with a minimal config.yaml; an
    /// error unless the command succeeds.
    pub fn create(&self) -> anyhow::Result<String> {
        self.try_create_as(&self.name)?.ok()
    }

    /// Runs `create` under `name` and returns its output, whatever the outcome.
    pub fn try_create_as(&self, name: &str) -> anyhow::Result<CliOutput> {
        let config = self.scratch_path.join("config.yaml");
        // Loopback nodes cannot hold a cluster IP: the external load balancer form.
        std::fs::write(&config, CONFIG_YAML)
            .with_context(|| format!("writing {}", config.display()))?;
        self.cli(&[
            "create",
            &format!("--self={}/24", self.ip),
            "--config",
            &config.to_string_lossy(),
            "--node-name",
            name,
        ])
    }

    /// `token create --ttl 1h`: checks that stdout holds only the token, and returns it.
    pub fn token(&self) -> anyhow::Result<String> {
        let stdout = self.cli(&["token", "create", "--ttl", "1h"])?.ok()?;
        let token = stdout.trim();
        ensure!(
            stdout.lines().count() == 1 && is_token(token),
            "`token create` must print only a token like abcdef.0123456789abcdef, printed \
             {stdout:?}"
        );
        Ok(token.to_owned())
    }

    /// The arguments of `join --peer=PEER --token=TOKEN --self=IP --node-name NAME`.
    pub fn join_args(&self, peer: Ipv4Addr, token: &str, name: &str) -> Vec<String> {
        vec![
            "join".to_owned(),
            format!("--peer={peer}"),
            format!("--token={token}"),
            format!("--self={}", self.ip),
            "--node-name".to_owned(),
            name.to_owned(),
        ]
    }

    /// Runs `join` towards `peer` under this node's name and returns its output, whatever the
    /// outcome.
    pub fn try_join(&self, peer: Ipv4Addr, token: &str) -> anyhow::Result<CliOutput> {
        self.try_join_as(peer, token, &self.name)
    }

    /// Runs `join` towards `peer` under `name` and returns its output, whatever the outcome.
    pub fn try_join_as(
        &self,
        peer: Ipv4Addr,
        token: &str,
        name: &str,
    ) -> anyhow::Result<CliOutput> {
        self.spawn_join(peer, token, name)?.wait(JOIN_TIMEOUT)
    }

    /// Starts `join` towards `peer` under `name` in the background.
    pub fn spawn_join(&self, peer: Ipv4Addr, token: &str, name: &str) -> anyhow::Result<CliRun> {
        let args = self.join_args(peer, token, name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.spawn_cli(&args)
    }

    /// Joins the cluster `peer` belongs to; an error unless the command succeeds.
    pub fn join(&self, peer: Ipv4Addr, token: &str) -> anyhow::Result<String> {
        self.try_join(peer, token)?.ok()
    }

    /// `status --json`, parsed.
    pub fn status(&self) -> anyhow::Result<Status> {
        let stdout = self.cli(&["status", "--json"])?.ok()?;
        Status::parse(&stdout)
    }

    // ---- the API port ----

    /// A raw HTTPS client for this node's API, trusting its cluster CA only.
    pub fn raw_client(&self) -> anyhow::Result<RawClient> {
        RawClient::new(&self.api_url(), &self.ca_pem()?)
    }

    /// `GET /sys/v1/health`.
    pub fn health(&self) -> anyhow::Result<RawResponse> {
        self.raw_client()?
            .request("GET", "/sys/v1/health", &[], b"")
            .with_context(|| format!("GET {}/sys/v1/health", self.api_url()))
    }

    /// Whether `GET /sys/v1/health` answers 204 right now.
    pub fn is_healthy(&self) -> bool {
        self.health().is_ok_and(|response| response.status == 204)
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let mut command = Command::new(&self.coffer_bin);
        command
            .arg("server")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--api-port")
            .arg(API_PORT.to_string())
            .arg("--cluster-port")
            .arg(CLUSTER_PORT.to_string());
        let child = spawn_in_group(
            &mut command,
            &self.scratch_path.join("daemon.stdout"),
            &self.log_path,
        )?;
        self.daemon = Some(child);
        if let Err(error) = self.wait_admin_socket() {
            if let Some(mut child) = self.daemon.take() {
                signal_group(child.id(), "KILL");
                let _ = child.wait();
            }
            return Err(error);
        }
        Ok(())
    }

    /// Waits until `status --json` answers (the daemon listens on its admin socket).
    fn wait_admin_socket(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.daemon.as_mut()
                && let Some(status) = child.try_wait().context("checking the daemon")?
            {
                bail!(
                    "{}'s daemon exited ({status}) before its admin socket answered; last log \
                     lines:\n{}",
                    self.name,
                    self.log_tail(TAIL_LINES)
                );
            }
            let last = match self.cli(&["status", "--json"]) {
                Ok(output) if output.success() => return Ok(()),
                Ok(output) => output.to_string(),
                Err(error) => format!("{error:#}"),
            };
            if Instant::now() >= deadline {
                bail!(
                    "{}'s admin socket did not answer within {READY_TIMEOUT:?} ({last}); last \
                     log lines:\n{}",
                    self.name,
                    self.log_tail(TAIL_LINES)
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            signal_group(child.id(), "KILL");
            let _ = child.wait();
        }
        let failed = std::thread::panicking();
        let kept = if failed || std::env::var_os(KEEP_ENV).is_some() {
            self.scratch.take().map(TempDir::keep)
        } else {
            None
        };
        if failed {
            eprintln!(
                "--- {} ({}) daemon log, last {TAIL_LINES} lines of {}{}:\n{}",
                self.name,
                self.ip,
                self.log_path.display(),
                kept.map(|dir| format!("; kept in {}", dir.display()))
                    .unwrap_or_default(),
                self.log_tail(TAIL_LINES)
            );
        }
    }
}

/// Whether `text` has the shape of a join token: `[a-z0-9]{6}.[a-z0-9]{16}`.
fn is_token(text: &str) -> bool {
    let allowed = |part: &str, len: usize| {
        part.len() == len
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    text.split_once('.')
        .is_some_and(|(id, secret)| allowed(id, 6) && allowed(secret, 16))
}
