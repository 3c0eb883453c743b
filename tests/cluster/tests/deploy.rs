//! Changing `config.yaml` on a running cluster (guide §5.3.3–5.3.4, R-CFG-DEPLOY): a dry run
//! shows the change and applies nothing; a real deploy reaches every node without a restart,
//! pushed to each node's subscribers (`config watch`); a broken file is refused naming the key
//! and line, and changes nothing; and the output says, for every key of `config.yaml.example`,
//! whether this version acts on it.

use anyhow::{Context, ensure};
use coffer_cluster_tests::{CONFIG_YAML, DEADLINE, scenario, wait_until};
use coffer_node::settings::{TakesEffect, consumer_of};
use std::time::Duration;

/// The template operators start from.
const EXAMPLE: &str = include_str!("../../../config.yaml.example");

/// Every key the template sets or offers.
const EXAMPLE_KEYS: &[&str] = &[
    "global.clusterIp",
    "global.externalLoadBalancer",
    "global.attestation",
    "global.serviceSubnet",
    "global.podSubnet",
    "global.proxy",
    "global.sealingKeyPolicy",
    "global.localntp",
    "sdkms.clusterIp",
    "sdkms.useLogFilter",
    "sdkms.proxyHeaderConfig",
    "keepalived.nwIface",
    "fluentd.advancedSyslog",
    "fluentd.remoteSyslog",
];

/// Removes the `#` of the commented-out block that starts with `  #KEY:` (the key line and
/// the indented lines under it).
fn uncomment_block(text: &str, key: &str) -> String {
    let start = format!("  #{key}:");
    let mut inside = false;
    let mut out = String::new();
    for line in text.lines() {
        inside = line.starts_with(&start) || (inside && line.starts_with("  #  "));
        if inside {
            out.push_str(&line.replacen('#', "", 1));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The template with every key changed; `syslog` is the fluentd block to turn on.
fn every_key_changed(syslog: &str) -> String {
    let text = EXAMPLE
        .replace(
            "  #clusterIp: dummy\n  #externalLoadBalancer: true\n",
            "  clusterIp: dummy\n  externalLoadBalancer: true\n",
        )
        .replace("  clusterIp: 192.0.2.10\n", "")
        .replace("  nwIface: enp80s0f0\n", "")
        .replace("  #attestation: null\n", "  attestation: null\n")
        .replace("serviceSubnet: 10.96.0.0/12", "serviceSubnet: 10.97.0.0/16")
        .replace("podSubnet: 10.244.0.0/16", "podSubnet: 10.245.0.0/16")
        .replace("sealingKeyPolicy: sgx", "sealingKeyPolicy: recoveryKey")
        .replace("localntp: false", "localntp: true")
        .replace("useLogFilter: false", "useLogFilter: true")
        .replace(
            "proxyHeaderConfig: disabled",
            "proxyHeaderConfig: \"maybefrom=192.0.2.0/24\"",
        );
    uncomment_block(&uncomment_block(&text, "proxy"), syslog)
}

/// What `deploy` must say about a changed key.
fn expected_effect(path: &str) -> String {
    match consumer_of(path) {
        Some(consumer) => match consumer.takes_effect {
            TakesEffect::Live => format!("— {} acts on it on every node", consumer.name),
            TakesEffect::NextUpgrade => format!(
                "— {} acts on it when each node is next upgraded",
                consumer.name
            ),
        },
        None => "— stored; not acted on by this version".to_owned(),
    }
}

#[test]
fn a_deployed_config_reaches_every_node_live_and_a_broken_one_changes_nothing() {
    scenario("127.15.0", |cluster| {
        eprintln!("--- form a three-node cluster");
        cluster.form(3)?;
        let dir = tempfile::tempdir()?;
        let show = |number: usize| -> anyhow::Result<serde_json::Value> {
            let out = cluster
                .node(number)
                .cli(&["config", "show", "--json"])?
                .ok()?;
            serde_json::from_str(&out).context("config show --json prints JSON")
        };
        let before = show(3)?;
        ensure!(
            before.to_string().contains("false"),
            "the log filter starts off: {before}"
        );

        eprintln!("--- a new config.yaml turns the health-check log filter on");
        let new_config = format!("{CONFIG_YAML}sdkms:\n  useLogFilter: true\n");
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, &new_config)?;
        let path = path.to_string_lossy().into_owned();

        eprintln!("--- deploy --dry-run names the change and applies nothing");
        let dry = cluster
            .node(1)
            .cli(&[
                "deploy",
                "--config",
                &path,
                "--stage",
                "DEPLOY",
                "--dry-run",
            ])?
            .ok()?;
        ensure!(
            dry.contains("useLogFilter") && dry.contains("dry run"),
            "dry run output: {dry}"
        );
        ensure!(show(2)? == before, "a dry run changed the applied config");

        eprintln!("--- every node's subscriber waits for its next settings");
        let mut watchers = Vec::new();
        for number in 1..=3 {
            let node = cluster.node(number);
            let now = node
                .cli(&["config", "watch", "--after", "0", "--json"])?
                .ok()?;
            let now: serde_json::Value = serde_json::from_str(&now)?;
            let version = now["version"]
                .as_u64()
                .context("config watch prints a version")?;
            let watcher = node.spawn_cli(&[
                "config",
                "watch",
                "--after",
                &version.to_string(),
                "--timeout",
                "120",
                "--json",
            ])?;
            watchers.push((number, version, watcher));
        }
        // The dry run above changed nothing, so no subscriber has been woken.
        std::thread::sleep(Duration::from_millis(500));
        for (number, _, watcher) in &mut watchers {
            ensure!(
                !watcher.is_finished()?,
                "node{number}'s watch ended before any change"
            );
        }

        eprintln!("--- deploy on node1; node2 and node3 see the new value without a restart");
        let applied = cluster
            .node(1)
            .cli(&["deploy", "--config", &path, "--stage", "DEPLOY"])?
            .ok()?;
        ensure!(applied.contains("useLogFilter"), "deploy output: {applied}");
        for name in cluster.names(1..=3) {
            ensure!(
                applied.contains(&format!("{name}: took it up at")),
                "deploy reports when {name} took it up: {applied}"
            );
        }
        for (number, version, watcher) in watchers {
            let seen = watcher.wait(Duration::from_secs(150))?.ok()?;
            let seen: serde_json::Value = serde_json::from_str(&seen)?;
            ensure!(
                seen["version"].as_u64() > Some(version),
                "node{number}'s watch answered with old settings: {seen}"
            );
            ensure!(
                seen["effective"]["sdkms"]["useLogFilter"] == serde_json::json!(true),
                "node{number}'s subscriber got the validated new config: {seen}"
            );
        }
        for number in 2..=3 {
            wait_until(
                &format!("node{number} shows the deployed config"),
                DEADLINE,
                || {
                    let shown = cluster.node(number).cli(&["config", "show"])?.ok()?;
                    ensure!(
                        shown.contains("useLogFilter: true"),
                        "still the old config: {shown}"
                    );
                    Ok(())
                },
            )?;
        }
        let after = show(3)?;

        eprintln!(
            "--- a broken config is refused naming the key path and line, and changes nothing"
        );
        let broken = new_config.replace("useLogFilter: true", "useLogFilter: maybe");
        let broken_path = dir.path().join("broken.yaml");
        std::fs::write(&broken_path, broken)?;
        let refused = cluster.node(2).cli(&[
            "deploy",
            "--config",
            &broken_path.to_string_lossy(),
            "--stage",
            "DEPLOY",
        ])?;
        ensure!(
            refused.code == Some(1),
            "a broken config must fail: {}",
            refused.stderr
        );
        ensure!(
            refused.stderr.contains("sdkms.useLogFilter") && refused.stderr.contains("line 6"),
            "the error names the key and line: {}",
            refused.stderr
        );
        ensure!(
            show(1)? == after,
            "a refused deploy changed the applied config"
        );

        eprintln!("--- deploy says, for every key of config.yaml.example, what acts on it");
        let deploy = |name: &str, text: &str| -> anyhow::Result<String> {
            let file = dir.path().join(name);
            std::fs::write(&file, text)?;
            let file = file.to_string_lossy().into_owned();
            cluster
                .node(3)
                .cli(&["deploy", "--config", &file, "--stage", "DEPLOY"])?
                .ok()
        };
        deploy("example.yaml", EXAMPLE)?;
        let mut lines: Vec<String> = Vec::new();
        for (name, syslog) in [
            ("advanced.yaml", "advancedSyslog"),
            ("remote.yaml", "remoteSyslog"),
        ] {
            let out = deploy(name, &every_key_changed(syslog))?;
            ensure!(
                out.contains("stored for the whole cluster\n")
                    && out
                        .lines()
                        .filter(|l| l.contains(": took it up at "))
                        .count()
                        == 3,
                "deploy reports that every node took it up: {out}"
            );
            lines.extend(
                out.lines()
                    .filter(|l| l.contains(" changed: "))
                    .map(str::to_owned),
            );
        }
        for key in EXAMPLE_KEYS {
            let under_key = |line: &&String| {
                line.strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with(" changed: ") || rest.starts_with('.'))
            };
            let reported: Vec<&String> = lines.iter().filter(under_key).collect();
            ensure!(
                !reported.is_empty(),
                "no change reported for {key}: {lines:#?}"
            );
            for line in reported {
                let path = line.split(" changed: ").next().unwrap_or_default();
                ensure!(
                    line.contains(&expected_effect(path)),
                    "the effect of {path} is misreported: {line}"
                );
            }
        }
        Ok(())
    });
}
