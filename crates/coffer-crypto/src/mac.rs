//! HMAC and constant-time comparison.

use aws_lc_rs::{constant_time, hmac as lc_hmac};

use crate::digest::DigestAlgorithm;
use crate::error::{CryptoError, Result};

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

pub(crate) fn hmac_algorithm(alg: DigestAlgorithm) -> Result<lc_hmac::Algorithm> {
    alg.lc_hmac()
        .ok_or_else(|| CryptoError::unsupported(format!("HMAC with {alg:?}")))
}

/// Computes HMAC-`alg` of `data` under `key`.
///
/// # Errors
/// [`CryptoError::Unsupported`] for the SHA-3 family, which aws-lc offers no HMAC for.
pub fn hmac(alg: DigestAlgorithm, key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let key = lc_hmac::Key::new(hmac_algorithm(alg)?, key);
    Ok(lc_hmac::sign(&key, data).as_ref().to_vec())
}

/// Checks a full-length HMAC-`alg` tag in constant time.
///
/// Truncated tags are refused: `mac` must be exactly the digest length. Returns `Ok(false)`
/// for a wrong or wrongly sized tag.
///
/// # Errors
/// [`CryptoError::Unsupported`] for the SHA-3 family.
pub fn hmac_verify(alg: DigestAlgorithm, key: &[u8], data: &[u8], mac: &[u8]) -> Result<bool> {
    let key = lc_hmac::Key::new(hmac_algorithm(alg)?, key);
    Ok(lc_hmac::verify(&key, data, mac).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_slices_compare_equal() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn different_contents_or_lengths_compare_unequal() {
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"samey"));
    }

    #[test]
    fn a_computed_tag_verifies() {
        let tag = hmac(DigestAlgorithm::Sha256, b"key", b"data").unwrap();
        assert_eq!(tag.len(), 32);
        assert!(hmac_verify(DigestAlgorithm::Sha256, b"key", b"data", &tag).unwrap());
    }

    #[test]
    fn a_truncated_or_altered_tag_does_not_verify() {
        let mut tag = hmac(DigestAlgorithm::Sha384, b"key", b"data").unwrap();
        assert!(!hmac_verify(DigestAlgorithm::Sha384, b"key", b"data", &tag[..24]).unwrap());
        tag[0] ^= 1;
        assert!(!hmac_verify(DigestAlgorithm::Sha384, b"key", b"data", &tag).unwrap());
    }

    #[test]
    fn hmac_over_sha3_is_unsupported() {
        assert!(matches!(
            hmac(DigestAlgorithm::Sha3_256, b"k", b"d"),
            Err(CryptoError::Unsupported(_))
        ));
    }
}
