//! User passwords: their hashes (argon2id, in coffer-crypto) and the password policy.

/// A valid hash of a password nobody knows; verified against when a login names an unknown
/// user, so that the time taken does not tell which users exist.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kq2m1hmGg3cO6bhb3mUGwwQXcsn8IzeYkF4Ky8xgq1E";

/// Hashes a password with argon2id and a random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    Ok(coffer_crypto::hash_password(password)?)
}

/// True when `password` matches the stored hash (constant-time inside argon2).
pub fn verify(password: &str, hash: &str) -> bool {
    coffer_crypto::verify_password(password, hash)
}

/// Why a password is refused, or `None` when it is acceptable.
pub fn policy_violation(password: &str) -> Option<&'static str> {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if password.chars().count() < 12 {
        Some("the password must be at least 12 characters long")
    } else if classes.iter().filter(|&&c| c).count() < 3 {
        Some("the password must mix at least three of: lower case, upper case, digits, symbols")
    } else {
        None
    }
}

/// A random password that satisfies the policy.
pub fn generate() -> anyhow::Result<String> {
    let bytes = coffer_crypto::random::random_vec(18)?;
    let body: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Ok(format!("Cf-{body}-9a"))
}

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash("Correct horse 9").expect("hashing works");
        assert!(verify("Correct horse 9", &hash));
        assert!(!verify("Correct horse 8", &hash));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_is_a_valid_hash() {
        assert!(coffer_crypto::password_hash_salt(DUMMY_HASH).is_some());
    }

    #[test]
    fn generated_passwords_satisfy_the_policy() {
        assert_eq!(policy_violation(&generate().expect("randomness")), None);
        assert!(policy_violation("short").is_some());
        assert!(policy_violation("alllowercaseletters").is_some());
    }
}
