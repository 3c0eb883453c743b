//! Forming a cluster the way the installation guide does (§5.3.5 create, §5.4 and §7 join):
//! R-CLU-1/2/3, R-INST-2, R-API-3.

use anyhow::{Context, ensure};
use coffer_cluster_tests::sdkms::api_model::{ObjectType, SobjectDescriptor, SobjectRequest};
use coffer_cluster_tests::{Cluster, DEADLINE, scenario, status_of, wait_until};

#[test]
fn three_nodes_form_one_cluster_that_serves_keys_and_sessions_on_every_node() {
    scenario("127.10.0", |cluster| {
        eprintln!("--- start three daemons and create the cluster on node1");
        for _ in 0..3 {
            cluster.start_node()?;
        }
        let uninitialized = cluster.node(2).status()?;
        ensure!(
            uninitialized.state == "Uninitialized" && uninitialized.nodes.is_empty(),
            "a fresh daemon is uninitialized: {}",
            uninitialized.summary()
        );
        cluster.node(1).create()?;
        let created = cluster.node(1).status()?;
        created.check_healthy_voters(&["node1"])?;
        ensure!(
            cluster.node(1).is_healthy(),
            "node1 serves GET /sys/v1/health with 204 right after create"
        );

        refuses_an_upper_case_node_name(cluster)?;

        eprintln!("--- join node2 and node3, one at a time, each with a new token");
        for number in 2..=3 {
            let token = cluster.node(1).token()?;
            cluster.node(number).join(cluster.ip(1), &token)?;
        }

        eprintln!("--- every node's status lists 3 voters: 1 leader and 2 followers");
        let all = cluster.names(1..=3);
        for number in 1..=3 {
            cluster.wait_healthy_voters(number, &all)?;
        }
        let leaders: Vec<String> = (1..=3)
            .map(|number| Ok(cluster.node(number).status()?.leader()?.to_owned()))
            .collect::<anyhow::Result<_>>()?;
        ensure!(
            leaders.iter().all(|leader| *leader == leaders[0]),
            "the nodes disagree on the leader: {leaders:?}"
        );
        for number in 1..=3 {
            let node = cluster.node(number);
            ensure!(
                node.ca_pem()?.contains("BEGIN CERTIFICATE")
                    && node.ca_pem()? == cluster.node(1).ca_pem()?,
                "{} has the cluster's CA in cluster-ca.pem",
                node.name()
            );
            ensure!(node.is_healthy(), "{} answers health with 204", node.name());
        }

        eprintln!("--- check-network and repair find nothing wrong on a fresh cluster");
        for args in [&["check-network"][..], &["repair"][..]] {
            let output = cluster.node(1).cli(args)?;
            eprintln!("    {output}");
            let report = output.ok()?;
            for name in &all {
                ensure!(
                    report.contains(name.as_str()),
                    "the report leaves out {name}: {report}"
                );
            }
        }

        a_key_made_on_one_node_works_on_another(cluster)?;
        a_session_made_on_one_node_works_on_another(cluster)?;
        refuses_a_wrong_token_and_changes_nothing(cluster)?;
        Ok(())
    });
}

/// R-INST-2: create and join refuse a name with upper-case letters, naming it.
fn refuses_an_upper_case_node_name(cluster: &mut Cluster) -> anyhow::Result<()> {
    eprintln!("--- a join under an upper-case name is refused with a message naming the host");
    let token = cluster.node(1).token()?;
    let refused = cluster
        .node(2)
        .try_join_as(cluster.ip(1), &token, "Node2")?
        .failed_with(1)?;
    eprintln!("    refused: {}", refused.trim());
    ensure!(
        refused.contains("Node2"),
        "the refusal names the host Node2: {refused:?}"
    );
    let lowered = refused.to_lowercase();
    ensure!(
        lowered.contains("lower") || lowered.contains("upper"),
        "the refusal says why (case of the name): {refused:?}"
    );
    let after = cluster.node(2).status()?;
    ensure!(
        after.state == "Uninitialized",
        "a refused join leaves node2 uninitialized: {}",
        after.summary()
    );
    cluster.node(1).status()?.check_healthy_voters(&["node1"])?;

    eprintln!("--- so is a create under an upper-case name");
    let created = cluster.node(3).try_create_as("NodeThree")?;
    let refused = created.failed_with(1)?;
    eprintln!("    refused: {}", refused.trim());
    ensure!(
        refused.contains("NodeThree"),
        "the refusal names the host NodeThree: {refused:?}"
    );
    ensure!(
        cluster.node(3).status()?.state == "Uninitialized",
        "a refused create leaves node3 uninitialized"
    );
    Ok(())
}

/// Writes on node1 are readable, and usable for crypto, through node3 and node2.
fn a_key_made_on_one_node_works_on_another(cluster: &mut Cluster) -> anyhow::Result<()> {
    cluster.provision(1)?;
    eprintln!("--- a key created through node1 encrypts and decrypts through node3");
    let node1 = cluster.api(1)?;
    let node2 = cluster.api(2)?;
    let node3 = cluster.api(3)?;
    let kid = node1
        .create_key("formation-key")
        .context("creating a key on node1")?;
    node1.get_key(kid)?;
    wait_until("node3 sees the key created on node1", DEADLINE, || {
        node3.get_key(kid)
    })?;
    node3.round_trip(kid)?;
    let plain = b"made on node3, opened on node1 and node2";
    let encrypted = node3.encrypt(kid, plain)?;
    ensure!(
        node1.decrypt(kid, &encrypted)? == plain,
        "node1 decrypts node3's cipher text"
    );
    wait_until("node2 sees the key created on node1", DEADLINE, || {
        node2.get_key(kid)
    })?;
    ensure!(
        node2.decrypt(kid, &encrypted)? == plain,
        "node2 decrypts node3's cipher text"
    );

    eprintln!("--- a key created through a follower is readable on that follower at once");
    let kid = node3
        .create_key("formation-key-2")
        .context("creating a key on node3")?;
    node3.get_key(kid)?;
    node3.round_trip(kid)?;
    Ok(())
}

/// R-API-3: a bearer token made on node2 is accepted by node1 and node3, and logging out on
/// one node ends it everywhere.
fn a_session_made_on_one_node_works_on_another(cluster: &mut Cluster) -> anyhow::Result<()> {
    eprintln!("--- an app session obtained on node2 works on node1 and node3");
    let node1 = cluster.api(1)?;
    let node2 = cluster.api(2)?;
    let node3 = cluster.api(3)?;
    let session = node2.app_session()?;
    let token = session
        .auth_response()
        .context("the login answered no session")?
        .access_token
        .clone();
    let kid = session
        .create_sobject(&SobjectRequest {
            name: Some("formation-session-key".to_owned()),
            obj_type: Some(ObjectType::Aes),
            key_size: Some(256),
            ..Default::default()
        })
        .context("creating a key on node2 with the session")?
        .kid
        .context("the new key has no kid")?;
    let on_node1 = node1.with_token(&token)?;
    let on_node3 = node3.with_token(&token)?;
    for (client, api) in [(&on_node1, &node1), (&on_node3, &node3)] {
        wait_until(
            &format!("{} accepts node2's session and sees its key", api.url()),
            DEADLINE,
            || {
                client
                    .get_sobject(None, &SobjectDescriptor::Kid(kid))
                    .with_context(|| {
                        format!("GET the key with node2's bearer token on {}", api.url())
                    })
            },
        )?;
    }

    eprintln!("--- a sysadmin session obtained on node2 works on node1");
    let credentials = cluster.credentials()?.clone();
    let admin = node2.sysadmin_session(&credentials)?;
    let admin_token = admin
        .auth_response()
        .context("the login answered no session")?
        .access_token
        .clone();
    let accounts = node1.with_token(&admin_token)?.list_accounts(None)?;
    ensure!(
        accounts
            .iter()
            .any(|account| account.acct_id == credentials.account_id),
        "node1 lists the account for node2's sysadmin session"
    );

    eprintln!("--- logging out on node1 ends the app session on node3 too");
    let mut on_node1 = on_node1;
    on_node1
        .terminate()
        .context("POST /sys/v1/session/terminate on node1")?;
    wait_until(
        "node3 refuses the terminated session",
        DEADLINE,
        || match on_node3.get_sobject(None, &SobjectDescriptor::Kid(kid)) {
            Err(error) if status_of(&error) == Some(401) => Ok(()),
            other => anyhow::bail!("node3 answered {other:?}"),
        },
    )?;
    drop(session);
    Ok(())
}

/// R-CLU-2/3: a token that is not the cluster's is refused and the membership stays as it was.
fn refuses_a_wrong_token_and_changes_nothing(cluster: &mut Cluster) -> anyhow::Result<()> {
    eprintln!("--- a join with a wrong token is refused and changes nothing");
    let node4 = cluster.start_node()?;
    let real = cluster.node(1).token()?;
    let (id, secret) = real.split_once('.').context("token without a dot")?;
    let wrong_secret: String = secret
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();
    for wrong in [
        format!("{id}.{wrong_secret}"),
        "abcdef.0123456789abcdef".to_owned(),
    ] {
        let refused = cluster
            .node(node4)
            .try_join(cluster.ip(1), &wrong)?
            .failed_with(1)?;
        eprintln!("    refused: {}", refused.trim());
        ensure!(!refused.trim().is_empty(), "the refusal says why");
        let status = cluster.node(node4).status()?;
        ensure!(
            status.state == "Uninitialized",
            "node4 is not a member after a refused join: {}",
            status.summary()
        );
    }
    let all = cluster.names(1..=3);
    for number in 1..=3 {
        cluster.node(number).status()?.check_healthy_voters(&all)?;
    }
    let kid = cluster.api(2)?.create_key("after-wrong-token")?;
    cluster.api(2)?.get_key(kid)?;
    Ok(())
}
