//! The server scenarios: key setup, a correctness probe, then closed-loop load
//! from many keep-alive connections with one request in flight on each.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use aws_lc_rs::{digest, rand, signature};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http::Method;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::client::Conn;
use crate::cpu;

/// One benchmarked operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Scenario {
    /// AES-256-GCM encryption of 256 random bytes.
    Encrypt,
    /// RSA-2048 PKCS#1 v1.5 signature over a SHA-256 digest.
    RsaSign,
    /// ECDSA P-256 signature over a SHA-256 digest.
    EcSign,
    /// Generation of a new AES-256 key.
    Keygen,
}

impl Scenario {
    /// Every scenario, in report order.
    pub(crate) const ALL: [Scenario; 4] = [
        Scenario::Encrypt,
        Scenario::RsaSign,
        Scenario::EcSign,
        Scenario::Keygen,
    ];

    /// Short name, as on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Encrypt => "encrypt",
            Scenario::RsaSign => "rsa-sign",
            Scenario::EcSign => "ec-sign",
            Scenario::Keygen => "keygen",
        }
    }

    /// What one operation is.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Scenario::Encrypt => "AES-256-GCM encrypt, 256 random bytes",
            Scenario::RsaSign => "RSA-2048 PKCS#1 v1.5 sign, SHA-256 prehashed",
            Scenario::EcSign => "ECDSA P-256 sign, SHA-256 prehashed",
            Scenario::Keygen => "AES-256 key generation (unique names)",
        }
    }
}

/// Figures of one scenario against the server.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct ServerResult {
    /// Successful (2xx) operations completed inside the measured window.
    pub(crate) ops: u64,
    /// Length of the measured window in seconds.
    pub(crate) seconds: f64,
    /// `ops / seconds`.
    pub(crate) ops_per_sec: f64,
    /// Latency percentiles of successful operations, microseconds.
    pub(crate) p50_us: u64,
    /// 99th percentile, microseconds.
    pub(crate) p99_us: u64,
    /// Maximum, microseconds.
    pub(crate) max_us: u64,
    /// Mean, microseconds.
    pub(crate) mean_us: f64,
    /// Failed operations (non-2xx or transport failure) inside the window.
    pub(crate) errors: u64,
    /// The first failure seen, warm-up included.
    pub(crate) first_error: Option<String>,
    /// Average cores used by this benchmark process during the window.
    pub(crate) client_cores: Option<f64>,
    /// Average cores used by the server process during the window.
    pub(crate) server_cores: Option<f64>,
}

/// Timing of a load run.
#[derive(Clone, Debug)]
pub(crate) struct LoadConfig {
    /// Load applied before measuring.
    pub(crate) warmup: Duration,
    /// Measured window.
    pub(crate) duration: Duration,
    /// Server processes to observe for CPU use (empty when not local).
    pub(crate) server_pids: Vec<u32>,
}

/// What each connection sends.
enum Workload {
    /// The same path with bodies taken round-robin from a pool.
    Pool { path: String, bodies: Vec<Bytes> },
    /// Key generation with a fresh name per request.
    Keygen { prefix: String },
}

const KEYS_PATH: &str = "/crypto/v1/keys";
const BODY_POOL: usize = 64;

impl Workload {
    fn next(&self, conn: usize, seq: u64) -> (&str, Bytes) {
        match self {
            Workload::Pool { path, bodies } => {
                let i = (conn as u64).wrapping_add(seq) % bodies.len() as u64;
                (path, bodies[i as usize].clone())
            }
            Workload::Keygen { prefix } => {
                let body = json!({
                    "name": format!("{prefix}-{conn}-{seq}"),
                    "obj_type": "AES",
                    "key_size": 256,
                });
                (KEYS_PATH, Bytes::from(body.to_string()))
            }
        }
    }
}

fn random_bytes(len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    rand::fill(&mut buf).map_err(|_| anyhow!("system random generator failed"))?;
    Ok(buf)
}

fn b64_field(v: &Value, field: &str) -> Result<Vec<u8>> {
    let s = v
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("response has no {field:?}: {v}"))?;
    B64.decode(s)
        .with_context(|| format!("{field:?} is not standard base64"))
}

async fn post_json(conn: &mut Conn, path: &str, body: &Value) -> Result<Value> {
    conn.request(Method::POST, path, Some(Bytes::from(body.to_string())))
        .await?
        .success()
        .with_context(|| format!("POST {path}"))?
        .json()
}

/// Creates a key and returns the Sobject JSON.
async fn create_key(conn: &mut Conn, body: Value) -> Result<(String, Value)> {
    let obj = post_json(conn, KEYS_PATH, &body).await?;
    let kid = obj
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("created key has no kid: {obj}"))?
        .to_owned();
    Ok((kid, obj))
}

/// Deletes a key, ignoring failures (it only matters on a long-lived server).
async fn delete_key(conn: &mut Conn, kid: &str) {
    let _ = conn
        .request(Method::DELETE, &format!("{KEYS_PATH}/{kid}"), None)
        .await;
}

/// Encrypts once, checks the answer's shape and that it decrypts back.
async fn probe_encrypt(conn: &mut Conn, kid: &str) -> Result<()> {
    let plain = random_bytes(256)?;
    let enc = post_json(
        conn,
        &format!("/crypto/v1/keys/{kid}/encrypt"),
        &json!({"alg": "AES", "mode": "GCM", "plain": B64.encode(&plain), "tag_len": 128}),
    )
    .await?;
    let cipher = b64_field(&enc, "cipher")?;
    let tag = b64_field(&enc, "tag")?;
    let iv = b64_field(&enc, "iv")?;
    ensure!(
        cipher.len() == 256,
        "cipher is {} bytes, not 256",
        cipher.len()
    );
    ensure!(tag.len() == 16, "tag is {} bytes, not 16", tag.len());
    ensure!(iv.len() == 12, "generated iv is {} bytes, not 12", iv.len());
    let dec = post_json(
        conn,
        &format!("/crypto/v1/keys/{kid}/decrypt"),
        &json!({"alg": "AES", "mode": "GCM", "cipher": B64.encode(&cipher),
                "iv": B64.encode(&iv), "tag": B64.encode(&tag)}),
    )
    .await?;
    ensure!(
        b64_field(&dec, "plain")? == plain,
        "decrypt did not return the plaintext"
    );
    Ok(())
}

/// Signs once and verifies the signature locally against the key's `pub_key`.
async fn probe_sign(
    conn: &mut Conn,
    kid: &str,
    key: &Value,
    alg: &'static dyn signature::VerificationAlgorithm,
) -> Result<()> {
    let message = random_bytes(64)?;
    let hash = digest::digest(&digest::SHA256, &message);
    let resp = post_json(
        conn,
        &format!("/crypto/v1/keys/{kid}/sign"),
        &json!({"hash_alg": "SHA256", "hash": B64.encode(hash.as_ref())}),
    )
    .await?;
    let sig = b64_field(&resp, "signature")?;
    let pub_key = b64_field(key, "pub_key").context("cannot check the signature")?;
    signature::UnparsedPublicKey::new(alg, &pub_key)
        .verify(&message, &sig)
        .map_err(|_| anyhow!("signature does not verify against the key's pub_key"))
}

fn sign_pool(kid: &str) -> Result<Workload> {
    let bodies = (0..BODY_POOL)
        .map(|_| {
            let hash = random_bytes(32)?;
            Ok(Bytes::from(
                json!({"hash_alg": "SHA256", "hash": B64.encode(hash)}).to_string(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Workload::Pool {
        path: format!("/crypto/v1/keys/{kid}/sign"),
        bodies,
    })
}

/// Creates what the scenario needs and checks one operation end to end.
/// Returns the workload and the kid to delete afterwards.
async fn prepare(
    conn: &mut Conn,
    scenario: Scenario,
    prefix: &str,
) -> Result<(Workload, Option<String>)> {
    let name = format!("{prefix}-{}", scenario.name());
    match scenario {
        Scenario::Encrypt => {
            let body = json!({"name": name, "obj_type": "AES", "key_size": 256});
            let (kid, _) = create_key(conn, body).await?;
            if let Err(e) = probe_encrypt(conn, &kid).await {
                delete_key(conn, &kid).await;
                return Err(e.context("encrypt probe"));
            }
            let bodies = (0..BODY_POOL)
                .map(|_| {
                    let plain = random_bytes(256)?;
                    Ok(Bytes::from(
                        json!({"alg": "AES", "mode": "GCM", "plain": B64.encode(plain),
                               "tag_len": 128})
                        .to_string(),
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            let path = format!("/crypto/v1/keys/{kid}/encrypt");
            Ok((Workload::Pool { path, bodies }, Some(kid)))
        }
        Scenario::RsaSign => {
            let body = json!({"name": name, "obj_type": "RSA", "key_size": 2048});
            let (kid, key) = create_key(conn, body).await?;
            if let Err(e) =
                probe_sign(conn, &kid, &key, &signature::RSA_PKCS1_2048_8192_SHA256).await
            {
                delete_key(conn, &kid).await;
                return Err(e.context("RSA sign probe"));
            }
            Ok((sign_pool(&kid)?, Some(kid)))
        }
        Scenario::EcSign => {
            let body = json!({"name": name, "obj_type": "EC", "elliptic_curve": "NistP256"});
            let (kid, key) = create_key(conn, body).await?;
            if let Err(e) = probe_sign(conn, &kid, &key, &signature::ECDSA_P256_SHA256_ASN1).await {
                delete_key(conn, &kid).await;
                return Err(e.context("EC sign probe"));
            }
            Ok((sign_pool(&kid)?, Some(kid)))
        }
        Scenario::Keygen => {
            let body = json!({"name": format!("{name}-probe"), "obj_type": "AES", "key_size": 256});
            let (kid, _) = create_key(conn, body).await.context("keygen probe")?;
            Ok((Workload::Keygen { prefix: name }, Some(kid)))
        }
    }
}

/// What one connection measured.
struct ConnOutcome {
    index: usize,
    conn: Conn,
    hist: Histogram<u64>,
    ok: u64,
    errors: u64,
}

fn new_histogram() -> Result<Histogram<u64>> {
    // 1 µs .. 1 h, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).context("histogram")
}

/// Closed loop on one connection until `end`; counts what completes in
/// `[measure_start, end]`.
async fn drive(
    index: usize,
    mut conn: Conn,
    workload: Arc<Workload>,
    measure_start: Instant,
    end: Instant,
    first_error: Arc<OnceLock<String>>,
) -> Result<ConnOutcome> {
    let mut hist = new_histogram()?;
    let (mut ok, mut errors, mut seq) = (0u64, 0u64, 0u64);
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let (path, body) = workload.next(index, seq);
        seq += 1;
        let result = conn.request(Method::POST, path, Some(body)).await;
        let t1 = Instant::now();
        let counted = t1 >= measure_start && t1 <= end;
        match result {
            Ok(reply) if reply.status.is_success() => {
                if counted {
                    let us = u64::try_from(t1.duration_since(t0).as_micros()).unwrap_or(u64::MAX);
                    hist.saturating_record(us.max(1));
                    ok += 1;
                }
            }
            Ok(reply) => {
                if counted {
                    errors += 1;
                }
                let _ = first_error.set(format!(
                    "POST {path} -> HTTP {}: {}",
                    reply.status,
                    reply.text(500)
                ));
            }
            Err(e) => {
                if counted {
                    errors += 1;
                }
                let _ = first_error.set(format!("POST {path} -> {e:#}"));
                // Do not spin on a dead server.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    Ok(ConnOutcome {
        index,
        conn,
        hist,
        ok,
        errors,
    })
}

/// Runs one scenario over every connection in `conns` (which are returned in
/// place afterwards). The first connection also does the setup.
pub(crate) async fn run(
    conns: &mut Vec<Conn>,
    scenario: Scenario,
    prefix: &str,
    cfg: LoadConfig,
) -> Result<ServerResult> {
    let first = conns.first_mut().ok_or_else(|| anyhow!("no connections"))?;
    let (workload, cleanup) = prepare(first, scenario, prefix)
        .await
        .with_context(|| format!("{} setup", scenario.name()))?;
    let workload = Arc::new(workload);
    let first_error = Arc::new(OnceLock::new());

    let start = Instant::now();
    let measure_start = start + cfg.warmup;
    let end = measure_start + cfg.duration;

    let server_pids = cfg.server_pids;
    let sampler = tokio::spawn(async move {
        tokio::time::sleep_until(measure_start.into()).await;
        let a = cpu::Sample::take(&server_pids);
        tokio::time::sleep_until(end.into()).await;
        let b = cpu::Sample::take(&server_pids);
        (a, b)
    });

    let mut tasks = JoinSet::new();
    for (index, conn) in conns.drain(..).enumerate() {
        tasks.spawn(drive(
            index,
            conn,
            workload.clone(),
            measure_start,
            end,
            first_error.clone(),
        ));
    }

    let mut hist = new_histogram()?;
    let (mut ok, mut errors) = (0u64, 0u64);
    let mut returned = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.context("load task failed")??;
        hist.add(&outcome.hist).context("merging histograms")?;
        ok += outcome.ok;
        errors += outcome.errors;
        returned.push((outcome.index, outcome.conn));
    }
    returned.sort_by_key(|(i, _)| *i);
    conns.extend(returned.into_iter().map(|(_, c)| c));

    let (a, b) = sampler.await.context("cpu sampler")?;
    let seconds = cfg.duration.as_secs_f64();
    let (client_cores, server_cores) = a.cores_until(&b, seconds);
    let round3 = |v: f64| (v * 1000.0).round() / 1000.0;

    if let (Some(kid), Some(conn)) = (cleanup, conns.first_mut()) {
        delete_key(conn, &kid).await;
    }

    if ok == 0 && errors == 0 {
        bail!("no request completed in the measured window");
    }
    let first_error = first_error.get().cloned();
    Ok(ServerResult {
        ops: ok,
        seconds,
        ops_per_sec: ok as f64 / seconds,
        p50_us: hist.value_at_quantile(0.50),
        p99_us: hist.value_at_quantile(0.99),
        max_us: hist.max(),
        mean_us: (hist.mean() * 10.0).round() / 10.0,
        errors,
        first_error,
        client_cores: client_cores.map(round3),
        server_cores: server_cores.map(round3),
    })
}
