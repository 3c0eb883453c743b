//! Changing `config.yaml` on a running cluster (guide §5.3.3–5.3.4, R-CFG-DEPLOY): a dry run
//! shows the change and applies nothing; a real deploy reaches every node without a restart;
//! a broken file is refused naming the key and line, and changes nothing.

use anyhow::{Context, ensure};
use coffer_cluster_tests::{CONFIG_YAML, DEADLINE, scenario, wait_until};

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

        eprintln!("--- deploy on node1; node2 and node3 see the new value without a restart");
        let applied = cluster
            .node(1)
            .cli(&["deploy", "--config", &path, "--stage", "DEPLOY"])?
            .ok()?;
        ensure!(applied.contains("useLogFilter"), "deploy output: {applied}");
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
        Ok(())
    });
}
