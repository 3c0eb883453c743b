//! `coffer-bench`: throughput and latency of a Coffer server for a few crypto
//! operations, next to what aws-lc-rs does on the same machine without a server.

mod client;
#[cfg(unix)]
mod cluster;
mod cpu;
mod raw;
mod report;
mod scenarios;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use http::{Method, StatusCode};
use tokio::task::JoinSet;

use client::{Conn, Target};
use report::{Report, ScenarioReport, ServerInfo};
use scenarios::{LoadConfig, Scenario};
use server::{Credentials, ServerProcess};

/// Benchmark a Coffer server (DSM-compatible REST API over HTTPS) against raw aws-lc-rs.
#[derive(Parser, Debug)]
#[command(name = "coffer-bench", version)]
struct Args {
    /// Scenarios to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    scenario: Vec<ScenarioArg>,

    /// Concurrent keep-alive HTTPS connections, one request in flight on each.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    connections: u32,

    /// Measured time per scenario (e.g. 10s, 500ms, 1m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,

    /// Load applied before each measured window.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,

    /// Time each raw aws-lc-rs thread runs per scenario.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    raw_duration: Duration,

    /// Only measure raw aws-lc-rs; no server.
    #[arg(long, conflicts_with_all = ["no_raw", "credentials", "server_bin"])]
    raw_only: bool,

    /// Skip the raw aws-lc-rs measurement.
    #[arg(long)]
    no_raw: bool,

    /// The `coffer` binary to start [default: `coffer` next to this executable].
    #[arg(long, conflicts_with = "credentials")]
    server_bin: Option<PathBuf>,

    /// Use an already running server described by this dev-credentials.json.
    #[arg(long)]
    credentials: Option<PathBuf>,

    /// How requests authenticate: the API key on every request, or a session token.
    #[arg(long, value_enum, default_value = "basic")]
    auth: AuthMode,

    /// How long a started server may take to become healthy.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    startup_timeout: Duration,

    /// Per-request timeout.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    request_timeout: Duration,

    /// Print the figures as one JSON object instead of a table.
    #[arg(long)]
    json: bool,

    /// Start N daemons on loopback addresses, form a cluster with sdkms-cluster and
    /// measure key creation through every node (next to a one-node cluster) and the
    /// write outage when the leader is killed. Ignores --scenario and the raw options.
    #[arg(
        long,
        value_name = "N",
        conflicts_with_all = ["credentials", "raw_only"],
        value_parser = clap::value_parser!(u8).range(1..=9)
    )]
    cluster: Option<u8>,

    /// With --cluster: node K listens on SUBNET.K (API port 8443, cluster port 8444).
    #[arg(
        long,
        value_name = "SUBNET",
        default_value = "127.77.0",
        requires = "cluster"
    )]
    cluster_subnet: String,

    /// With --cluster: how many times the leader is killed (needs 3 nodes or more).
    #[arg(long, default_value_t = 3, requires = "cluster")]
    failover_rounds: u32,

    /// With --cluster: interval between two writes sent to the survivors while the
    /// leader is down.
    #[arg(long, default_value = "5ms", value_parser = parse_duration, requires = "cluster")]
    failover_interval: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ScenarioArg {
    All,
    Encrypt,
    RsaSign,
    EcSign,
    Keygen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AuthMode {
    /// `Authorization: Basic <api_key>` on every request.
    Basic,
    /// Log in once (POST /sys/v1/session/auth), then `Authorization: Bearer <token>`.
    Bearer,
}

impl AuthMode {
    fn name(self) -> &'static str {
        match self {
            AuthMode::Basic => "basic",
            AuthMode::Bearer => "bearer",
        }
    }
}

/// Parses `10s`, `500ms`, `1.5s`, `2m` or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1e3,
        "m" | "min" => value * 60.0,
        other => return Err(format!("unknown duration unit {other:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

fn selected(args: &[ScenarioArg]) -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for a in args {
        let add: &[Scenario] = match a {
            ScenarioArg::All => &Scenario::ALL,
            ScenarioArg::Encrypt => &[Scenario::Encrypt],
            ScenarioArg::RsaSign => &[Scenario::RsaSign],
            ScenarioArg::EcSign => &[Scenario::EcSign],
            ScenarioArg::Keygen => &[Scenario::Keygen],
        };
        for s in add {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    out.sort_by_key(|s| Scenario::ALL.iter().position(|x| x == s));
    out
}

fn command_line() -> String {
    std::env::args()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
            if plain {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the server comes from.
enum Source {
    Spawn(PathBuf),
    Running(Credentials),
}

fn resolve_source(args: &Args) -> Result<Source> {
    if let Some(path) = &args.credentials {
        return Ok(Source::Running(Credentials::load(path)?));
    }
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => server::default_binary()?,
    };
    if !bin.is_file() {
        bail!(
            "server binary {} not found: build it (cargo build --release --workspace --bins), \
             or pass --server-bin PATH or --credentials FILE",
            bin.display()
        );
    }
    Ok(Source::Spawn(bin))
}

/// Polls `GET /sys/v1/health` until it answers 204.
async fn wait_healthy(
    target: Arc<Target>,
    timeout: Duration,
    mut process: Option<&mut ServerProcess>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut conn: Option<Conn> = None;
    let mut last = String::from("no attempt");
    while Instant::now() < deadline {
        if let Some(p) = process.as_deref_mut() {
            p.check_alive()?;
        }
        if conn.is_none() {
            match Conn::connect(target.clone()).await {
                Ok(c) => conn = Some(c),
                Err(e) => last = format!("{e:#}"),
            }
        }
        if let Some(c) = conn.as_mut() {
            match c.request(Method::GET, "/sys/v1/health", None).await {
                Ok(r) if r.status == StatusCode::NO_CONTENT => return Ok(()),
                Ok(r) => last = format!("HTTP {}: {}", r.status, r.text(200)),
                Err(e) => last = format!("{e:#}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tail = process.map(|p| p.log_tail()).unwrap_or_default();
    bail!("server not healthy within {timeout:?}: GET /sys/v1/health -> {last}{tail}")
}

/// Exchanges the API key for a session token.
async fn login(target: Arc<Target>) -> Result<String> {
    let mut conn = Conn::connect(target).await?;
    let reply = conn
        .request(Method::POST, "/sys/v1/session/auth", None)
        .await?
        .success()
        .context("POST /sys/v1/session/auth")?;
    let v = reply.json()?;
    v.get("access_token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("auth response has no access_token: {v}"))
}

async fn open_connections(target: &Arc<Target>, n: usize) -> Result<Vec<Conn>> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        set.spawn(Conn::connect(target.clone()));
    }
    let mut conns = Vec::with_capacity(n);
    while let Some(c) = set.join_next().await {
        conns.push(c.context("connect task")?.context("opening connections")?);
    }
    Ok(conns)
}

fn run_prefix() -> String {
    let mut id = [0u8; 4];
    let _ = aws_lc_rs::rand::fill(&mut id);
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!("coffer-bench-{hex}")
}

/// Starts or joins the server, then runs every scenario against it.
async fn server_phase(
    args: &Args,
    source: Source,
    reports: &mut [ScenarioReport],
    notes: &mut Vec<String>,
    info: &mut Option<ServerInfo>,
) -> Result<()> {
    let (creds, mut process) = match source {
        Source::Running(c) => (c, None),
        Source::Spawn(bin) => {
            eprintln!("starting {} server --dev ...", bin.display());
            let p = ServerProcess::spawn(&bin, args.startup_timeout).await?;
            (p.credentials.clone(), Some(p))
        }
    };
    let spawned = process.is_some();
    let connections = args.connections as usize;
    *info = Some(ServerInfo {
        url: creds.url.clone(),
        spawned,
        auth: args.auth.name(),
        connections,
        warmup_secs: args.warmup.as_secs_f64(),
        duration_secs: args.duration.as_secs_f64(),
    });

    let basic = format!("Basic {}", creds.api_key);
    let mut target = Target::new(&creds.url, &creds.ca_cert_pem, &basic, args.request_timeout)?;
    let probe = Arc::new(target.clone());
    wait_healthy(probe.clone(), args.startup_timeout, process.as_mut()).await?;
    if args.auth == AuthMode::Bearer {
        let token = login(probe).await?;
        target.set_auth(&format!("Bearer {token}"))?;
    }
    let target = Arc::new(target);
    eprintln!(
        "server {} healthy; opening {connections} connections",
        creds.url
    );
    let mut conns = open_connections(&target, connections).await?;

    let server_pid = match &process {
        Some(p) => Some(p.pid()),
        None if creds.is_local() => creds.pid,
        None => None,
    };
    let cfg = LoadConfig {
        warmup: args.warmup,
        duration: args.duration,
        server_pids: server_pid.into_iter().collect(),
    };
    let prefix = run_prefix();
    let mut keygen_ran = false;
    for i in 0..reports.len() {
        let Some(scenario) = Scenario::ALL
            .into_iter()
            .find(|s| s.name() == reports[i].name)
        else {
            continue;
        };
        eprintln!(
            "server {}: {:?} warm-up + {:?} measured, {connections} connections ...",
            scenario.name(),
            args.warmup,
            args.duration
        );
        match scenarios::run(&mut conns, scenario, &prefix, cfg.clone()).await {
            Ok(r) => {
                keygen_ran |= scenario == Scenario::Keygen;
                reports[i].server = Some(r);
            }
            Err(e) => reports[i].server_failure = Some(format!("{e:#}")),
        }
        if let Some(p) = process.as_mut()
            && let Err(e) = p.check_alive()
        {
            let msg = format!("{e:#}");
            for r in reports[i + 1..].iter_mut() {
                r.server_failure = Some(String::from("server no longer running"));
            }
            bail!(msg);
        }
    }
    if !spawned && keygen_ran {
        notes.push(format!(
            "keygen left its keys (named {prefix}-keygen-*) on the server"
        ));
    }
    if spawned || creds.is_local() {
        notes.push(format!(
            "server and load generator share this machine's {} cores",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        ));
    }
    drop(conns);
    // Dropping the process handle kills the server and removes its data.
    drop(process);
    Ok(())
}

/// Resolves on SIGINT (or SIGTERM / SIGHUP on Unix) so the server is stopped.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        async fn on(kind: SignalKind) {
            match signal(kind) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        }
        tokio::select! {
            Ok(()) = tokio::signal::ctrl_c() => "SIGINT",
            () = on(SignalKind::terminate()) => "SIGTERM",
            () = on(SignalKind::hangup()) => "SIGHUP",
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        "Ctrl-C"
    }
}

/// `--cluster N`: forms clusters of daemons on this machine and measures them.
#[cfg(unix)]
fn run_cluster(args: &Args, nodes: u8) -> Result<bool> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let coffer_bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => server::default_binary()?,
    };
    let cli_bin =
        coffer_bin.with_file_name(format!("sdkms-cluster{}", std::env::consts::EXE_SUFFIX));
    for bin in [&coffer_bin, &cli_bin] {
        if !bin.is_file() {
            bail!(
                "{} not found: build it (cargo build --release --workspace --bins), \
                 or pass --server-bin PATH to a coffer binary with sdkms-cluster next to it",
                bin.display()
            );
        }
    }
    let subnet = cluster::parse_subnet(&args.cluster_subnet).map_err(|e| anyhow!(e))?;
    if args.failover_interval.is_zero() {
        bail!("--failover-interval must be more than 0");
    }
    let settings = cluster::Settings {
        nodes: usize::from(nodes),
        subnet,
        coffer_bin,
        cli_bin,
        connections: args.connections as usize,
        warmup: args.warmup,
        duration: args.duration,
        bearer: args.auth == AuthMode::Bearer,
        startup_timeout: args.startup_timeout,
        request_timeout: args.request_timeout,
        failover_rounds: args.failover_rounds as usize,
        failover_interval: args.failover_interval,
    };
    let mut report = report::ClusterReport {
        command: command_line(),
        cores,
        load_average_start: cpu::load_average(),
        load_average_end: None,
        nodes: settings.nodes,
        api_port: cluster::API_PORT,
        cluster_port: cluster::CLUSTER_PORT,
        auth: args.auth.name(),
        connections: settings.connections,
        warmup_secs: args.warmup.as_secs_f64(),
        duration_secs: args.duration.as_secs_f64(),
        throughput: Vec::new(),
        failover: None,
        failure: None,
        notes: Vec::new(),
    };
    cluster::install_panic_hook();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let outcome = rt.block_on(async {
        tokio::select! {
            r = cluster::run(&settings, &mut report) => r,
            sig = shutdown_signal() => Err(anyhow!("interrupted by {sig}")),
        }
    });
    // Every daemon has been killed by now: the clusters are dropped with the future.
    drop(rt);
    if let Err(e) = outcome {
        eprintln!("error: {e:#}");
        report.failure = Some(format!("{e:#}"));
    }
    report.finish_throughput();
    report.load_average_end = cpu::load_average();
    report.notes.push(format!(
        "every daemon and this load generator share this machine's {cores} cores"
    ));
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    Ok(report.ok())
}

#[cfg(not(unix))]
fn run_cluster(_args: &Args, _nodes: u8) -> Result<bool> {
    bail!("--cluster needs Unix (admin sockets and process groups)")
}

fn run(args: Args) -> Result<bool> {
    if let Some(nodes) = args.cluster {
        return run_cluster(&args, nodes);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let scenarios = selected(&args.scenario);
    let mut reports: Vec<ScenarioReport> =
        scenarios.iter().map(|s| ScenarioReport::new(*s)).collect();
    let mut notes = Vec::new();
    if args.no_raw && args.raw_only {
        bail!("--raw-only and --no-raw exclude each other");
    }
    let source = if args.raw_only {
        None
    } else {
        Some(resolve_source(&args)?)
    };

    // Raw first, on an otherwise idle machine (the server is not started yet).
    if !args.no_raw {
        for (s, rep) in scenarios.iter().zip(reports.iter_mut()) {
            eprintln!(
                "raw {}: {cores} threads x {:?} ...",
                s.name(),
                args.raw_duration
            );
            rep.raw = Some(raw::measure(*s, cores, args.raw_duration)?);
        }
    }

    let mut info = None;
    let mut ok = true;
    if let Some(source) = source {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores)
            .enable_all()
            .build()
            .context("tokio runtime")?;
        let outcome = rt.block_on(async {
            tokio::select! {
                r = server_phase(&args, source, &mut reports, &mut notes, &mut info) => r,
                sig = shutdown_signal() => Err(anyhow!("interrupted by {sig}")),
            }
        });
        if let Err(e) = outcome {
            eprintln!("error: {e:#}");
            for r in reports.iter_mut() {
                if r.server.is_none() && r.server_failure.is_none() {
                    r.server_failure = Some(format!("{e:#}"));
                }
            }
            ok = false;
        }
    }

    for r in reports.iter_mut() {
        r.finish();
        ok &= r.server_failure.is_none() && r.server.as_ref().is_none_or(|s| s.errors == 0);
    }
    let report = Report {
        command: command_line(),
        cores,
        raw_secs: (!args.no_raw).then_some(args.raw_duration.as_secs_f64()),
        server: info,
        scenarios: reports,
        notes,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    Ok(ok)
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn scenario_selection() {
        assert_eq!(selected(&[ScenarioArg::All]), Scenario::ALL.to_vec());
        assert_eq!(
            selected(&[
                ScenarioArg::Keygen,
                ScenarioArg::Encrypt,
                ScenarioArg::Keygen
            ]),
            vec![Scenario::Encrypt, Scenario::Keygen]
        );
    }

    #[test]
    fn quick_raw_run() {
        for s in Scenario::ALL {
            let r = raw::measure(s, 2, Duration::from_millis(20));
            assert!(r.is_ok_and(|r| r.ops > 0 && r.ops_per_sec > 0.0), "{s:?}");
        }
    }
}
