//! Join tokens, kubeadm style: `abcdef.0123456789abcdef`.
//!
//! The id (first half) is public; the secret (second half) proves the joiner was given the
//! token. The cluster keeps SHA-256 of the secret to check it, and — sealed under the master key —
//! an HMAC key derived from the secret, with which it signs its CA certificate for joiners, so
//! a joiner authenticates the cluster before trusting it (no trust on first use).

use super::{admin_error, ok};
use coffer_admin::{AdminError, TokenCreated, TokenInfo};
use coffer_core::{Command, JoinToken, UnixTime};
use coffer_crypto::DigestAlgorithm;
use coffer_node::vault::Purpose;
use coffer_node::{Node, now};
use std::sync::Arc;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Creates a token.
pub(crate) async fn create(
    node: Arc<Node>,
    ttl_secs: u64,
) -> Result<serde_json::Value, AdminError> {
    if ttl_secs == 0 || ttl_secs > 365 * 24 * 3600 {
        return Err(admin_error(
            "the token lifetime must be between 1 second and 365 days",
            None,
        ));
    }
    let id = random_text(6)?;
    let secret = random_text(16)?;
    let created_at = now();
    let expires_at = UnixTime(created_at.0 + ttl_secs);
    let signing_key = signing_key(&secret)?;
    let token = JoinToken {
        verifier: verifier(&secret),
        signing_key: node
            .seal(Purpose::JoinToken(&id), &signing_key)
            .map_err(|e| admin_error(e.to_string(), None))?,
        id: id.clone(),
        created_at,
        expires_at,
    };
    node.propose(Command::CreateJoinToken {
        token,
        at: created_at,
    })
    .await
    .map_err(|e| {
        admin_error(
            format!("could not store the token: {e}"),
            Some("check `sdkms-cluster status`"),
        )
    })?;
    ok(&TokenCreated {
        token: format!("{id}.{secret}"),
        expires_at: expires_at.0,
    })
}

/// Lists unexpired tokens (ids and times only).
pub(crate) async fn list(node: Arc<Node>) -> Result<serde_json::Value, AdminError> {
    let state = node.cluster.state();
    let state = state.read();
    let at = now();
    let tokens: Vec<TokenInfo> = state
        .cluster()
        .map(|c| {
            c.tokens
                .values()
                .filter(|t| t.expires_at > at)
                .map(|t| TokenInfo {
                    id: t.id.clone(),
                    created_at: t.created_at.0,
                    expires_at: t.expires_at.0,
                })
                .collect()
        })
        .unwrap_or_default();
    ok(&tokens)
}

/// Splits `id.secret`, checking the shape.
pub(crate) fn split(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let valid = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| ALPHABET.contains(&b));
    (valid(id, 6) && valid(secret, 16)).then_some((id, secret))
}

/// SHA-256 of the secret: what the cluster keeps to check tokens.
pub(crate) fn verifier(secret: &str) -> Vec<u8> {
    coffer_crypto::digest(DigestAlgorithm::Sha256, secret.as_bytes())
}

/// The key that signs cluster information for holders of the secret.
pub(crate) fn signing_key(secret: &str) -> Result<Vec<u8>, AdminError> {
    coffer_crypto::hmac(
        DigestAlgorithm::Sha256,
        secret.as_bytes(),
        b"coffer cluster-info v1",
    )
    .map_err(|e| admin_error(format!("internal error: {e}"), None))
}

/// Checks a presented token against the cluster's record: known, unexpired, right secret.
pub(crate) fn check(node: &Node, token: &str) -> Result<JoinToken, String> {
    let (id, secret) =
        split(token).ok_or("the token is malformed (expected abcdef.0123456789abcdef)")?;
    let state = node.cluster.state();
    let state = state.read();
    let record = state
        .cluster()
        .and_then(|c| c.tokens.get(id))
        .cloned()
        .ok_or("the token is unknown or expired")?;
    if record.expires_at <= now() {
        return Err(
            "the token has expired; create a new one with `sdkms-cluster token create`".into(),
        );
    }
    if !coffer_crypto::constant_time_eq(&verifier(secret), &record.verifier) {
        return Err("the token is unknown or expired".into());
    }
    Ok(record)
}

/// Unseals a token's signing key.
pub(crate) fn unseal_signing_key(node: &Node, token: &JoinToken) -> Result<Vec<u8>, String> {
    node.unseal(Purpose::JoinToken(&token.id), &token.signing_key)
        .map(|s| s.expose().to_vec())
        .map_err(|e| e.to_string())
}

fn random_text(len: usize) -> Result<String, AdminError> {
    // 252 is the largest multiple of 36 below 256: rejecting larger bytes keeps it uniform.
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let bytes = coffer_crypto::random::random_vec(len * 2)
            .map_err(|e| admin_error(format!("no randomness: {e}"), None))?;
        out.extend(
            bytes
                .into_iter()
                .filter(|b| *b < 252)
                .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char),
        );
    }
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_kubeadm_shape() {
        let token = format!("{}.{}", random_text(6).unwrap(), random_text(16).unwrap());
        assert!(split(&token).is_some(), "{token}");
        assert!(split("525073.715ecf923e4ae1db").is_some());
        assert!(split("ABCDEF.715ecf923e4ae1db").is_none());
        assert!(split("52507.715ecf923e4ae1db").is_none());
        assert!(split("nodot").is_none());
    }

    #[test]
    fn the_verifier_and_signing_key_depend_on_the_secret() {
        assert_ne!(verifier("a"), verifier("b"));
        assert_ne!(signing_key("a").unwrap(), signing_key("b").unwrap());
    }
}
