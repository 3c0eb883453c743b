//! Losing the leader under load: a new leader is elected, no acknowledged write is lost, and
//! the old leader catches up when it comes back (ARCHITECTURE.md §3).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use coffer_cluster_tests::{ApiClient, Cluster, DEADLINE, scenario, wait_until};
use uuid::Uuid;

#[test]
fn killing_the_leader_during_writes_loses_no_acknowledged_key() {
    scenario("127.11.0", |cluster| {
        cluster.form(3)?;
        let credentials = cluster.provision(1)?;

        let leader_name = cluster.node(1).status()?.leader()?.to_owned();
        let leader = cluster.number_of(&leader_name)?;
        let survivors: Vec<usize> = (1..=3).filter(|number| *number != leader).collect();
        eprintln!(
            "--- stream key creations over the survivors {survivors:?}; the leader is {leader_name}"
        );
        let targets = survivors
            .iter()
            .map(|number| {
                let node = cluster.node(*number);
                Ok((node.name().to_owned(), node.api_url(), node.ca_pem()?))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let writer = Writer::start(targets, credentials.api_key.clone());
        writer.wait_for_acks(5, "5 keys acknowledged before the kill")?;

        eprintln!("--- kill -9 the leader {leader_name}");
        cluster.node_mut(leader).kill()?;
        let acked_at_kill = writer.acked().len();

        eprintln!("--- a new leader is elected among the survivors");
        let survivor_names: Vec<String> = survivors
            .iter()
            .map(|number| cluster.node(*number).name().to_owned())
            .collect();
        let new_leader = wait_until("the survivors agree on a new leader", DEADLINE, || {
            let mut leaders = Vec::new();
            for number in &survivors {
                let status = cluster.node(*number).status()?;
                leaders.push(status.leader()?.to_owned());
            }
            ensure!(
                leaders.iter().all(|leader| *leader == leaders[0])
                    && survivor_names.contains(&leaders[0]),
                "the survivors name {leaders:?} as leader"
            );
            Ok(leaders[0].clone())
        })?;
        let new_leader = cluster.number_of(&new_leader)?;
        let check = cluster.node(new_leader).cli(&["check-network"])?;
        eprintln!("    {check}");
        ensure!(
            check.code == Some(1) && check.stdout.contains(&leader_name),
            "check-network on the new leader reports the dead {leader_name}: {check}"
        );

        eprintln!("--- writes are accepted again, through both survivors");
        writer.wait_for_acks(
            acked_at_kill + 10,
            "10 more keys acknowledged after the kill",
        )?;
        let acked = writer.stop()?;
        for name in &survivor_names {
            ensure!(
                acked[acked_at_kill..].iter().any(|(_, via)| via == name),
                "no write was acknowledged by {name} after the kill"
            );
        }
        eprintln!(
            "    {} keys acknowledged in all, {acked_at_kill} of them before the kill",
            acked.len()
        );

        eprintln!("--- every acknowledged key is readable on every survivor");
        for number in &survivors {
            every_key_is_readable(cluster, *number, &acked)?;
        }

        eprintln!("--- restart the old leader {leader_name}: it catches up");
        cluster.node_mut(leader).start_again()?;
        let leader_node = cluster.node(new_leader);
        wait_until(
            &format!("{leader_name} has applied as far as the leader"),
            DEADLINE,
            || {
                let status = leader_node.status()?;
                let me = status.entry(leader_node.name())?;
                let old = status.entry(&leader_name)?;
                ensure!(
                    old.role == "follower" && old.state == "Member",
                    "{leader_name} is not a healthy follower yet: {}",
                    status.summary()
                );
                let (Some(leader_index), Some(old_index)) = (me.applied_index, old.applied_index)
                else {
                    bail!("no applied index in {}", status.summary());
                };
                ensure!(
                    old_index >= leader_index,
                    "{leader_name} is at {old_index}, the leader at {leader_index}"
                );
                Ok(())
            },
        )?;
        let rejoined = cluster.node(leader).status()?;
        ensure!(
            rejoined.state == "Member",
            "{leader_name} is a member again: {}",
            rejoined.summary()
        );
        every_key_is_readable(cluster, leader, &acked)?;
        cluster.wait_healthy_voters(new_leader, &cluster.names(1..=3))?;

        eprintln!("--- the restarted node takes writes again");
        let api = cluster.api(leader)?;
        let kid = api.create_key("failover-after-restart")?;
        api.get_key(kid)?;
        api.round_trip(kid)?;
        Ok(())
    });
}

/// Waits until node `number` serves every key of `acked`.
fn every_key_is_readable(
    cluster: &Cluster,
    number: usize,
    acked: &[(Uuid, String)],
) -> anyhow::Result<()> {
    let api = cluster.api(number)?;
    let mut missing: Vec<Uuid> = acked.iter().map(|(kid, _)| *kid).collect();
    wait_until(
        &format!(
            "{} serves all {} acknowledged keys",
            cluster.node(number).name(),
            acked.len()
        ),
        DEADLINE,
        || {
            missing.retain(|kid| api.get_key(*kid).is_err());
            match missing.first() {
                None => Ok(()),
                Some(kid) => Err(api
                    .get_key(*kid)
                    .err()
                    .unwrap_or_else(|| anyhow::anyhow!("{kid} just appeared"))
                    .context(format!("{} keys still missing", missing.len()))),
            }
        },
    )
}

/// Acknowledged keys and the name of the node that acknowledged each.
type Acks = Arc<Mutex<Vec<(Uuid, String)>>>;

/// A thread creating AES keys round-robin over some nodes, recording every acknowledged kid.
struct Writer {
    stop: Arc<AtomicBool>,
    acked: Acks,
    failures: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Writer {
    /// Starts writing through `targets` (name, API URL, CA PEM) as the app with `api_key`.
    fn start(targets: Vec<(String, String, String)>, api_key: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Acks = Arc::default();
        let failures: Arc<Mutex<Vec<String>>> = Arc::default();
        let thread = {
            let (stop, acked, failures) = (stop.clone(), acked.clone(), failures.clone());
            std::thread::spawn(move || -> anyhow::Result<()> {
                let clients = targets
                    .iter()
                    .map(|(name, url, ca)| {
                        Ok((name.clone(), ApiClient::connect(url, ca, &api_key)?))
                    })
                    .collect::<anyhow::Result<Vec<(String, ApiClient)>>>()?;
                let mut attempt = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let (name, client) = &clients[attempt % clients.len()];
                    attempt += 1;
                    match client.create_key(&format!("failover-{attempt}")) {
                        Ok(kid) => lock(&acked).push((kid, name.clone())),
                        Err(error) => {
                            lock(&failures).push(format!("{name}: {error}"));
                            // Refusals during the election come back at once: do not spin.
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
                Ok(())
            })
        };
        Self {
            stop,
            acked,
            failures,
            thread: Some(thread),
        }
    }

    /// A copy of the acknowledged keys so far.
    fn acked(&self) -> Vec<(Uuid, String)> {
        lock(&self.acked).clone()
    }

    /// Waits until at least `count` keys are acknowledged.
    fn wait_for_acks(&self, count: usize, what: &str) -> anyhow::Result<()> {
        wait_until(what, DEADLINE, || {
            if self.thread.as_ref().is_some_and(JoinHandle::is_finished) {
                bail!("the writer stopped early");
            }
            let acked = lock(&self.acked).len();
            ensure!(
                acked >= count,
                "{acked} of {count} acknowledged; last failures: {:?}",
                lock(&self.failures)
                    .iter()
                    .rev()
                    .take(3)
                    .collect::<Vec<_>>()
            );
            Ok(())
        })
    }

    /// Stops the thread (waiting for its last request, 60 s at most) and returns every
    /// acknowledged key.
    fn stop(mut self) -> anyhow::Result<Vec<(Uuid, String)>> {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self
            .thread
            .take()
            .context("the writer was already stopped")?;
        let start = Instant::now();
        while !thread.is_finished() {
            ensure!(
                start.elapsed() < DEADLINE,
                "a key creation did not return within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        match thread.join() {
            Ok(result) => result.context("the writer failed")?,
            Err(_) => bail!("the writer panicked"),
        }
        let failures = lock(&self.failures).len();
        eprintln!("    {failures} key creations failed (not acknowledged) during the failover");
        Ok(self.acked())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
