//! Join tokens, kubeadm style: `abcdef.0123456789abcdef`.
//!
//! The id (first half) is public; the secret (second half) proves the joiner was given the
//! token. The cluster keeps SHA-256 of the secret to check it, and — sealed under the master key —
//! an HMAC key derived from the secret, with which it signs its CA certificate for joiners, so
//! a joiner authenticates the cluster before trusting it (no trust on first use).

use crate::vault::Purpose;
use crate::{Node, ServiceError, ServiceResult, now};
use coffer_core::JoinToken;
use coffer_crypto::DigestAlgorithm;

/// The longest a join token may live: a token is a credential to join the cluster and receive
/// its master key, so it should not outlast the join it was made for.
pub const MAX_LIFETIME_SECS: u64 = 7 * 24 * 3600;

/// Refuses a token lifetime of zero or beyond [`MAX_LIFETIME_SECS`].
pub fn check_lifetime(ttl_secs: u64) -> ServiceResult<()> {
    if ttl_secs == 0 || ttl_secs > MAX_LIFETIME_SECS {
        return Err(ServiceError::invalid(
            "--ttl: a join token lives between 1 second and 7 days (the default is 24h)",
        ));
    }
    Ok(())
}

/// The characters of both halves.
pub const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Splits `id.secret`, checking the shape.
pub fn split(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let valid = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| ALPHABET.contains(&b));
    (valid(id, 6) && valid(secret, 16)).then_some((id, secret))
}

/// SHA-256 of the secret: what the cluster keeps to check tokens.
pub fn verifier(secret: &str) -> Vec<u8> {
    coffer_crypto::digest(DigestAlgorithm::Sha256, secret.as_bytes())
}

/// The key that signs cluster information for holders of the secret.
pub fn signing_key(secret: &str) -> ServiceResult<Vec<u8>> {
    coffer_crypto::hmac(
        DigestAlgorithm::Sha256,
        secret.as_bytes(),
        b"coffer cluster-info v1",
    )
    .map_err(ServiceError::internal)
}

/// Checks a presented token against the cluster's record: known, unexpired, right secret.
pub fn check(node: &Node, token: &str) -> Result<JoinToken, String> {
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
pub fn unseal_signing_key(node: &Node, token: &JoinToken) -> Result<Vec<u8>, String> {
    node.unseal(Purpose::JoinToken(&token.id), &token.signing_key)
        .map(|s| s.expose().to_vec())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_lives_at_most_a_week() {
        assert!(check_lifetime(24 * 3600).is_ok());
        assert!(check_lifetime(MAX_LIFETIME_SECS).is_ok());
        assert!(check_lifetime(MAX_LIFETIME_SECS + 1).is_err());
        assert!(check_lifetime(0).is_err());
    }

    #[test]
    fn tokens_have_the_kubeadm_shape() {
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
