//! `sdkms-cluster rotate --cmk` on a 3-node cluster under continuous client load: no request
//! fails, every key made before, during and after it still works on every node (also from
//! disk, after a restart), sessions signed under the old key end, and afterwards no file of
//! any node holds the old master key — in the clear, in base64, or in its old sealed form.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_cluster_tests::{ApiClient, DEADLINE, scenario, status_of, wait_until};
use coffer_node::vault::{self, MASTER_KEYS_FILE, NodeSeal};
use coffer_testkit::files::{contains, files_under};
use uuid::Uuid;

#[test]
fn rotating_the_master_key_under_load_loses_nothing_and_leaves_no_trace_of_the_old_key() {
    scenario("127.19.0", |cluster| {
        cluster.form(3)?;
        let credentials = cluster.provision(1)?;

        eprintln!("--- keys and a session made under the first master key");
        let api = cluster.api(1)?;
        let mut kids = (0..20)
            .map(|n| Ok(api.create_key(&format!("before-rotation-{n}"))?))
            .collect::<anyhow::Result<Vec<Uuid>>>()?;
        let session = api.app_session()?;
        session.list_sobjects(None)?;
        let old_keys = (1..=3)
            .map(|number| master_keys_of(cluster.node(number).data_dir()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        for keys in &old_keys {
            ensure!(
                keys.versions == [1],
                "a new cluster holds version 1 only: {:?}",
                keys.versions
            );
            ensure!(
                keys.raw == old_keys[0].raw,
                "every node holds the same master key"
            );
        }

        eprintln!("--- load on every node: encrypt/decrypt round trips and key creations");
        let targets = (1..=3)
            .map(|number| {
                let node = cluster.node(number);
                Ok((node.api_url(), node.ca_pem()?))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let load = Load::start(targets, credentials.api_key.clone(), kids[0]);
        load.wait_for(30, "30 requests answered before the rotation")?;

        let leader = cluster.node(1).status()?.leader()?.to_owned();
        let follower = (1..=3)
            .find(|number| cluster.node(*number).name() != leader)
            .context("a follower")?;
        eprintln!(
            "--- rotate --cmk on {} (a follower; the leader {leader} runs it)",
            cluster.node(follower).name()
        );
        let before = load.answered();
        let rotated = cluster.node(follower).cli(&["rotate", "--cmk"])?;
        eprintln!("{rotated}");
        let rotated = rotated.ok()?;
        ensure!(
            rotated.contains("version 1 -> 2"),
            "the report names both versions: {rotated}"
        );
        for name in cluster.names(1..=3) {
            ensure!(
                rotated
                    .lines()
                    .any(|line| line.starts_with("destroyed on:") && line.contains(&name)),
                "{name} confirmed that it destroyed version 1: {rotated}"
            );
        }
        load.wait_for(
            load.answered() + 30,
            "30 more requests answered after the rotation",
        )?;
        let (answered, created) = load.stop()?;
        eprintln!(
            "    {answered} requests answered in all ({} during the rotation), {} keys created, none failed",
            answered.saturating_sub(before),
            created.len()
        );
        kids.extend(created);

        eprintln!("--- a session signed under the old key has ended; API keys still work");
        match session.list_sobjects(None) {
            Err(error) if status_of(&error) == Some(401) => {}
            other => bail!("the old session answered {other:?}, not 401"),
        }
        cluster.api(2)?.app_session()?;

        eprintln!("--- every key works on every node, also from disk after a restart");
        for number in 1..=3 {
            let api = cluster.api(number)?;
            for kid in &kids {
                api.round_trip(*kid)
                    .with_context(|| format!("{kid} on node{number}"))?;
            }
        }
        cluster.node_mut(2).restart()?;
        cluster.wait_healthy_voters(1, &cluster.names(1..=3))?;
        let restarted = cluster.api(2)?;
        for kid in &kids {
            restarted
                .round_trip(*kid)
                .with_context(|| format!("{kid} on node2 after its restart"))?;
        }

        eprintln!("--- no file of any node holds the old master key");
        let old = &old_keys[0];
        for number in 1..=3 {
            let node = cluster.node(number);
            let now = master_keys_of(node.data_dir())?;
            ensure!(
                now.versions == [2],
                "node{number} holds versions {:?}",
                now.versions
            );
            let new_raw = &now.raw[0];
            let mut forbidden: Vec<(String, Vec<u8>)> = vec![
                ("the old key".into(), old.raw[0].clone()),
                (
                    "the old key in base64".into(),
                    STANDARD.encode(&old.raw[0]).into_bytes(),
                ),
                ("the new key in the clear".into(), new_raw.clone()),
                (
                    "the new key in base64".into(),
                    STANDARD.encode(new_raw).into_bytes(),
                ),
            ];
            forbidden.push((
                format!("node{number}'s old sealed master-keys file"),
                old_keys[number - 1].sealed_file.clone(),
            ));
            let scratch = node
                .data_dir()
                .parent()
                .context("the node's scratch directory")?;
            let files = files_under(scratch)?;
            ensure!(
                files.len() >= 3,
                "node{number}'s files were found: {files:?}"
            );
            for file in &files {
                let bytes = std::fs::read(file)?;
                for (what, needle) in &forbidden {
                    ensure!(!contains(&bytes, needle), "{} holds {what}", file.display());
                }
            }
            eprintln!(
                "    node{number}: {} files searched, none holds either key in the clear or the old one sealed",
                files.len()
            );
        }
        Ok(())
    });
}

/// What a node keeps of its master keys.
struct MasterKeys {
    versions: Vec<u32>,
    raw: Vec<Vec<u8>>,
    sealed_file: Vec<u8>,
}

/// Opens a node's master keys with its platform secret (`DIR/platform.secret`).
fn master_keys_of(data_dir: &Path) -> anyhow::Result<MasterKeys> {
    let seal = Arc::new(NodeSeal::open(&data_dir.join("platform.secret"))?);
    let vault = vault::load_master_keys(seal, data_dir)?.context("no master keys")?;
    let exposed = vault.expose_for_inspection();
    Ok(MasterKeys {
        versions: exposed.iter().map(|(version, _)| *version).collect(),
        raw: exposed
            .iter()
            .map(|(_, key)| key.expose().to_vec())
            .collect(),
        sealed_file: std::fs::read(data_dir.join(MASTER_KEYS_FILE))?,
    })
}

/// Threads sending requests round-robin over the nodes as the app (its API key on every
/// request): encrypt/decrypt round trips with one key, and key creations.
struct Load {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    created: Arc<Mutex<Vec<Uuid>>>,
    failures: Arc<Mutex<Vec<String>>>,
    threads: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl Load {
    fn start(targets: Vec<(String, String)>, api_key: String, kid: Uuid) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let created: Arc<Mutex<Vec<Uuid>>> = Arc::default();
        let failures: Arc<Mutex<Vec<String>>> = Arc::default();
        let threads = (0..4)
            .map(|thread| {
                let (stop, answered, created, failures) = (
                    stop.clone(),
                    answered.clone(),
                    created.clone(),
                    failures.clone(),
                );
                let (targets, api_key) = (targets.clone(), api_key.clone());
                std::thread::spawn(move || -> anyhow::Result<()> {
                    let clients = targets
                        .iter()
                        .map(|(url, ca)| ApiClient::connect(url, ca, &api_key))
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    let mut attempt = thread;
                    while !stop.load(Ordering::Relaxed) {
                        let client = &clients[attempt % clients.len()];
                        attempt += 1;
                        let outcome = if thread == 0 {
                            client
                                .create_key(&format!("during-rotation-{attempt}"))
                                .map(|kid| lock(&created).push(kid))
                                .map_err(anyhow::Error::from)
                        } else {
                            client.round_trip(kid)
                        };
                        match outcome {
                            Ok(()) => {
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(error) => {
                                lock(&failures).push(format!("{}: {error:#}", client.url()))
                            }
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        Self {
            stop,
            answered,
            created,
            failures,
            threads,
        }
    }

    fn answered(&self) -> usize {
        self.answered.load(Ordering::Relaxed)
    }

    fn wait_for(&self, count: usize, what: &str) -> anyhow::Result<()> {
        wait_until(what, DEADLINE, || {
            let failures = lock(&self.failures);
            ensure!(failures.is_empty(), "requests failed: {failures:?}");
            ensure!(self.answered() >= count, "{} of {count}", self.answered());
            Ok(())
        })
    }

    /// Stops the threads; every request answered, and the keys created. Fails if any failed.
    fn stop(mut self) -> anyhow::Result<(usize, Vec<Uuid>)> {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            match thread.join() {
                Ok(result) => result?,
                Err(_) => bail!("a load thread panicked"),
            }
        }
        let failures = lock(&self.failures);
        ensure!(
            failures.is_empty(),
            "{} requests failed: {:?}",
            failures.len(),
            failures.iter().take(5).collect::<Vec<_>>()
        );
        Ok((self.answered(), lock(&self.created).clone()))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
