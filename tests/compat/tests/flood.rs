//! A flood of wrong-password logins against one node (issue: unauthenticated floods). Password
//! hashes run on a bounded pool behind a per-source and per-user backoff, and the audit log
//! samples unauthenticated requests: memory stays bounded, the node keeps serving its apps,
//! and the audit table grows by a bounded number of records.
//!
//! The latencies are printed, never asserted (a test does not fail on a timing).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use base64::Engine;
use coffer_compat_tests::raw::bearer;
use coffer_compat_tests::{CofferServer, clients, keys, sdkms};
use sdkms::api_model::*;
use serde_json::Value;

/// Concurrent wrong-password logins.
const FLOODERS: usize = 2000;
/// Peak resident memory the server may reach, flood included.
const RSS_BOUND_KIB: u64 = 512 * 1024;
/// Audit records the flood may add beyond the app's own encrypt records: the per-minute
/// sample and its summary, twice over (the flood may straddle a window).
const AUDIT_GROWTH_BOUND: usize = 2 * (20 + 1);

#[test]
fn a_login_flood_leaves_memory_bounded_the_node_serving_and_the_audit_log_small()
-> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let pid = server.pid().context("the server runs")?;
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate("flood-probe", ObjectType::Aes, 256))?;
    let kid = key.kid.context("a key id")?;
    let admin = clients::sysadmin_session(&server)?;
    let admin_auth = bearer(&admin)?;
    let audit_before = audit_count(&server, &admin_auth)?;
    let rss_before = status_kib(pid, "VmRSS:")?;

    eprintln!("--- {FLOODERS} clients log in with wrong passwords at once");
    let known = server.credentials().sysadmin_email.clone();
    let start = Arc::new(Barrier::new(FLOODERS + 1));
    let flooding = Arc::new(AtomicBool::new(true));
    let mut flooders = Vec::with_capacity(FLOODERS);
    for n in 0..FLOODERS {
        let client = server.raw_client().clone();
        let start = Arc::clone(&start);
        let email = if n % 2 == 0 {
            known.clone()
        } else {
            format!("nobody{n}@example.com")
        };
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{email}:Wrong-password-{n}"));
        flooders.push(
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    start.wait();
                    client
                        .request(
                            "POST",
                            "/sys/v1/session/auth",
                            &[("Authorization", &format!("Basic {basic}"))],
                            b"",
                        )
                        .map(|response| (response.status, response.header("retry-after").is_some()))
                })
                .context("starting a flooder")?,
        );
    }

    // Health as a load balancer probes it (a new connection each time); encrypt as an app
    // calls it (the official client, its connection kept alive).
    let health_probe = {
        let flooding = Arc::clone(&flooding);
        let client = server.raw_client().clone();
        std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
            let mut health = Vec::new();
            while flooding.load(Ordering::SeqCst) || health.len() < 20 {
                let t = Instant::now();
                let answer = client.request("GET", "/sys/v1/health", &[], b"")?;
                ensure!(answer.status == 204, "health answered {}", answer.status);
                health.push(t.elapsed());
            }
            Ok(health)
        })
    };
    let encrypt_probe = {
        let flooding = Arc::clone(&flooding);
        let request = keys::aes_encrypt(kid, CipherMode::Cbc, b"probe");
        std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
            let mut encrypt = Vec::new();
            while flooding.load(Ordering::SeqCst) || encrypt.len() < 20 {
                let t = Instant::now();
                app.encrypt(&request)
                    .context("the app's encrypt during the flood")?;
                encrypt.push(t.elapsed());
            }
            Ok(encrypt)
        })
    };
    let cpu_before = cpu_seconds(pid)?;
    let flood_started = Instant::now();
    start.wait();
    let mut refused = std::collections::BTreeMap::<u16, usize>::new();
    let mut without_retry_after = 0;
    for flooder in flooders {
        let (status, retry_after) = flooder
            .join()
            .map_err(|_| anyhow::anyhow!("a flooder panicked"))??;
        *refused.entry(status).or_default() += 1;
        if status == 429 && !retry_after {
            without_retry_after += 1;
        }
    }
    let flood_took = flood_started.elapsed();
    flooding.store(false, Ordering::SeqCst);
    let cpu_used = cpu_seconds(pid)? - cpu_before;
    let health = health_probe
        .join()
        .map_err(|_| anyhow::anyhow!("the health probe panicked"))??;
    let encrypt = encrypt_probe
        .join()
        .map_err(|_| anyhow::anyhow!("the encrypt probe panicked"))??;

    let peak = status_kib(pid, "VmHWM:")?;
    let after = status_kib(pid, "VmRSS:")?;
    eprintln!("    answers: {refused:?} in {flood_took:.2?}, {cpu_used:.2} s of server CPU");
    eprintln!(
        "    RSS before {} MiB, peak {} MiB, after {} MiB",
        rss_before / 1024,
        peak / 1024,
        after / 1024
    );
    eprintln!("    health  {}", summary(&health));
    eprintln!("    encrypt {}", summary(&encrypt));

    ensure!(
        refused.keys().all(|status| matches!(status, 401 | 429)),
        "every flooder is refused with 401 or 429: {refused:?}"
    );
    ensure!(
        without_retry_after == 0,
        "{without_retry_after} answers 429 without Retry-After"
    );
    ensure!(
        peak < RSS_BOUND_KIB,
        "peak RSS {} MiB is over the bound of {} MiB",
        peak / 1024,
        RSS_BOUND_KIB / 1024
    );

    eprintln!("--- the audit log grew by a bounded number of records");
    let audit_after = audit_count(&server, &admin_auth)?;
    let grown = audit_after.saturating_sub(audit_before);
    let by_flood = grown.saturating_sub(encrypt.len());
    eprintln!(
        "    {audit_before} → {audit_after} records: {} for the app's encrypts, {by_flood} for the flood",
        encrypt.len()
    );
    ensure!(
        by_flood <= AUDIT_GROWTH_BOUND,
        "the flood added {by_flood} audit records, over the bound of {AUDIT_GROWTH_BOUND}"
    );
    Ok(())
}

/// Every audit record the sysadmin can read, counted by paging with `previous_id`.
fn audit_count(server: &CofferServer, authorization: &str) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut query = "size=1000".to_owned();
    loop {
        let response = server.raw_client().request(
            "GET",
            &format!("/sys/v1/logs?{query}"),
            &[("Authorization", authorization)],
            b"",
        )?;
        ensure!(response.status == 200, "logs answered {}", response.status);
        let body: Value = response.json()?;
        let hits = body["hits"].as_array().context("hits")?;
        let Some(last) = hits.last() else {
            return Ok(count);
        };
        count += hits.len();
        let id = last["_id"].as_str().context("an _id")?;
        query = format!("size=1000&previous_id={id}");
    }
}

/// The CPU time (user and system) process `pid` has used, in seconds.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("a stat line")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // USER_HZ is 100 on Linux.
    Ok(ticks / 100.0)
}

/// A `/proc/PID/status` field in KiB.
fn status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    line.split_whitespace()
        .nth(1)
        .context("a value")?
        .parse()
        .context("a number")
}

fn summary(samples: &[Duration]) -> String {
    let mut samples = samples.to_vec();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    format!(
        "{} requests, p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        samples.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    )
}
