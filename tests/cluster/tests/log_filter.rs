//! `useLogFilter: true`, deployed on a running cluster: a health checker polling a node leaves
//! no lines in its log once it is known to make only health checks, a client doing real work
//! leaves all of its own, and a failing health check is written in full.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, ensure};
use coffer_cluster_tests::{CONFIG_YAML, DEADLINE, Node, scenario, wait_until};

const CHECKER: &str = "127.23.0.70";
const WORKER: &str = "127.23.0.71";

/// curl from `source` to the node's API; the status (0 when the connection failed).
fn curl(node: &Node, ca: &Path, source: &str, args: &[&str], path: &str) -> anyhow::Result<u16> {
    let output = Command::new("curl")
        .args([
            "--silent",
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code}",
        ])
        .args(["--max-time", "10", "--interface", source])
        .arg("--cacert")
        .arg(ca)
        .args(args)
        .arg(format!("{}{path}", node.api_url()))
        .output()
        .context("running curl")?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0))
}

/// The node's log lines (JSON) that name `client`, after the first `skip` lines.
fn lines_of(node: &Node, client: &str, skip: usize) -> Vec<serde_json::Value> {
    node.logs()
        .lines()
        .skip(skip)
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["client_ip"] == client)
        .collect()
}

#[test]
fn health_checks_vanish_from_the_log_and_failing_ones_do_not() {
    scenario("127.23.0", |cluster| {
        cluster.form(2)?;
        let credentials = cluster.provision(1)?;
        let node = cluster.node(1);
        let dir = tempfile::tempdir()?;
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, node.ca_pem()?)?;

        eprintln!("--- deploy useLogFilter: true");
        let config = dir.path().join("config.yaml");
        std::fs::write(
            &config,
            format!("{CONFIG_YAML}sdkms:\n  useLogFilter: true\n"),
        )?;
        let out = node
            .cli(&[
                "deploy",
                "--config",
                &config.to_string_lossy(),
                "--stage",
                "DEPLOY",
            ])?
            .ok()?;
        ensure!(
            out.contains("log filter acts on it"),
            "deploy output: {out}"
        );
        let applied = |n: usize| -> anyhow::Result<bool> {
            let shown = cluster.node(n).cli(&["config", "show", "--json"])?.ok()?;
            let shown: serde_json::Value = serde_json::from_str(&shown)?;
            Ok(shown.to_string().contains("\"useLogFilter\":true"))
        };
        wait_until("node1 applied the filter", DEADLINE, || {
            ensure!(applied(1)?, "not yet");
            Ok(())
        })?;
        let start = node.logs().lines().count();

        eprintln!("--- a checker polls the three health checks; a worker does real work");
        let checks: [(&[&str], &str); 3] = [
            (&[], "/sys/v1/health"),
            (&["--head"], "/sys/v1/health"),
            (&["--head"], "/"),
        ];
        let authorization = format!("Authorization: Basic {}", credentials.api_key);
        for _ in 0..5 {
            for (args, path) in checks {
                let status = curl(node, &ca, CHECKER, args, path)?;
                ensure!(status == 204 || status == 200, "{path}: {status}");
            }
            let status = curl(
                node,
                &ca,
                WORKER,
                &["--header", &authorization],
                "/crypto/v1/keys",
            )?;
            ensure!(status == 200, "the worker's listing: {status}");
            let status = curl(node, &ca, WORKER, &[], "/sys/v1/health")?;
            ensure!(status == 204, "the worker's health check: {status}");
        }
        let checker = lines_of(node, CHECKER, start);
        ensure!(
            checker.len() == 1 && checker[0]["log"] == "connection",
            "only the checker's first connection line is written, before it was known: {checker:?}"
        );
        let worker = lines_of(node, WORKER, start);
        let count = |kind: &str| worker.iter().filter(|line| line["log"] == kind).count();
        ensure!(
            count("connection") == 10,
            "every connection of the worker is logged: {}",
            count("connection")
        );
        ensure!(
            count("request") == 5 && count("response") == 5,
            "the worker's listings are logged, its successful health checks are not: {} / {}",
            count("request"),
            count("response")
        );

        eprintln!("--- node2 stops: node1 loses its quorum and its health check fails");
        cluster.node_mut(2).stop()?;
        let node = cluster.node(1);
        let before = node.logs().lines().count();
        wait_until("node1's health check fails", DEADLINE, || {
            let status = curl(node, &ca, CHECKER, &[], "/sys/v1/health")?;
            ensure!(status == 503, "health answered {status}");
            Ok(())
        })?;
        let failed = lines_of(node, CHECKER, before);
        ensure!(
            failed
                .iter()
                .any(|line| line["log"] == "request" && line["path"] == "/sys/v1/health")
                && failed
                    .iter()
                    .any(|line| line["log"] == "response" && line["status"] == 503),
            "the failing check's request and response are written: {failed:?}"
        );
        Ok(())
    });
}
