//! User passwords at rest: argon2id hashes in the PHC string format.
//!
//! Hashing and verifying are CPU-heavy by design (tens of milliseconds); callers run them off
//! async workers.

use crate::error::{CryptoError, Result};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, Salt, SaltString};

/// Hashes `password` with argon2id (default parameters) and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            let _ = error;
            CryptoError::OperationFailed
        })
}

/// Hashes `password` under a given salt (unpadded standard base64, at least 4 bytes), for hashes
/// that must be recognisable by their salt.
pub fn hash_password_with_salt(password: &str, salt_b64: &str) -> Result<String> {
    let salt = Salt::from_b64(salt_b64)
        .map_err(|error| CryptoError::InvalidInput(format!("password salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            let _ = error;
            CryptoError::OperationFailed
        })
}

/// True when `password` matches `hash`; false also when `hash` is not a valid PHC string. The
/// comparison inside argon2 is constant-time.
#[must_use]
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The salt of a PHC hash string (base64 as stored), if it is one and has a salt.
#[must_use]
pub fn password_hash_salt(hash: &str) -> Option<String> {
    PasswordHash::new(hash)
        .ok()
        .and_then(|parsed| parsed.salt.map(|salt| salt.as_str().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("Correct horse 9").expect("hashing works");
        assert!(verify_password("Correct horse 9", &hash));
        assert!(!verify_password("Correct horse 8", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn a_chosen_salt_is_kept_and_readable() {
        let hash = hash_password_with_salt("x", "c29tZXNhbHQ").expect("hashing works");
        assert_eq!(password_hash_salt(&hash).as_deref(), Some("c29tZXNhbHQ"));
        assert!(verify_password("x", &hash));
        assert_eq!(password_hash_salt("not a hash"), None);
    }
}
