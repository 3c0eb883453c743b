//! The results: a plain-text table or one JSON object.

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
    }
}
