//! Data-centre labelling and read-only mode (installation guide §5.3.6, R-CLU-7): when the
//! global quorum is lost, the nodes that still have their data centre's majority serve reads
//! and crypto but refuse writes, and take writes again by themselves once the quorum is back.

use anyhow::{Context, ensure};
use coffer_cluster_tests::{
    ApiClient, DEADLINE, is_read_only_refusal, mentions_read_only, scenario, unique_name,
    wait_until,
};
use uuid::Uuid;

#[test]
fn a_data_centre_that_keeps_its_majority_goes_read_only_and_recovers() {
    scenario("127.14.0", |cluster| {
        cluster.form(5)?;
        cluster.provision(1)?;

        eprintln!("--- label node1-3 as dc1 and node4-5 as dc2");
        for (number, dc) in [(1, "dc1"), (2, "dc1"), (3, "dc1"), (4, "dc2"), (5, "dc2")] {
            let name = format!("node{number}");
            cluster
                .node(1)
                .cli(&["label", "--node", &name, "--dc", dc])?
                .ok()?;
        }
        for number in [1, 4, 5] {
            let node = cluster.node(number);
            wait_until(
                &format!("{} sees every label", node.name()),
                DEADLINE,
                || {
                    let status = node.status()?;
                    for entry in &status.nodes {
                        let expected = match entry.name.as_str() {
                            "node1" | "node2" | "node3" => "dc1",
                            _ => "dc2",
                        };
                        ensure!(
                            entry.dc.as_deref() == Some(expected),
                            "{} has dc {:?}, expected {expected}: {}",
                            entry.name,
                            entry.dc,
                            status.summary()
                        );
                    }
                    Ok(())
                },
            )?;
        }

        eprintln!("--- keys and a cipher text made while the cluster is whole");
        let writer = cluster.api(1)?;
        let mut kids = Vec::new();
        for i in 0..3 {
            kids.push(writer.create_key(&format!("before-outage-{i}"))?);
        }
        let plain = b"sealed before the outage";
        let sealed = writer.encrypt(kids[0], plain)?;
        for number in [4, 5] {
            wait_serves_keys(&cluster.api(number)?, number, &kids)?;
        }

        eprintln!("--- stop (SIGTERM) the three dc1 nodes");
        for number in 1..=3 {
            cluster.node_mut(number).stop()?;
        }

        for number in [4, 5] {
            let node = cluster.node(number);
            wait_until(
                &format!("{} reports ReadOnly", node.name()),
                DEADLINE,
                || {
                    let status = node.status()?;
                    ensure!(status.state == "ReadOnly", "{}", status.summary());
                    Ok(())
                },
            )?;
        }

        eprintln!("--- dc2 serves reads and crypto with the existing keys, and refuses writes");
        for number in [4, 5] {
            let api = cluster.api(number)?;
            serves_reads_and_crypto(&api, &kids)?;
            ensure!(
                api.decrypt(kids[0], &sealed)? == plain,
                "node{number} decrypts what node1 encrypted before the outage"
            );
            refuses_writes(&api, &unique_name("during-outage"))?;
        }

        eprintln!("--- start the three dc1 nodes again: writes resume by themselves");
        for number in 1..=3 {
            cluster.node_mut(number).start_again()?;
        }
        let mut resumed = Vec::new();
        for number in [4, 5] {
            let api = cluster.api(number)?;
            let kid = wait_until(
                &format!("node{number} accepts writes again"),
                DEADLINE,
                || {
                    api.create_key(&unique_name(&format!("after-outage-{number}")))
                        .context("creating a key")
                },
            )?;
            resumed.push(kid);
            let status = cluster.node(number).status()?;
            ensure!(
                status.state == "Member",
                "node{number} is a plain member again: {}",
                status.summary()
            );
        }

        eprintln!("--- every key created before the outage is still there, on every node");
        kids.extend(resumed);
        let all = cluster.names(1..=5);
        cluster.wait_healthy_voters(1, &all)?;
        for number in 1..=5 {
            let api = cluster.api(number)?;
            wait_serves_keys(&api, number, &kids)?;
            api.round_trip(kids[0])?;
        }
        Ok(())
    });
}

/// Waits until node `number` serves every key of `kids`.
fn wait_serves_keys(api: &ApiClient, number: usize, kids: &[Uuid]) -> anyhow::Result<()> {
    wait_until(
        &format!("node{number} serves all {} keys", kids.len()),
        DEADLINE,
        || {
            for kid in kids {
                api.get_key(*kid)?;
            }
            Ok(())
        },
    )
}

/// GET each key, then encrypt and decrypt with each, on one node.
fn serves_reads_and_crypto(api: &ApiClient, kids: &[Uuid]) -> anyhow::Result<()> {
    for kid in kids {
        let key = api.get_key(*kid)?;
        ensure!(
            key.kid == Some(*kid),
            "{} returned another key: {key:?}",
            api.url()
        );
        api.round_trip(*kid)?;
    }
    Ok(())
}

/// A key creation fails with 503 and a text mentioning read-only mode, through the official
/// client and raw.
fn refuses_writes(api: &ApiClient, name: &str) -> anyhow::Result<()> {
    match api.create_key(name) {
        Ok(kid) => anyhow::bail!("{} created key {kid} in read-only mode", api.url()),
        Err(error) => {
            eprintln!("    {} refused: {error}", api.url());
            ensure!(
                is_read_only_refusal(&error),
                "{} refused the write without a 503 read-only error: {error}",
                api.url()
            );
        }
    }
    let raw = api.create_key_raw(name)?;
    ensure!(
        raw.status == 503 && mentions_read_only(&raw.text()),
        "{} answered a raw key creation with {raw:?}",
        api.url()
    );
    Ok(())
}
