//! The crate's single error type.

/// Everything that can go wrong in `coffer-crypto`.
///
/// Input validation errors carry a human-readable reason, because the caller needs to know what
/// to fix. Failures inside a cryptographic primitive carry nothing: [`CryptoError::DecryptFailed`]
/// does not say whether a tag, a padding byte or a length was wrong, so it cannot serve as an
/// oracle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A parameter is malformed: wrong IV length, unaligned input, a digest of the wrong size...
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The request is well formed but this implementation does not offer it (for example
    /// RSA signing with SHA-1, or a GCM tag shorter than 128 bits).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Key material could not be parsed or was rejected (wrong length, unknown encoding, key too
    /// small, inconsistent components).
    #[error("invalid key material: {0}")]
    InvalidKey(String),
    /// The key cannot perform the requested operation: an AES key asked to sign, a public-only
    /// key asked to decrypt, an ECDSA scheme requested of an RSA key...
    #[error("the key cannot perform this operation: {0}")]
    IncompatibleKey(String),
    /// Authenticated decryption, unwrapping, padding removal or RSA decryption failed.
    #[error("decryption failed")]
    DecryptFailed,
    /// A primitive reported an internal failure (key generation, signing...).
    #[error("cryptographic operation failed")]
    OperationFailed,
    /// The system random number generator failed.
    #[error("random number generator failed")]
    RandomFailed,
}

/// `Result` with [`CryptoError`] as the default error.
pub type Result<T, E = CryptoError> = std::result::Result<T, E>;

impl CryptoError {
    pub(crate) fn invalid_input(reason: impl Into<String>) -> Self {
        Self::InvalidInput(reason.into())
    }

    pub(crate) fn unsupported(reason: impl Into<String>) -> Self {
        Self::Unsupported(reason.into())
    }

    pub(crate) fn invalid_key(reason: impl Into<String>) -> Self {
        Self::InvalidKey(reason.into())
    }

    pub(crate) fn incompatible(reason: impl Into<String>) -> Self {
        Self::IncompatibleKey(reason.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypt_failure_says_nothing_about_the_cause() {
        assert_eq!(CryptoError::DecryptFailed.to_string(), "decryption failed");
    }

    #[test]
    fn input_errors_carry_their_reason() {
        let err = CryptoError::invalid_input("IV must be 16 bytes");
        assert_eq!(err.to_string(), "invalid input: IV must be 16 bytes");
    }
}
