//! The results: a plain-text table or one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::raw::RawResult;
use crate::scenarios::{Scenario, ServerResult};

/// How the server was reached.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ServerInfo {
    /// Base URL.
    pub(crate) url: String,
    /// True when this run started (and stopped) the server itself.
    pub(crate) spawned: bool,
    /// `basic` (API key on every request) or `bearer` (session token).
    pub(crate) auth: &'static str,
    /// Concurrent keep-alive connections.
    pub(crate) connections: usize,
    /// Warm-up before each measured window, seconds.
    pub(crate) warmup_secs: f64,
    /// Measured window per scenario, seconds.
    pub(crate) duration_secs: f64,
}

/// Figures of one scenario.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ScenarioReport {
    /// Short name.
    pub(crate) name: &'static str,
    /// What one operation is.
    pub(crate) description: &'static str,
    /// Server figures, when the scenario ran against a server.
    pub(crate) server: Option<ServerResult>,
    /// Why the server part of the scenario did not run or complete.
    pub(crate) server_failure: Option<String>,
    /// Raw aws-lc-rs figures, when measured.
    pub(crate) raw: Option<RawResult>,
    /// Server ops/s as a percentage of raw ops/s.
    pub(crate) server_vs_raw_pct: Option<f64>,
}

impl ScenarioReport {
    /// An empty entry for `scenario`.
    pub(crate) fn new(scenario: Scenario) -> Self {
        Self {
            name: scenario.name(),
            description: scenario.description(),
            server: None,
            server_failure: None,
            raw: None,
            server_vs_raw_pct: None,
        }
    }

    /// Fills in the percentage once both sides are known.
    pub(crate) fn finish(&mut self) {
        self.server_vs_raw_pct = match (&self.server, &self.raw) {
            (Some(s), Some(r)) if r.ops_per_sec > 0.0 => {
                Some(100.0 * s.ops_per_sec / r.ops_per_sec)
            }
            _ => None,
        };
    }
}

/// Everything one run measured.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Report {
    /// The exact command line.
    pub(crate) command: String,
    /// `std::thread::available_parallelism()`.
    pub(crate) cores: usize,
    /// Raw measurement time per scenario, seconds (per thread).
    pub(crate) raw_secs: Option<f64>,
    /// Server and load settings, when a server was benchmarked.
    pub(crate) server: Option<ServerInfo>,
    /// One entry per selected scenario.
    pub(crate) scenarios: Vec<ScenarioReport>,
    /// Remarks on the run.
    pub(crate) notes: Vec<String>,
}

fn ops(v: f64) -> String {
    if v >= 100.0 {
        let digits = format!("{:.0}", v);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{v:.1}")
    }
}

fn latency(us: u64) -> String {
    if us < 1_000 {
        format!("{us} us")
    } else if us < 1_000_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

fn cores(v: Option<f64>) -> String {
    v.map_or_else(|| String::from("?"), |c| format!("{c:.2}"))
}

const DASH: &str = "-";

impl Report {
    /// Renders the human-readable table and its footnotes.
    pub(crate) fn table(&self) -> String {
        let header = [
            "scenario",
            "server ops/s",
            "p50",
            "p99",
            "raw aws-lc-rs ops/s",
            "server/raw %",
            "max",
            "errors",
            "cpu srv/cli",
        ];
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
        for s in &self.scenarios {
            let mut row = vec![s.name.to_owned()];
            match &s.server {
                Some(r) => row.extend([ops(r.ops_per_sec), latency(r.p50_us), latency(r.p99_us)]),
                None if s.server_failure.is_some() => {
                    row.extend(["FAILED".to_owned(), DASH.to_owned(), DASH.to_owned()]);
                }
                None => row.extend([DASH.to_owned(), DASH.to_owned(), DASH.to_owned()]),
            }
            row.push(
                s.raw
                    .as_ref()
                    .map_or_else(|| DASH.to_owned(), |r| ops(r.ops_per_sec)),
            );
            row.push(
                s.server_vs_raw_pct
                    .map_or_else(|| DASH.to_owned(), |p| format!("{p:.1}%")),
            );
            match &s.server {
                Some(r) => row.extend([
                    latency(r.max_us),
                    r.errors.to_string(),
                    format!("{}/{}", cores(r.server_cores), cores(r.client_cores)),
                ]),
                None => row.extend([DASH.to_owned(), DASH.to_owned(), DASH.to_owned()]),
            }
            rows.push(row);
        }

        let widths: Vec<usize> = (0..header.len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        let _ = writeln!(out, "command: {}", self.command);
        let _ = writeln!(out, "cores:   {} (available parallelism)", self.cores);
        if let Some(srv) = &self.server {
            let _ = writeln!(
                out,
                "server:  {} ({}), auth {}, {} connections, {}s warm-up + {}s measured per scenario",
                srv.url,
                if srv.spawned {
                    "started by this run"
                } else {
                    "already running"
                },
                srv.auth,
                srv.connections,
                srv.warmup_secs,
                srv.duration_secs,
            );
        }
        if let Some(secs) = self.raw_secs {
            let _ = writeln!(
                out,
                "raw:     aws-lc-rs, {} threads x {secs}s per scenario, measured before the server",
                self.cores
            );
        }
        out.push('\n');
        for (i, row) in rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    if c == 0 {
                        format!("{v:<w$}", w = widths[c])
                    } else {
                        format!("{v:>w$}", w = widths[c])
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join(" | "));
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                let _ = writeln!(out, "{}", rule.join("-|-"));
            }
        }
        out.push('\n');
        for s in &self.scenarios {
            let _ = writeln!(out, "{:<9} {}", s.name, s.description);
            if let Some(r) = &s.raw {
                let _ = writeln!(
                    out,
                    "{:<9}   raw: {} ({:.0} ns/op on one core)",
                    "", r.note, r.ns_per_op
                );
            }
            if let Some(r) = &s.server {
                let _ = writeln!(
                    out,
                    "{:<9}   server: {} ok in {}s, mean {}",
                    "",
                    r.ops,
                    r.seconds,
                    latency(r.mean_us.round() as u64)
                );
                if let Some(e) = &r.first_error {
                    let _ = writeln!(out, "{:<9}   first error: {e}", "");
                }
            }
            if let Some(f) = &s.server_failure {
                let _ = writeln!(out, "{:<9}   server FAILED: {f}", "");
            }
        }
        if self.server.is_some() {
            let _ = writeln!(
                out,
                "\ncpu srv/cli: average cores used by the server / by this load generator \
                 during the measured window (? = not observable)."
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        out
    }

    /// Renders one JSON object.
    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// Lays out rows as a table: the first column left-aligned, the others
/// right-aligned, a rule under the header row.
fn grid(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|v| v.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c == 0 {
                    format!("{v:<w$}", w = widths[c])
                } else {
                    format!("{v:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("-|-"));
        }
    }
    out
}

fn millis(ms: f64) -> String {
    latency((ms * 1e3).round() as u64)
}

fn load(l: Option<[f64; 3]>) -> String {
    l.map_or_else(
        || String::from("?"),
        |[a, b, c]| format!("{a:.2} {b:.2} {c:.2}"),
    )
}

/// Key creation through every node of one cluster.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ThroughputRun {
    /// Nodes in the cluster.
    pub(crate) nodes: usize,
    /// Their addresses; connection k goes to `addresses[k mod nodes]`.
    pub(crate) addresses: Vec<String>,
    /// The leader when the load started.
    pub(crate) leader: Option<String>,
    /// Figures of the measured window.
    pub(crate) result: Option<ServerResult>,
    /// Why the run did not complete.
    pub(crate) failure: Option<String>,
    /// ops/s as a percentage of the one-node cluster's.
    pub(crate) vs_single_node_pct: Option<f64>,
}

/// One kill of the leader.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FailoverRound {
    /// 1-based.
    pub(crate) round: usize,
    /// The leader that was killed.
    pub(crate) killed: String,
    /// The leader the survivors agreed on afterwards.
    pub(crate) new_leader: String,
    /// From just before SIGKILL to the response of the first write, sent after
    /// the kill, that was accepted (2xx), milliseconds.
    pub(crate) outage_ms: f64,
    /// The survivor that answered that write.
    pub(crate) accepted_by: String,
    /// Writes sent after the kill that failed before that one was accepted.
    pub(crate) failed_attempts: u64,
    /// Those failures by kind (`HTTP 503`, `transport`, ...).
    pub(crate) failures: BTreeMap<String, u64>,
    /// The first of them, with the node that answered.
    pub(crate) first_failure: Option<String>,
    /// How long the kill itself took (signal and reaping), milliseconds.
    pub(crate) kill_call_ms: f64,
    /// From the restart of the killed node until it was a caught-up follower
    /// answering health 204, milliseconds.
    pub(crate) rejoin_ms: f64,
}

/// The leader kills.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FailoverReport {
    /// Interval between two writes sent to the survivors, milliseconds.
    pub(crate) interval_ms: f64,
    /// Every completed round.
    pub(crate) rounds: Vec<FailoverRound>,
    /// Median of `outage_ms` over the rounds.
    pub(crate) median_outage_ms: Option<f64>,
    /// Why the rounds stopped early.
    pub(crate) failure: Option<String>,
}

impl FailoverReport {
    /// Recomputes the median.
    pub(crate) fn finish(&mut self) {
        let mut v: Vec<f64> = self.rounds.iter().map(|r| r.outage_ms).collect();
        v.sort_by(f64::total_cmp);
        self.median_outage_ms = match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
        };
    }
}

/// Everything a `--cluster` run measured.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ClusterReport {
    /// The exact command line.
    pub(crate) command: String,
    /// `std::thread::available_parallelism()`.
    pub(crate) cores: usize,
    /// `/proc/loadavg` (1, 5, 15 min) before the first daemon started.
    pub(crate) load_average_start: Option<[f64; 3]>,
    /// `/proc/loadavg` after the last measurement.
    pub(crate) load_average_end: Option<[f64; 3]>,
    /// Nodes of the measured cluster.
    pub(crate) nodes: usize,
    /// API port of every node.
    pub(crate) api_port: u16,
    /// Cluster port of every node.
    pub(crate) cluster_port: u16,
    /// `basic` or `bearer`.
    pub(crate) auth: &'static str,
    /// Keep-alive connections of the throughput runs.
    pub(crate) connections: usize,
    /// Warm-up of each throughput run, seconds.
    pub(crate) warmup_secs: f64,
    /// Measured window of each throughput run, seconds.
    pub(crate) duration_secs: f64,
    /// The one-node comparison (when `nodes` > 1), then the measured cluster.
    pub(crate) throughput: Vec<ThroughputRun>,
    /// The leader kills, when the cluster has three nodes or more.
    pub(crate) failover: Option<FailoverReport>,
    /// Why the run stopped early.
    pub(crate) failure: Option<String>,
    /// Remarks on the run.
    pub(crate) notes: Vec<String>,
}

impl ClusterReport {
    /// Fills in the comparison with the one-node cluster.
    pub(crate) fn finish_throughput(&mut self) {
        let single = self
            .throughput
            .iter()
            .find(|t| t.nodes == 1)
            .and_then(|t| t.result.as_ref())
            .map(|r| r.ops_per_sec);
        for t in &mut self.throughput {
            t.vs_single_node_pct = match (single, &t.result) {
                (Some(s), Some(r)) if s > 0.0 && t.nodes > 1 => {
                    Some((1000.0 * r.ops_per_sec / s).round() / 10.0)
                }
                _ => None,
            };
        }
    }

    /// True when every part completed without a failed request in a
    /// measured window.
    pub(crate) fn ok(&self) -> bool {
        self.failure.is_none()
            && !self.throughput.is_empty()
            && self
                .throughput
                .iter()
                .all(|t| t.failure.is_none() && t.result.as_ref().is_some_and(|r| r.errors == 0))
            && self.failover.as_ref().is_none_or(|f| f.failure.is_none())
    }

    /// Renders the tables and their footnotes.
    pub(crate) fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "command: {}", self.command);
        let _ = writeln!(
            out,
            "cores:   {} (available parallelism); load average (1/5/15 min) {} at start, {} at end",
            self.cores,
            load(self.load_average_start),
            load(self.load_average_end)
        );
        let _ = writeln!(
            out,
            "cluster: daemons started by this run, API port {}, cluster port {}, formed with sdkms-cluster create/join",
            self.api_port, self.cluster_port
        );
        let _ = writeln!(
            out,
            "load:    {} keep-alive connections spread round-robin over the nodes, auth {}, {}s warm-up + {}s measured",
            self.connections, self.auth, self.warmup_secs, self.duration_secs
        );

        out.push_str(
            "\nkey creation: POST /crypto/v1/keys, AES-256, a unique name per request\n\n",
        );
        let mut rows = vec![
            [
                "nodes",
                "leader",
                "ops/s",
                "p50",
                "p99",
                "max",
                "errors",
                "vs 1 node",
                "cpu srv/cli",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        ];
        for t in &self.throughput {
            let mut row = vec![
                t.nodes.to_string(),
                t.leader.clone().unwrap_or_else(|| DASH.to_owned()),
            ];
            match &t.result {
                Some(r) => row.extend([
                    ops(r.ops_per_sec),
                    latency(r.p50_us),
                    latency(r.p99_us),
                    latency(r.max_us),
                    r.errors.to_string(),
                    t.vs_single_node_pct
                        .map_or_else(|| DASH.to_owned(), |p| format!("{p:.1}%")),
                    format!("{}/{}", cores(r.server_cores), cores(r.client_cores)),
                ]),
                None => {
                    row.push(String::from("FAILED"));
                    row.extend(std::iter::repeat_n(DASH.to_owned(), 6));
                }
            }
            rows.push(row);
        }
        out.push_str(&grid(&rows));
        out.push('\n');
        for t in &self.throughput {
            let label = format!("{} node{}", t.nodes, if t.nodes == 1 { "" } else { "s" });
            let _ = writeln!(out, "{label:<8} {}", t.addresses.join(", "));
            if let Some(r) = &t.result {
                let _ = writeln!(
                    out,
                    "{:<8} {} keys created in {}s, mean {}",
                    "",
                    r.ops,
                    r.seconds,
                    latency(r.mean_us.round() as u64)
                );
                if let Some(e) = &r.first_error {
                    let _ = writeln!(out, "{:<8} first error: {e}", "");
                }
            }
            if let Some(f) = &t.failure {
                let _ = writeln!(out, "{:<8} FAILED: {f}", "");
            }
        }

        if let Some(f) = &self.failover {
            let _ = writeln!(
                out,
                "\nleader failover: kill -9 of the leader -> first 2xx of a key creation sent after the kill\n\
                 (one write every {} ms, alternating over the survivors)\n",
                f.interval_ms
            );
            let mut rows = vec![
                [
                    "round",
                    "killed",
                    "new leader",
                    "kill -> first write",
                    "via",
                    "failed writes before it",
                    "rejoined after",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
            ];
            for r in &f.rounds {
                let kinds: Vec<String> = r
                    .failures
                    .iter()
                    .map(|(k, n)| format!("{k} x{n}"))
                    .collect();
                rows.push(vec![
                    r.round.to_string(),
                    r.killed.clone(),
                    r.new_leader.clone(),
                    millis(r.outage_ms),
                    r.accepted_by.clone(),
                    if kinds.is_empty() {
                        String::from("0")
                    } else {
                        format!("{} ({})", r.failed_attempts, kinds.join(", "))
                    },
                    millis(r.rejoin_ms),
                ]);
            }
            out.push_str(&grid(&rows));
            if let Some(m) = f.median_outage_ms {
                let _ = writeln!(
                    out,
                    "\nmedian kill -> first accepted write: {} over {} round{}",
                    millis(m),
                    f.rounds.len(),
                    if f.rounds.len() == 1 { "" } else { "s" }
                );
            }
            for r in &f.rounds {
                if let Some(e) = &r.first_failure {
                    let _ = writeln!(out, "round {}: first failed write: {e}", r.round);
                }
            }
            if let Some(e) = &f.failure {
                let _ = writeln!(out, "failover FAILED: {e}");
            }
        }

        let _ = writeln!(
            out,
            "\ncpu srv/cli: average cores used by all daemons together / by this load generator \
             during the measured window."
        );
        if let Some(e) = &self.failure {
            let _ = writeln!(out, "run FAILED: {e}");
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        out
    }

    /// Renders one JSON object.
    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(ops(1_315_557.4), "1,315,557");
        assert_eq!(ops(2226.0), "2,226");
        assert_eq!(ops(123.0), "123");
        assert_eq!(ops(42.25), "42.2");
        assert_eq!(latency(850), "850 us");
        assert_eq!(latency(1_540), "1.54 ms");
        assert_eq!(latency(2_500_000), "2.50 s");
        assert_eq!(millis(2_412.3), "2.41 s");
    }

    #[test]
    fn median_of_rounds() {
        let round = |ms: f64| FailoverRound {
            round: 1,
            killed: String::from("node1"),
            new_leader: String::from("node2"),
            outage_ms: ms,
            accepted_by: String::from("node2"),
            failed_attempts: 0,
            failures: BTreeMap::new(),
            first_failure: None,
            kill_call_ms: 0.0,
            rejoin_ms: 0.0,
        };
        let mut f = FailoverReport {
            interval_ms: 5.0,
            rounds: vec![round(3000.0), round(1000.0), round(2000.0)],
            median_outage_ms: None,
            failure: None,
        };
        f.finish();
        assert_eq!(f.median_outage_ms, Some(2000.0));
        f.rounds.pop();
        f.finish();
        assert_eq!(f.median_outage_ms, Some(2000.0));
        f.rounds.clear();
        f.finish();
        assert_eq!(f.median_outage_ms, None);
    }
}
