//! Test data: unique names, random bytes and their text forms.

use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// A name no other object in this test run has. Only `[a-z0-9-]`: the Rust client puts names
/// into query strings without percent-encoding.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let random = hex::encode(random_bytes(4));
    format!("{prefix}-{}-{n}-{random}", std::process::id())
}

/// `n` bytes from the system's secure generator.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    // Filling a buffer from the system RNG fails only if the OS cannot supply randomness at all;
    // the tests cannot go on without it.
    #[allow(clippy::expect_used, reason = "no randomness means no meaningful test")]
    aws_lc_rs::rand::fill(&mut bytes).expect("system randomness");
    bytes
}

/// Standard base64 with padding (what every DSM byte field carries).
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard base64 without padding.
pub fn b64_unpadded(bytes: &[u8]) -> String {
    STANDARD_NO_PAD.encode(bytes)
}

/// Decodes standard padded base64.
pub fn unb64(text: &str) -> anyhow::Result<Vec<u8>> {
    STANDARD
        .decode(text)
        .map_err(|e| anyhow::anyhow!("{text:?} is not standard padded base64: {e}"))
}

/// Decodes hex (test vectors).
pub fn unhex(text: &str) -> anyhow::Result<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(&compact).map_err(|e| anyhow::anyhow!("bad hex {text:?}: {e}"))
}

/// Every text form a secret might leak in: raw UTF-8 (if it is text), standard and URL-safe
/// base64 (padded and not), and lower- and upper-case hex.
pub fn leak_forms(secret: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
    let mut forms = vec![
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        hex::encode(secret),
        hex::encode_upper(secret),
    ];
    if let Ok(text) = std::str::from_utf8(secret) {
        forms.push(text.to_owned());
    }
    forms.sort();
    forms.dedup();
    forms
}
