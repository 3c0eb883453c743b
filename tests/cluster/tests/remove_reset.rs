//! Removing a node and resetting it (installation guide §8): R-CLU-5, R-INST-3, and the node
//! joining again afterwards (§7).

use anyhow::{Context, ensure};
use coffer_cluster_tests::{DEADLINE, scenario, wait_until};

#[test]
fn a_removed_node_stops_serving_resets_to_empty_and_joins_again() {
    scenario("127.12.0", |cluster| {
        cluster.form(3)?;
        cluster.provision(1)?;
        let before = cluster.api(1)?.create_key("before-remove")?;

        eprintln!("--- remove node3 from node1 with --force");
        cluster
            .node(1)
            .cli(&["remove", "--node", "node3", "--force"])?
            .ok()?;
        for number in 1..=2 {
            cluster.wait_healthy_voters(number, &["node1", "node2"])?;
        }
        wait_until(
            "node3's health stops answering 204",
            DEADLINE,
            || match cluster.node(3).health() {
                Ok(response) if response.status == 204 => {
                    anyhow::bail!("node3 still answers 204")
                }
                Ok(response) => {
                    eprintln!("    node3 health answers {}", response.status);
                    Ok(())
                }
                Err(error) => {
                    eprintln!("    node3 health fails: {error:#}");
                    Ok(())
                }
            },
        )?;

        eprintln!("--- the two remaining nodes keep serving writes");
        let node2 = cluster.api(2)?;
        let after = node2.create_key("after-remove")?;
        node2.get_key(after)?;
        node2.get_key(before)?;
        cluster.api(1)?.round_trip(after)?;

        eprintln!("--- reset --delete-data empties node3's data directory, twice");
        let refused = cluster.node(3).cli(&["reset"])?;
        ensure!(
            !refused.success(),
            "reset without --delete-data must refuse: {refused}"
        );
        let kept = cluster.node(3).data_dir_entries()?;
        ensure!(
            kept.iter().any(|name| name != "admin.sock"),
            "reset without --delete-data deleted the data: {kept:?} left"
        );
        for round in 1..=2 {
            cluster
                .node(3)
                .cli(&["reset", "--delete-data"])?
                .ok()
                .with_context(|| format!("reset --delete-data, round {round}"))?;
            let left = cluster.node(3).data_dir_entries()?;
            ensure!(
                left.iter().all(|name| name == "admin.sock"),
                "after reset round {round}, node3's data directory still holds {left:?}"
            );
        }
        let reset = cluster.node(3).status()?;
        ensure!(
            reset.state == "Uninitialized",
            "a reset node is uninitialized: {}",
            reset.summary()
        );
        ensure!(!cluster.node(3).is_healthy(), "a reset node serves no API");

        eprintln!("--- a deleted token lets nobody join");
        let deleted = cluster.node(1).token()?;
        let id = deleted.split('.').next().unwrap_or_default().to_owned();
        cluster.node(1).cli(&["token", "delete", &id])?.ok()?;
        let listed = cluster.node(1).cli(&["token", "list"])?.ok()?;
        ensure!(
            !listed.contains(&id),
            "token list still shows {id}: {listed}"
        );
        let refused = cluster.node(3).try_join(cluster.ip(1), &deleted)?;
        ensure!(
            !refused.success() && refused.to_string().contains("unknown or expired"),
            "a join with a deleted token must be refused: {refused}"
        );
        cluster.node(3).cli(&["reset", "--delete-data"])?.ok()?;
        let again = cluster.node(1).cli(&["token", "delete", &id])?;
        ensure!(
            !again.success(),
            "deleting an unknown token must fail: {again}"
        );

        eprintln!("--- both commands are in node1's audit log, with the operator's uid");
        let api = cluster.api(1)?;
        let credentials = cluster.credentials()?.clone();
        let sysadmin = api
            .anonymous()?
            .authenticate_user(&credentials.email, &credentials.password)?;
        let token = sysadmin
            .auth_response()
            .context("a session")?
            .access_token
            .clone();
        let logs = api.raw()?.request(
            "GET",
            "/sys/v1/logs?size=1000",
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        )?;
        let text = logs.text();
        ensure!(
            text.contains("`sdkms-cluster token delete` run by uid 0")
                && text
                    .contains("`sdkms-cluster token delete` by uid 0 on the admin socket failed"),
            "the token commands are not audited: {text}"
        );

        eprintln!("--- node3 joins again with a new token");
        let token = cluster.node(1).token()?;
        cluster.node(3).join(cluster.ip(1), &token)?;
        let all = cluster.names(1..=3);
        for number in 1..=3 {
            cluster.wait_healthy_voters(number, &all)?;
        }
        ensure!(
            cluster.node(3).is_healthy(),
            "node3 answers health with 204 again"
        );
        let node3 = cluster.api(3)?;
        for kid in [before, after] {
            wait_until(&format!("node3 serves key {kid}"), DEADLINE, || {
                node3.get_key(kid)
            })?;
        }
        node3.round_trip(after)?;
        let again = node3.create_key("after-rejoin")?;
        node3.get_key(again)?;

        eprintln!("--- node3 restarted after re-joining comes back as a member");
        cluster.node_mut(3).restart()?;
        for number in [1, 3] {
            cluster.wait_healthy_voters(number, &all)?;
        }
        let node3 = cluster.api(3)?;
        wait_until("node3 serves its keys after the restart", DEADLINE, || {
            node3.get_key(again)?;
            node3.round_trip(before)
        })?;
        Ok(())
    });
}
