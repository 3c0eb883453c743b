//! `--cluster N`: real `coffer server` daemons on loopback addresses, formed
//! into a cluster with `sdkms-cluster` as an operator would, then measured:
//!
//! 1. key-creation throughput with the connections spread round-robin over
//!    every node (followers forward writes to the leader), next to a one-node
//!    cluster built the same way;
//! 2. the write outage when the leader is killed with SIGKILL: the time from
//!    the kill to the first key creation accepted by a survivor.
//!
//! Every daemon runs in its own process group. The groups are killed when the
//! cluster is dropped (end of run, error, Ctrl-C) and by a panic hook.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tempfile::TempDir;

use coffer_testkit::process::{signal_group, spawn_in_group, tail};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::client::{Conn, Target};
use crate::report::{ClusterReport, FailoverReport, FailoverRound, ThroughputRun};
use crate::scenarios::{self, LoadConfig, Scenario, ServerResult};

/// API port of every node, on the node's own address.
pub(crate) const API_PORT: u16 = 8443;
/// Cluster (Raft) port of every node, on the node's own address.
pub(crate) const CLUSTER_PORT: u16 = 8444;

/// How long an ordinary `sdkms-cluster` command may run.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `join` may run: it returns once the node is a voter.
const JOIN_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the cluster may take to list every node as a healthy voter.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the survivors may take to accept a write after the kill.
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a restarted node may take to be a caught-up follower again.
const REJOIN_TIMEOUT: Duration = Duration::from_secs(120);
/// Timeout of one write during a failover round, so that a hanging request
/// does not hold a slot for long.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Most writes in flight during a failover round.
const PROBE_IN_FLIGHT: usize = 64;
/// Writes acknowledged before the leader is killed.
const STEADY_ACKS: usize = 20;
/// Interval between two checks of a condition being waited for.
const POLL: Duration = Duration::from_millis(50);

const SYSADMIN_EMAIL: &str = "bench-sysadmin@coffer.test";
const SYSADMIN_PASSWORD: &str = "Bench-sysadmin-pw-2024";
const KEYS_PATH: &str = "/crypto/v1/keys";

/// What to start and how to load it.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Nodes of the measured cluster.
    pub(crate) nodes: usize,
    /// Node N listens on `subnet.N`.
    pub(crate) subnet: [u8; 3],
    /// The `coffer` daemon binary.
    pub(crate) coffer_bin: PathBuf,
    /// The `sdkms-cluster` binary.
    pub(crate) cli_bin: PathBuf,
    /// Keep-alive connections for the throughput runs.
    pub(crate) connections: usize,
    /// Load before each measured window.
    pub(crate) warmup: Duration,
    /// Measured window of each throughput run.
    pub(crate) duration: Duration,
    /// Log the app in once and send `Bearer` instead of the API key.
    pub(crate) bearer: bool,
    /// How long a daemon may take to answer on its admin socket / API.
    pub(crate) startup_timeout: Duration,
    /// Per-request timeout of the throughput runs.
    pub(crate) request_timeout: Duration,
    /// Leader kills.
    pub(crate) failover_rounds: usize,
    /// Interval between two writes sent during a failover round.
    pub(crate) failover_interval: Duration,
}

impl Settings {
    /// The address of node `number` (1-based).
    pub(crate) fn ip(&self, number: usize) -> Ipv4Addr {
        let [a, b, c] = self.subnet;
        Ipv4Addr::new(a, b, c, u8::try_from(number).unwrap_or(u8::MAX))
    }
}

/// Parses `127.X.Y` (the first three octets of the node addresses).
pub(crate) fn parse_subnet(s: &str) -> Result<[u8; 3], String> {
    let octets: Vec<u8> = s
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{s:?} is not three octets like 127.77.0"))?;
    let octets: [u8; 3] = octets
        .try_into()
        .map_err(|_| format!("{s:?} is not three octets like 127.77.0"))?;
    if octets[0] != 127 {
        return Err(format!("{s:?} is not a loopback subnet (127.X.Y)"));
    }
    Ok(octets)
}

// ---- process groups ----

/// Process groups of the daemons that are running, for the panic hook.
static GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn kill_group(pgid: u32) {
    signal_group(pgid, "KILL");
}

/// Makes a panic kill every daemon still running before anything else happens.
pub(crate) fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // try_lock: the panic may have happened while the list was held.
        let groups = match GROUPS.try_lock() {
            Ok(mut g) => std::mem::take(&mut *g),
            Err(std::sync::TryLockError::Poisoned(p)) => std::mem::take(&mut *p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Vec::new(),
        };
        for pgid in groups {
            kill_group(pgid);
        }
        previous(info);
    }));
}

// ---- one daemon ----

/// One `coffer server` daemon with its own address and data directory.
struct Daemon {
    name: String,
    ip: Ipv4Addr,
    data_dir: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
}

impl Daemon {
    fn url(&self) -> String {
        format!("https://{}:{API_PORT}", self.ip)
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts `coffer server --data-dir DIR --api-port P --cluster-port Q` in
    /// its own process group, stderr and stdout appended to the node's log.
    fn launch(&mut self, bin: &Path) -> Result<()> {
        ensure!(self.child.is_none(), "{} is already running", self.name);
        let mut command = Command::new(bin);
        command
            .arg("server")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--api-port")
            .arg(API_PORT.to_string())
            .arg("--cluster-port")
            .arg(CLUSTER_PORT.to_string());
        let child = spawn_in_group(&mut command, &self.log_path, &self.log_path)?;
        lock(&GROUPS).push(child.id());
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL to the daemon, then to its process group; reaps it.
    fn kill(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pid = child.id();
        let _ = child.kill();
        kill_group(pid);
        lock(&GROUPS).retain(|g| *g != pid);
        child
            .wait()
            .with_context(|| format!("reaping {}", self.name))?;
        Ok(())
    }

    fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Fails, with the end of its log, if the daemon exited on its own.
    fn check_alive(&mut self) -> Result<()> {
        if let Some(child) = self.child.as_mut()
            && let Some(status) = child.try_wait().context("checking a daemon")?
        {
            let pid = child.id();
            self.child = None;
            lock(&GROUPS).retain(|g| *g != pid);
            kill_group(pid);
            bail!("{} exited ({status}){}", self.name, self.log_tail());
        }
        Ok(())
    }

    fn log_tail(&self) -> String {
        let tail = tail(&self.log_path, 20);
        if tail.is_empty() {
            format!(" ({}: log is empty)", self.name)
        } else {
            format!(
                "\n--- last lines of {}'s log {} ---\n{tail}",
                self.name,
                self.log_path.display()
            )
        }
    }
}

// ---- sdkms-cluster status --json ----

/// The parts of `sdkms-cluster status --json` used here.
#[derive(Clone, Debug, Deserialize)]
struct Status {
    #[serde(default)]
    node: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    leader: Option<String>,
    #[serde(default)]
    nodes: Vec<NodeEntry>,
}

#[derive(Clone, Debug, Deserialize)]
struct NodeEntry {
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    applied_index: Option<u64>,
    #[serde(default)]
    lag: Option<u64>,
}

impl Status {
    fn summary(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| {
                format!(
                    "{}({} {} applied={} lag={})",
                    n.name,
                    n.role,
                    n.state,
                    n.applied_index
                        .map_or_else(|| "-".into(), |i| i.to_string()),
                    n.lag.map_or_else(|| "-".into(), |l| l.to_string()),
                )
            })
            .collect();
        format!(
            "[{} {} leader={}] {}",
            self.node,
            self.state,
            self.leader.as_deref().unwrap_or("none"),
            nodes.join(" ")
        )
    }

    /// The leader's name when exactly `expected` are listed, all members,
    /// one leader and the others followers.
    fn healthy_voters(&self, expected: &[String]) -> Result<String> {
        let mut names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        names.sort_unstable();
        let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
        want.sort_unstable();
        ensure!(names == want, "expected {want:?}: {}", self.summary());
        let leaders: Vec<&NodeEntry> = self.nodes.iter().filter(|n| n.role == "leader").collect();
        ensure!(leaders.len() == 1, "not one leader: {}", self.summary());
        for n in &self.nodes {
            ensure!(
                (n.role == "leader" || n.role == "follower") && n.state == "Member",
                "{} is not a healthy voter: {}",
                n.name,
                self.summary()
            );
        }
        let leader = leaders[0].name.clone();
        ensure!(
            self.leader.as_deref() == Some(leader.as_str()),
            "leader field disagrees with the roles: {}",
            self.summary()
        );
        Ok(leader)
    }
}

/// What one `sdkms-cluster` command printed.
struct CliOutput {
    command: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl CliOutput {
    fn ok(self) -> Result<String> {
        if self.code == Some(0) {
            Ok(self.stdout)
        } else {
            bail!("{}", self.describe())
        }
    }

    fn describe(&self) -> String {
        format!(
            "`{}` exited with {}; stdout: {}; stderr: {}",
            self.command,
            self.code
                .map_or_else(|| "a signal".to_owned(), |c| c.to_string()),
            self.stdout.trim(),
            self.stderr.trim()
        )
    }
}

// ---- a cluster ----

/// Daemons `node1`.. at `subnet.1`.., each with its data directory under one
/// temporary directory. Dropping it kills every daemon and removes the data.
struct LocalCluster {
    settings: Settings,
    nodes: Vec<Daemon>,
    ca_pem: String,
    scratch: TempDir,
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
        }
    }
}

impl LocalCluster {
    /// Starts `count` daemons, runs `create` on node1 and `join` (with a fresh
    /// token from node1) on each other node in turn, and waits until node1
    /// lists them all as healthy voters and every API answers health 204.
    async fn form(settings: &Settings, count: usize) -> Result<Self> {
        let scratch = tempfile::Builder::new()
            .prefix(&format!("coffer-bench-cluster{count}-"))
            .tempdir()
            .context("creating a temporary directory")?;
        let mut cluster = Self {
            settings: settings.clone(),
            nodes: Vec::new(),
            ca_pem: String::new(),
            scratch,
        };
        for number in 1..=count {
            let dir = cluster.scratch.path().join(format!("node{number}"));
            let data_dir = dir.join("data");
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("creating {}", data_dir.display()))?;
            let mut daemon = Daemon {
                name: format!("node{number}"),
                ip: settings.ip(number),
                data_dir,
                log_path: dir.join("daemon.log"),
                child: None,
            };
            daemon.launch(&settings.coffer_bin)?;
            cluster.nodes.push(daemon);
        }
        for i in 0..count {
            cluster.wait_admin_socket(i).await?;
        }

        let config = cluster.scratch.path().join("config.yaml");
        std::fs::write(
            &config,
            "global:\n  attestation: null\n  externalLoadBalancer: true\n  clusterIp: dummy\n",
        )
        .with_context(|| format!("writing {}", config.display()))?;
        let first = &cluster.nodes[0];
        let create = [
            "create".to_owned(),
            format!("--self={}/8", first.ip),
            "--config".to_owned(),
            config.to_string_lossy().into_owned(),
            "--node-name".to_owned(),
            first.name.clone(),
        ];
        eprintln!("cluster: node1 {}: sdkms-cluster create", first.ip);
        cluster.cli(0, &create, CLI_TIMEOUT).await?.ok()?;
        for i in 1..count {
            let stdout = cluster
                .cli(0, &["token".into(), "create".into()], CLI_TIMEOUT)
                .await?
                .ok()?;
            let token = stdout.trim().to_owned();
            ensure!(
                !token.is_empty() && !token.contains(char::is_whitespace),
                "`token create` printed {stdout:?}, not one token"
            );
            let node = &cluster.nodes[i];
            eprintln!("cluster: {} {}: sdkms-cluster join", node.name, node.ip);
            let join = [
                "join".to_owned(),
                format!("--peer={}", cluster.nodes[0].ip),
                format!("--token={token}"),
                format!("--self={}", node.ip),
                "--node-name".to_owned(),
                node.name.clone(),
            ];
            cluster.cli(i, &join, JOIN_TIMEOUT).await?.ok()?;
        }
        let names = cluster.names();
        cluster.wait_voters(0, &names).await?;

        let ca_path = cluster.nodes[0].data_dir.join("cluster-ca.pem");
        cluster.ca_pem = std::fs::read_to_string(&ca_path)
            .with_context(|| format!("reading {}", ca_path.display()))?;
        for i in 0..count {
            cluster
                .wait_api_healthy(i, settings.startup_timeout)
                .await?;
        }
        Ok(cluster)
    }

    fn names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    fn index_of(&self, name: &str) -> Result<usize> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .ok_or_else(|| anyhow!("no node called {name}"))
    }

    fn pids(&self) -> Vec<u32> {
        self.nodes.iter().filter_map(Daemon::pid).collect()
    }

    fn check_alive(&mut self) -> Result<()> {
        for node in &mut self.nodes {
            node.check_alive()?;
        }
        Ok(())
    }

    /// Runs `sdkms-cluster --data-dir DIR ARGS…` for node `i`, in its own
    /// process group, killed if it outlives `timeout`.
    async fn cli(&self, i: usize, args: &[String], timeout: Duration) -> Result<CliOutput> {
        let node = &self.nodes[i];
        let command = format!(
            "sdkms-cluster --data-dir {} {}",
            node.data_dir.display(),
            args.join(" ")
        );
        let mut cmd = tokio::process::Command::new(&self.settings.cli_bin);
        cmd.arg("--data-dir")
            .arg(&node.data_dir)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        let output = tokio::time::timeout(timeout, cmd.output())
            .await
            .map_err(|_| anyhow!("`{command}` did not return within {timeout:?}"))?
            .with_context(|| format!("running `{command}`"))?;
        Ok(CliOutput {
            command,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    async fn status(&self, i: usize) -> Result<Status> {
        let stdout = self
            .cli(i, &["status".into(), "--json".into()], CLI_TIMEOUT)
            .await?
            .ok()?;
        serde_json::from_str(&stdout).with_context(|| format!("status --json printed {stdout:?}"))
    }

    /// Waits until node `i`'s `status --json` answers (its admin socket is up).
    async fn wait_admin_socket(&mut self, i: usize) -> Result<()> {
        let deadline = Instant::now() + self.settings.startup_timeout;
        loop {
            self.nodes[i].check_alive()?;
            let last = match self.status(i).await {
                Ok(_) => return Ok(()),
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() >= deadline {
                bail!(
                    "{}'s admin socket did not answer within {:?}: {last}{}",
                    self.nodes[i].name,
                    self.settings.startup_timeout,
                    self.nodes[i].log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until node `i` lists exactly `names` as healthy voters; returns
    /// the leader's name.
    async fn wait_voters(&mut self, i: usize, names: &[String]) -> Result<String> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            self.check_alive()?;
            let last = match self.status(i).await.and_then(|s| s.healthy_voters(names)) {
                Ok(leader) => return Ok(leader),
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() >= deadline {
                bail!(
                    "{} did not list {names:?} as healthy voters within {SETTLE_TIMEOUT:?}: {last}",
                    self.nodes[i].name
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `GET /sys/v1/health` on node `i` answers 204.
    async fn wait_api_healthy(&mut self, i: usize, timeout: Duration) -> Result<()> {
        let target = Arc::new(Target::new(
            &self.nodes[i].url(),
            &self.ca_pem,
            "",
            Duration::from_secs(5),
        )?);
        let mut conn = Conn::lazy(target);
        let deadline = Instant::now() + timeout;
        loop {
            self.nodes[i].check_alive()?;
            let last = match conn.request(Method::GET, "/sys/v1/health", None).await {
                Ok(r) if r.status == StatusCode::NO_CONTENT => return Ok(()),
                Ok(r) => format!("HTTP {}: {}", r.status, r.text(200)),
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() >= deadline {
                bail!(
                    "{} not healthy within {timeout:?}: GET /sys/v1/health -> {last}{}",
                    self.nodes[i].name,
                    self.nodes[i].log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn target(&self, i: usize, auth: &str, timeout: Duration) -> Result<Arc<Target>> {
        Ok(Arc::new(Target::new(
            &self.nodes[i].url(),
            &self.ca_pem,
            auth,
            timeout,
        )?))
    }

    /// Creates the first sysadmin with the CLI, then through node1's API an
    /// account, a group and an app; returns the `Authorization` value the app
    /// uses (`Basic <api key>`, or `Bearer <token>` after an app login).
    async fn provision(&self) -> Result<String> {
        let args: Vec<String> = [
            "sysadmin",
            "create",
            "--email",
            SYSADMIN_EMAIL,
            "--password",
            SYSADMIN_PASSWORD,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        self.cli(0, &args, CLI_TIMEOUT)
            .await?
            .ok()
            .context("sdkms-cluster sysadmin create")?;

        let timeout = self.settings.request_timeout;
        let user = B64.encode(format!("{SYSADMIN_EMAIL}:{SYSADMIN_PASSWORD}"));
        let token = login(self.target(0, &format!("Basic {user}"), timeout)?)
            .await
            .context("sysadmin login")?;
        let mut admin = Conn::connect(self.target(0, &format!("Bearer {token}"), timeout)?).await?;

        let account = call(
            &mut admin,
            Method::POST,
            "/sys/v1/accounts",
            Some(json!({"name": "coffer-bench"})),
        )
        .await?;
        let acct_id = str_field(&account, "acct_id")?;
        call(
            &mut admin,
            Method::POST,
            "/sys/v1/session/select_account",
            Some(json!({"acct_id": acct_id})),
        )
        .await?;
        let group = call(
            &mut admin,
            Method::POST,
            "/sys/v1/groups",
            Some(json!({"name": "coffer-bench"})),
        )
        .await?;
        let group_id = str_field(&group, "group_id")?;
        let app = call(
            &mut admin,
            Method::POST,
            "/sys/v1/apps",
            Some(json!({
                "name": "coffer-bench",
                "default_group": group_id,
                "add_groups": {
                    group_id.as_str(): ["SIGN", "VERIFY", "ENCRYPT", "DECRYPT", "MANAGE"]
                },
            })),
        )
        .await?;
        let app_id = str_field(&app, "app_id")?;
        let credential = call(
            &mut admin,
            Method::GET,
            &format!("/sys/v1/apps/{app_id}/credential"),
            None,
        )
        .await?;
        let secret = credential
            .pointer("/credential/secret")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("the app's credential is not a secret"))?;
        let basic = format!("Basic {}", B64.encode(format!("{app_id}:{secret}")));
        if self.settings.bearer {
            let token = login(self.target(0, &basic, timeout)?)
                .await
                .context("app login")?;
            Ok(format!("Bearer {token}"))
        } else {
            Ok(basic)
        }
    }

    /// Key creation from `connections` keep-alive connections, connection k
    /// going to node k mod N.
    async fn throughput(&mut self, auth: &str, prefix: &str) -> Result<ServerResult> {
        let targets = (0..self.nodes.len())
            .map(|i| self.target(i, auth, self.settings.request_timeout))
            .collect::<Result<Vec<_>>>()?;
        let mut set = JoinSet::new();
        for k in 0..self.settings.connections {
            let target = targets[k % targets.len()].clone();
            set.spawn(async move { (k, Conn::connect(target).await) });
        }
        let mut conns = Vec::with_capacity(self.settings.connections);
        while let Some(joined) = set.join_next().await {
            let (k, conn) = joined.context("connect task")?;
            conns.push((k, conn.context("opening connections")?));
        }
        conns.sort_by_key(|(k, _)| *k);
        let mut conns: Vec<Conn> = conns.into_iter().map(|(_, c)| c).collect();
        let cfg = LoadConfig {
            warmup: self.settings.warmup,
            duration: self.settings.duration,
            server_pids: self.pids(),
        };
        let result = scenarios::run(&mut conns, Scenario::Keygen, prefix, cfg).await;
        self.check_alive()?;
        result
    }

    /// Kills the leader while a client writes through the survivors; returns
    /// how long it took until a write sent after the kill was accepted, then
    /// restarts the killed node and waits until it is a caught-up follower.
    async fn failover_round(
        &mut self,
        round: usize,
        auth: &str,
        prefix: &str,
    ) -> Result<FailoverRound> {
        let names = self.names();
        let observer = self
            .nodes
            .iter()
            .position(Daemon::is_running)
            .ok_or_else(|| anyhow!("no node is running"))?;
        let leader_name = self.wait_voters(observer, &names).await?;
        let leader = self.index_of(&leader_name)?;
        let survivors: Vec<usize> = (0..self.nodes.len()).filter(|i| *i != leader).collect();
        let targets = survivors
            .iter()
            .map(|i| Ok((*i, self.target(*i, auth, PROBE_TIMEOUT)?)))
            .collect::<Result<Vec<_>>>()?;
        let mut writer = Writer::start(
            targets,
            self.settings.failover_interval,
            format!("{prefix}-r{round}"),
        );

        // Steady state first: connections open, writes acknowledged.
        let steady_deadline = Instant::now() + FAILOVER_TIMEOUT;
        let mut acked = 0usize;
        let mut last_error = String::from("no answer yet");
        while acked < STEADY_ACKS {
            let probe = writer.next(steady_deadline).await.with_context(|| {
                format!("{acked} of {STEADY_ACKS} writes acknowledged before the kill; last failure: {last_error}")
            })?;
            match probe.outcome {
                Outcome::Accepted => acked += 1,
                Outcome::Refused(code, ref body) => last_error = format!("HTTP {code}: {body}"),
                Outcome::Failed(ref e) => last_error = e.clone(),
            }
        }

        eprintln!(
            "failover round {round}: kill -9 {leader_name} (leader); writing through {} every {:?}",
            survivors
                .iter()
                .map(|i| self.nodes[*i].name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            self.settings.failover_interval
        );
        let killed_at = Instant::now();
        self.nodes[leader].kill()?;
        let kill_returned = killed_at.elapsed();

        let deadline = killed_at + FAILOVER_TIMEOUT;
        let mut refused: BTreeMap<String, u64> = BTreeMap::new();
        let mut first_failure: Option<String> = None;
        let mut failed = 0u64;
        let first = loop {
            let probe = writer.next(deadline).await.with_context(|| {
                format!(
                    "no write accepted within {FAILOVER_TIMEOUT:?} of killing {leader_name} \
                     ({failed} failed; first failure: {})",
                    first_failure.as_deref().unwrap_or("none")
                )
            })?;
            if probe.sent < killed_at {
                continue;
            }
            let (kind, text) = match &probe.outcome {
                Outcome::Accepted => break probe,
                Outcome::Refused(code, body) => {
                    (format!("HTTP {code}"), format!("HTTP {code}: {body}"))
                }
                Outcome::Failed(e) => (String::from("transport"), e.clone()),
            };
            failed += 1;
            *refused.entry(kind).or_default() += 1;
            let via = &self.nodes[probe.node].name;
            first_failure.get_or_insert_with(|| format!("{via}: {text}"));
        };
        let outage = first.done.duration_since(killed_at);
        let accepted_by = self.nodes[first.node].name.clone();
        writer.stop().await;

        let new_leader = self
            .wait_voters_among(&survivors)
            .await
            .unwrap_or_else(|e| format!("? ({e:#})"));
        eprintln!(
            "failover round {round}: first write accepted {:.1} ms after the kill (via {accepted_by}); \
             new leader {new_leader}; restarting {leader_name}",
            outage.as_secs_f64() * 1e3
        );

        let restarted_at = Instant::now();
        self.nodes[leader].launch(&self.settings.coffer_bin)?;
        self.wait_admin_socket(leader).await?;
        self.wait_caught_up(leader, &survivors).await?;
        self.wait_api_healthy(leader, REJOIN_TIMEOUT).await?;
        let rejoin = restarted_at.elapsed();

        Ok(FailoverRound {
            round,
            killed: leader_name,
            new_leader,
            outage_ms: round_ms(outage),
            accepted_by,
            failed_attempts: failed,
            failures: refused,
            first_failure,
            kill_call_ms: round_ms(kill_returned),
            rejoin_ms: round_ms(rejoin),
        })
    }

    /// The leader the survivors agree on.
    async fn wait_voters_among(&mut self, survivors: &[usize]) -> Result<String> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let mut leaders = Vec::new();
            for i in survivors {
                if let Ok(Some(l)) = self.status(*i).await.map(|s| s.leader) {
                    leaders.push(l);
                }
            }
            if leaders.len() == survivors.len() && leaders.iter().all(|l| *l == leaders[0]) {
                return Ok(leaders[0].clone());
            }
            if Instant::now() >= deadline {
                bail!("survivors name {leaders:?} as leader");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the leader (asked through a survivor) lists node `back` as
    /// a follower in state Member that has applied as far as the leader.
    async fn wait_caught_up(&mut self, back: usize, survivors: &[usize]) -> Result<()> {
        let name = self.nodes[back].name.clone();
        let deadline = Instant::now() + REJOIN_TIMEOUT;
        loop {
            self.check_alive()?;
            let last = match self.caught_up(&name, survivors).await {
                Ok(()) => return Ok(()),
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() >= deadline {
                bail!(
                    "{name} was not a caught-up follower within {REJOIN_TIMEOUT:?}: {last}{}",
                    self.nodes[back].log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn caught_up(&self, name: &str, survivors: &[usize]) -> Result<()> {
        let view = self.status(survivors[0]).await?;
        let leader = view
            .leader
            .clone()
            .ok_or_else(|| anyhow!("no leader known: {}", view.summary()))?;
        let leader_index = self.index_of(&leader)?;
        let status = self.status(leader_index).await?;
        let me = status
            .nodes
            .iter()
            .find(|n| n.name == leader)
            .ok_or_else(|| anyhow!("{leader} does not list itself: {}", status.summary()))?;
        let back = status
            .nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| anyhow!("{name} is not listed: {}", status.summary()))?;
        ensure!(
            back.role == "follower" && back.state == "Member",
            "{name} is not a follower yet: {}",
            status.summary()
        );
        let caught_up = match (me.applied_index, back.applied_index, back.lag) {
            (Some(l), Some(b), _) => b >= l,
            (_, _, Some(lag)) => lag == 0,
            _ => false,
        };
        ensure!(caught_up, "{name} is behind: {}", status.summary());
        Ok(())
    }
}

fn round_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

/// Sends a request and returns its JSON body (or `null` for an empty body),
/// failing unless the status is 2xx.
async fn call(conn: &mut Conn, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
    let label = format!("{method} {path}");
    let reply = conn
        .request(method, path, body.map(|b| Bytes::from(b.to_string())))
        .await
        .with_context(|| label.clone())?
        .success()
        .with_context(|| label.clone())?;
    if reply.body.is_empty() {
        Ok(Value::Null)
    } else {
        reply.json().with_context(|| label)
    }
}

fn str_field(v: &Value, field: &str) -> Result<String> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("response has no {field:?}: {v}"))
}

/// `POST /sys/v1/session/auth` with the target's credentials; the access token.
async fn login(target: Arc<Target>) -> Result<String> {
    let mut conn = Conn::connect(target).await?;
    let v = call(&mut conn, Method::POST, "/sys/v1/session/auth", None).await?;
    str_field(&v, "access_token")
}

// ---- the writer of a failover round ----

/// How one write ended.
#[derive(Debug)]
enum Outcome {
    /// 2xx.
    Accepted,
    /// Another status, with the start of the body.
    Refused(u16, String),
    /// No answer: connection refused or reset, timeout.
    Failed(String),
}

/// One write of a failover round.
struct Probe {
    node: usize,
    sent: Instant,
    done: Instant,
    outcome: Outcome,
}

/// Sends a key creation every `interval` (open loop), alternating over the
/// target nodes, at most [`PROBE_IN_FLIGHT`] at a time, each on a keep-alive
/// connection from a per-node pool.
struct Writer {
    stop: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
    probes: mpsc::UnboundedReceiver<Probe>,
}

impl Writer {
    fn start(targets: Vec<(usize, Arc<Target>)>, interval: Duration, prefix: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, probes) = mpsc::unbounded_channel();
        let task = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let pools: Vec<Arc<Mutex<Vec<Conn>>>> =
                    targets.iter().map(|_| Arc::default()).collect();
                let mut ticker = tokio::time::interval(interval);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                let mut in_flight = JoinSet::new();
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    ticker.tick().await;
                    while in_flight.try_join_next().is_some() {}
                    if in_flight.len() >= PROBE_IN_FLIGHT {
                        continue;
                    }
                    let k = (seq % targets.len() as u64) as usize;
                    seq += 1;
                    let (node, target) = targets[k].clone();
                    let pool = pools[k].clone();
                    let tx = tx.clone();
                    let body = Bytes::from(
                        json!({"name": format!("{prefix}-{seq}"), "obj_type": "AES", "key_size": 256})
                            .to_string(),
                    );
                    in_flight.spawn(async move {
                        let popped = lock(&pool).pop();
                        let mut conn = popped.unwrap_or_else(|| Conn::lazy(target));
                        let sent = Instant::now();
                        let result = conn.request(Method::POST, KEYS_PATH, Some(body)).await;
                        let done = Instant::now();
                        lock(&pool).push(conn);
                        let outcome = match result {
                            Ok(r) if r.status.is_success() => Outcome::Accepted,
                            Ok(r) => Outcome::Refused(r.status.as_u16(), r.text(200)),
                            Err(e) => Outcome::Failed(format!("{e:#}")),
                        };
                        let _ = tx.send(Probe {
                            node,
                            sent,
                            done,
                            outcome,
                        });
                    });
                }
                in_flight.shutdown().await;
            })
        };
        Self {
            stop,
            task: Some(task),
            probes,
        }
    }

    /// The next finished write, or an error at `deadline`.
    async fn next(&mut self, deadline: Instant) -> Result<Probe> {
        match tokio::time::timeout_at(deadline.into(), self.probes.recv()).await {
            Ok(Some(p)) => Ok(p),
            Ok(None) => bail!("the writer stopped"),
            Err(_) => bail!("timed out"),
        }
    }

    async fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

// ---- the whole run ----

fn run_prefix() -> String {
    let mut id = [0u8; 4];
    let _ = aws_lc_rs::rand::fill(&mut id);
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!("coffer-bench-{hex}")
}

/// Forms a cluster of `count` nodes, provisions the app and measures key
/// creation through all nodes. Returns the cluster for further rounds.
async fn throughput_run(
    settings: &Settings,
    count: usize,
    prefix: &str,
) -> (ThroughputRun, Option<(LocalCluster, String)>) {
    let mut run = ThroughputRun {
        nodes: count,
        addresses: (1..=count).map(|n| settings.ip(n).to_string()).collect(),
        leader: None,
        result: None,
        failure: None,
        vs_single_node_pct: None,
    };
    let outcome: Result<(LocalCluster, String)> = async {
        eprintln!(
            "cluster: forming a {count}-node cluster on {}..{}",
            settings.ip(1),
            settings.ip(count)
        );
        let mut cluster = LocalCluster::form(settings, count).await?;
        run.leader = Some(cluster.wait_voters(0, &cluster.names()).await?);
        eprintln!("cluster: provisioning a sysadmin, an account, a group and an app through node1");
        let auth = cluster.provision().await?;
        eprintln!(
            "cluster ({count} node{}): keygen {:?} warm-up + {:?} measured, {} connections round-robin over the nodes ...",
            if count == 1 { "" } else { "s" },
            settings.warmup,
            settings.duration,
            settings.connections
        );
        run.result = Some(cluster.throughput(&auth, &format!("{prefix}-n{count}")).await?);
        Ok((cluster, auth))
    }
    .await;
    match outcome {
        Ok(kept) => (run, Some(kept)),
        Err(e) => {
            run.failure = Some(format!("{e:#}"));
            (run, None)
        }
    }
}

/// Runs every measurement and fills `report` as results come in (so that an
/// interrupted run still reports what it measured).
pub(crate) async fn run(settings: &Settings, report: &mut ClusterReport) -> Result<()> {
    let prefix = run_prefix();
    if settings.nodes > 1 {
        let (single, cluster) = throughput_run(settings, 1, &prefix).await;
        // Only one cluster at a time: the next one uses the same addresses.
        drop(cluster);
        report.throughput.push(single);
    }
    let (run, kept) = throughput_run(settings, settings.nodes, &prefix).await;
    report.throughput.push(run);
    report.finish_throughput();
    let Some((mut cluster, auth)) = kept else {
        bail!("the {}-node cluster could not be measured", settings.nodes);
    };

    if settings.failover_rounds == 0 {
        return Ok(());
    }
    if settings.nodes < 3 {
        report.notes.push(format!(
            "no failover rounds: a {}-node cluster has no quorum without its leader",
            settings.nodes
        ));
        return Ok(());
    }
    report.failover = Some(FailoverReport {
        interval_ms: settings.failover_interval.as_secs_f64() * 1e3,
        rounds: Vec::new(),
        median_outage_ms: None,
        failure: None,
    });
    for round in 1..=settings.failover_rounds {
        let outcome = cluster
            .failover_round(round, &auth, &format!("{prefix}-failover"))
            .await;
        let Some(failover) = report.failover.as_mut() else {
            break;
        };
        match outcome {
            Ok(r) => {
                failover.rounds.push(r);
                failover.finish();
            }
            Err(e) => {
                failover.failure = Some(format!("round {round}: {e:#}"));
                break;
            }
        }
    }
    drop(cluster);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets() {
        assert_eq!(parse_subnet("127.77.0"), Ok([127, 77, 0]));
        assert!(parse_subnet("10.0.0").is_err());
        assert!(parse_subnet("127.77").is_err());
        assert!(parse_subnet("127.77.0.1").is_err());
        assert!(parse_subnet("127.300.0").is_err());
    }

    #[test]
    fn voters_from_status_json() -> Result<()> {
        let json = r#"{"node":"node2","state":"Member","leader":"node1","nodes":[
            {"name":"node1","id":7,"address":"127.77.0.1:8444","role":"leader","state":"Member","applied_index":12},
            {"name":"node2","id":9,"address":"127.77.0.2:8444","role":"follower","state":"Member","applied_index":12,"lag":0},
            {"name":"node3","id":4,"address":"127.77.0.3:8444","role":"follower","state":"Member"}],
            "warnings":[]}"#;
        let status: Status = serde_json::from_str(json)?;
        let names: Vec<String> = ["node1", "node2", "node3"].map(String::from).to_vec();
        assert_eq!(status.healthy_voters(&names)?, "node1");
        assert!(status.healthy_voters(&names[..2]).is_err());

        let learner = json.replace(
            r#""role":"follower","state":"Member"}"#,
            r#""role":"learner","state":"Member"}"#,
        );
        let status: Status = serde_json::from_str(&learner)?;
        assert!(status.healthy_voters(&names).is_err());
        Ok(())
    }
}
