//! The baseline: the same operations called directly on aws-lc-rs, one thread
//! per available core, each running the operation in a loop.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::rand;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use serde::Serialize;

use crate::scenarios::Scenario;

/// Figures of one scenario run directly on aws-lc-rs.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RawResult {
    /// Threads used (one per available core).
    pub(crate) threads: usize,
    /// Operations done by all threads.
    pub(crate) ops: u64,
    /// Longest thread run time, seconds.
    pub(crate) seconds: f64,
    /// Sum over threads of each thread's ops/s.
    pub(crate) ops_per_sec: f64,
    /// Mean time of one operation on one core, nanoseconds.
    pub(crate) ns_per_op: f64,
    /// What exactly was measured, where it differs from the server operation.
    pub(crate) note: &'static str,
}

/// Iterations between two clock reads.
const BATCH: u64 = 8;

type Op<'a> = Box<dyn FnMut() -> Result<()> + 'a>;

fn fill(buf: &mut [u8]) -> Result<()> {
    rand::fill(buf).map_err(|_| anyhow!("system random generator failed"))
}

fn aes_key(bytes: &[u8]) -> Result<LessSafeKey> {
    let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| anyhow!("AES key"))?;
    Ok(LessSafeKey::new(key))
}

/// Seals `buf` in place under `key` with a fresh random 96-bit nonce, as the
/// server does when the request carries no IV.
fn seal(key: &LessSafeKey, buf: &mut [u8]) -> Result<()> {
    let mut nonce = [0u8; 12];
    fill(&mut nonce)?;
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), buf)
        .map_err(|_| anyhow!("AES-GCM seal failed"))?;
    let _ = black_box(tag);
    Ok(())
}

/// Key material shared by all threads (generated once, outside the timing).
enum Material {
    Aes([u8; 32]),
    Rsa(RsaKeyPair, Digest),
    Ec(EcdsaKeyPair, Digest),
}

impl Material {
    fn new(scenario: Scenario) -> Result<Self> {
        let mut hash = [0u8; 32];
        fill(&mut hash)?;
        let digest = Digest::import_less_safe(&hash, &digest::SHA256)
            .map_err(|_| anyhow!("digest import"))?;
        Ok(match scenario {
            Scenario::Encrypt | Scenario::Keygen => {
                let mut key = [0u8; 32];
                fill(&mut key)?;
                Material::Aes(key)
            }
            Scenario::RsaSign => Material::Rsa(
                RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow!("RSA keygen"))?,
                digest,
            ),
            Scenario::EcSign => Material::Ec(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|_| anyhow!("EC keygen"))?,
                digest,
            ),
        })
    }

    /// Builds one thread's operation.
    fn op(&self, scenario: Scenario) -> Result<Op<'_>> {
        Ok(match (self, scenario) {
            (Material::Aes(key), Scenario::Encrypt) => {
                let key = aes_key(key)?;
                let mut plain = [0u8; 256];
                fill(&mut plain)?;
                let mut buf = Vec::with_capacity(plain.len() + 16);
                Box::new(move || {
                    buf.clear();
                    buf.extend_from_slice(&plain);
                    seal(&key, &mut buf)
                })
            }
            (Material::Aes(wrapping), Scenario::Keygen) => {
                let wrapping = aes_key(wrapping)?;
                let mut buf = Vec::with_capacity(32 + 16);
                Box::new(move || {
                    let mut key = [0u8; 32];
                    fill(&mut key)?;
                    buf.clear();
                    buf.extend_from_slice(&key);
                    seal(&wrapping, &mut buf)
                })
            }
            (Material::Rsa(pair, digest), _) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                Box::new(move || {
                    pair.sign_digest(&RSA_PKCS1_SHA256, digest, &mut sig)
                        .map_err(|_| anyhow!("RSA sign failed"))?;
                    black_box(&sig);
                    Ok(())
                })
            }
            (Material::Ec(pair, digest), _) => Box::new(move || {
                let sig = pair
                    .sign_digest(digest)
                    .map_err(|_| anyhow!("ECDSA sign failed"))?;
                black_box(sig);
                Ok(())
            }),
            (Material::Aes(_), _) => return Err(anyhow!("no AES operation for {scenario:?}")),
        })
    }
}

fn note(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::Encrypt => "LessSafeKey::seal_in_place_separate_tag, random 96-bit nonce each",
        Scenario::RsaSign => "RsaKeyPair::sign_digest(RSA_PKCS1_SHA256) on a SHA-256 digest",
        Scenario::EcSign => "EcdsaKeyPair::sign_digest (P-256, ASN.1) on a SHA-256 digest",
        Scenario::Keygen => {
            "nearest raw equivalent: 32 random bytes sealed under a wrapping key (AES-256-GCM)"
        }
    }
}

/// Runs `scenario` on `threads` threads for `duration` each.
pub(crate) fn measure(scenario: Scenario, threads: usize, duration: Duration) -> Result<RawResult> {
    let material = Material::new(scenario)?;
    let barrier = Barrier::new(threads);
    let per_thread: Vec<Result<(u64, Duration)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<(u64, Duration)> {
                    let op = material.op(scenario);
                    // Everyone waits, even a thread whose setup failed.
                    barrier.wait();
                    let mut op = op?;
                    let start = Instant::now();
                    let deadline = start + duration;
                    let mut n = 0u64;
                    loop {
                        for _ in 0..BATCH {
                            op()?;
                        }
                        n += BATCH;
                        if Instant::now() >= deadline {
                            break;
                        }
                    }
                    Ok((n, start.elapsed()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("raw thread panicked")))
            })
            .collect()
    });

    let (mut ops, mut rate, mut seconds) = (0u64, 0f64, 0f64);
    for r in per_thread {
        let (n, elapsed) = r?;
        let secs = elapsed.as_secs_f64();
        ops += n;
        rate += n as f64 / secs;
        seconds = seconds.max(secs);
    }
    let round = |v: f64, digits: i32| {
        let f = 10f64.powi(digits);
        (v * f).round() / f
    };
    Ok(RawResult {
        threads,
        ops,
        seconds: round(seconds, 3),
        ops_per_sec: round(rate, 1),
        ns_per_op: round(threads as f64 * 1e9 / rate, 1),
        note: note(scenario),
    })
}
