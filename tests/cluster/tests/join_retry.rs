//! Joins that fail half-way and joins started at the same time (R-CLU-4): the membership is
//! never corrupted, the cluster keeps taking writes, and a failed join can simply be retried.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use coffer_cluster_tests::{
    CLUSTER_PORT, CliOutput, CliRun, Cluster, DEADLINE, JOIN_TIMEOUT, scenario, unique_name,
    wait_until,
};

#[test]
fn failed_joins_leave_the_cluster_healthy_and_can_be_retried() {
    scenario("127.13.0", |cluster| {
        for _ in 0..5 {
            cluster.start_node()?;
        }
        cluster.node(1).create()?;
        cluster.provision(1)?;

        a_join_whose_node_cannot_start_fails_cleanly(cluster)?;
        a_join_whose_daemon_is_killed_can_be_retried(cluster)?;
        simultaneous_joins_never_corrupt_the_membership(cluster)?;
        Ok(())
    });
}

/// node2 joins with `--self` on an address whose cluster port another process holds: the
/// node cannot start, the join fails with a message, and succeeds once the port is free.
fn a_join_whose_node_cannot_start_fails_cleanly(cluster: &mut Cluster) -> anyhow::Result<()> {
    eprintln!("--- node2 joins while another process holds its cluster port");
    let squatter = TcpListener::bind((cluster.ip(2), CLUSTER_PORT))
        .with_context(|| format!("binding {}:{CLUSTER_PORT}", cluster.ip(2)))?;
    let token = cluster.node(1).token()?;
    let failed = cluster.node(2).try_join(cluster.ip(1), &token)?;
    eprintln!("    {failed}");
    let message = failed.failed_with(1)?;
    ensure!(
        message.contains("error:"),
        "a failed join prints an error: {message:?}"
    );
    cluster_is_healthy(cluster, &["node1"], 1)?;
    let status = cluster.node(2).status()?;
    ensure!(
        status.state != "Member",
        "node2 is not a member after a failed join: {}",
        status.summary()
    );

    eprintln!("--- with the port free again, the same join succeeds");
    drop(squatter);
    cluster.node(2).join(cluster.ip(1), &token)?;
    cluster_is_healthy(cluster, &["node1", "node2"], 2)?;
    Ok(())
}

/// node3's daemon is killed while its join is under way; the cluster stays healthy and the
/// join, run again after a restart, succeeds.
fn a_join_whose_daemon_is_killed_can_be_retried(cluster: &mut Cluster) -> anyhow::Result<()> {
    eprintln!("--- kill -9 node3's daemon in the middle of its join");
    let token = cluster.node(1).token()?;
    let before = cluster.node(3).data_dir_entries()?;
    let mut join = cluster.node(3).spawn_join(cluster.ip(1), &token, "node3")?;
    // New files appear once the cluster has granted the join and before the node is added:
    // the worst moment to die.
    let store_seen = wait_for_new_files_or_exit(cluster, 3, &before, &mut join)?;
    cluster.node_mut(3).kill()?;
    let output = join.wait(JOIN_TIMEOUT)?;
    eprintln!(
        "    killed {} the node wrote new files; the join printed: {output}",
        if store_seen { "after" } else { "before" }
    );
    ensure!(
        !output.success(),
        "the join returned success although its daemon was killed before it finished: {output}"
    );
    cluster_is_healthy(cluster, &["node1", "node2"], 1)?;

    eprintln!("--- restart node3's daemon and run the join again");
    cluster.node_mut(3).start_again()?;
    let status = cluster.node(3).status()?;
    ensure!(
        status.state != "Member",
        "node3 is not a member after its join died: {}",
        status.summary()
    );
    let retried = cluster.node(3).try_join(cluster.ip(1), &token)?;
    ensure!(retried.success(), "the retried join failed: {retried}");
    cluster_is_healthy(cluster, &["node1", "node2", "node3"], 3)?;
    Ok(())
}

/// node4 and node5 join at the same moment: each succeeds or is refused with a message, the
/// membership never holds a learner or a half-added node, and a refused node joins on retry.
fn simultaneous_joins_never_corrupt_the_membership(cluster: &mut Cluster) -> anyhow::Result<()> {
    eprintln!("--- node4 and node5 join at the same time");
    let token = cluster.node(1).token()?;
    let runs = [
        cluster.node(4).spawn_join(cluster.ip(1), &token, "node4")?,
        cluster.node(5).spawn_join(cluster.ip(2), &token, "node5")?,
    ];
    let outputs: Vec<CliOutput> = runs
        .into_iter()
        .map(|run| run.wait(JOIN_TIMEOUT))
        .collect::<anyhow::Result<_>>()?;
    let mut joined = vec!["node1", "node2", "node3"];
    let mut refused = Vec::new();
    for (name, output) in ["node4", "node5"].into_iter().zip(&outputs) {
        eprintln!("    {name}: {output}");
        if output.success() {
            joined.push(name);
        } else {
            ensure!(
                output.code == Some(1) && output.stderr.contains("error:"),
                "{name}'s join failed without a clear message: {output}"
            );
            refused.push(name);
        }
    }
    ensure!(
        joined.len() > 3,
        "neither of two simultaneous joins succeeded: {outputs:?}"
    );
    eprintln!("--- the membership holds exactly the nodes that joined, all voters");
    let newest = cluster.number_of(joined[joined.len() - 1])?;
    cluster_is_healthy(cluster, &joined, newest)?;

    for name in refused {
        eprintln!("--- {name}, refused, joins on retry");
        let number = cluster.number_of(name)?;
        let status = cluster.node(number).status()?;
        ensure!(
            status.state != "Member",
            "the refused {name} is not a member: {}",
            status.summary()
        );
        cluster.node(number).join(cluster.ip(1), &token)?;
        joined.push(name);
    }
    let all = cluster.names(1..=5);
    cluster_is_healthy(cluster, &all, 5)?;
    for number in 2..=5 {
        cluster.wait_healthy_voters(number, &all)?;
    }
    Ok(())
}

/// Waits until node1 lists exactly `members` as healthy voters, then checks that a key created
/// through node `writer` is served by every member.
fn cluster_is_healthy<S: AsRef<str> + std::fmt::Debug>(
    cluster: &Cluster,
    members: &[S],
    writer: usize,
) -> anyhow::Result<()> {
    cluster.wait_healthy_voters(1, members)?;
    let api = cluster.api(writer)?;
    let kid = api.create_key(&unique_name(&format!("written-through-node{writer}")))?;
    api.get_key(kid)?;
    for name in members {
        let number = cluster.number_of(name.as_ref())?;
        let reader = cluster.api(number)?;
        wait_until(
            &format!(
                "{} serves the key written through node{writer}",
                name.as_ref()
            ),
            DEADLINE,
            || reader.get_key(kid),
        )?;
    }
    Ok(())
}

/// Polls node `number`'s data directory until an entry not in `before` appears (true), or
/// until the join command exits first (false).
fn wait_for_new_files_or_exit(
    cluster: &Cluster,
    number: usize,
    before: &[String],
    join: &mut CliRun,
) -> anyhow::Result<bool> {
    let start = Instant::now();
    loop {
        let entries = cluster.node(number).data_dir_entries()?;
        if entries.iter().any(|name| !before.contains(name)) {
            return Ok(true);
        }
        if join.is_finished()? {
            return Ok(false);
        }
        if start.elapsed() >= DEADLINE {
            bail!("`{}` neither wrote a file nor returned", join.command());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
