//! Random bytes from the system generator (via aws-lc).

use crate::error::{CryptoError, Result};
use crate::secret::Secret;

/// Fills `dest` with random bytes.
///
/// # Errors
/// [`CryptoError::RandomFailed`] if the generator fails.
pub fn fill(dest: &mut [u8]) -> Result<()> {
    aws_lc_rs::rand::fill(dest).map_err(|_| CryptoError::RandomFailed)
}

/// Returns `len` random bytes.
///
/// # Errors
/// [`CryptoError::RandomFailed`] if the generator fails.
pub fn random_vec(len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    fill(&mut out)?;
    Ok(out)
}

/// Returns `N` random bytes as an array.
///
/// # Errors
/// [`CryptoError::RandomFailed`] if the generator fails.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// Returns `len` random bytes as a [`Secret`], for fresh key material.
///
/// # Errors
/// [`CryptoError::RandomFailed`] if the generator fails.
pub fn random_secret(len: usize) -> Result<Secret> {
    let mut out = Secret::new(vec![0u8; len]);
    fill(out.expose_mut())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_vec_has_the_requested_length() {
        assert_eq!(random_vec(0).unwrap().len(), 0);
        assert_eq!(random_vec(37).unwrap().len(), 37);
    }

    #[test]
    fn two_draws_differ() {
        let a: [u8; 32] = random_array().unwrap();
        let b: [u8; 32] = random_array().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn random_secret_is_not_all_zero() {
        let s = random_secret(32).unwrap();
        assert_eq!(s.len(), 32);
        assert!(s.expose().iter().any(|&b| b != 0));
    }
}
