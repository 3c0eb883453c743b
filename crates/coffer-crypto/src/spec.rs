//! [`KeyType`] and [`KeySpec`]: what a key is, and what to generate.

use crate::curve::Curve;
use crate::error::{CryptoError, Result};

/// The kind of a key, without its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// AES, 128/192/256-bit.
    Aes,
    /// An HMAC key.
    Hmac,
    /// Opaque secret bytes; no cryptographic operations.
    Secret,
    /// RSA.
    Rsa,
    /// An elliptic-curve (ECDSA) key on a NIST curve.
    Ec,
}

/// The RSA public exponent every generated key uses.
pub const RSA_PUBLIC_EXPONENT: u32 = 65_537;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// An AES key of 128, 192 or 256 bits.
    Aes {
        /// Key length in bits.
        bits: u32,
    },
    /// An HMAC key: a multiple of 8 bits from 112 to 8192.
    Hmac {
        /// Key length in bits.
        bits: u32,
    },
    /// Random secret bytes, 1 to [`KeySpec::MAX_SECRET_BYTES`].
    Secret {
        /// Length in bytes.
        bytes: usize,
    },
    /// An RSA key of 2048, 3072, 4096 or 8192 bits; the exponent must be 65537.
    Rsa {
        /// Modulus length in bits.
        bits: u32,
        /// Public exponent; only [`RSA_PUBLIC_EXPONENT`] is supported.
        public_exponent: u32,
    },
    /// An ECDSA key on `Curve`.
    Ec(Curve),
}

impl KeySpec {
    /// Largest [`KeySpec::Secret`] generated, in bytes.
    pub const MAX_SECRET_BYTES: usize = 64 * 1024;
    /// Smallest HMAC key generated, in bits.
    pub const MIN_HMAC_BITS: u32 = 112;
    /// Largest HMAC key generated or imported, in bits.
    pub const MAX_HMAC_BITS: u32 = 8192;

    /// An RSA spec with the standard exponent.
    pub fn rsa(bits: u32) -> Self {
        Self::Rsa {
            bits,
            public_exponent: RSA_PUBLIC_EXPONENT,
        }
    }

    /// The key type this spec produces.
    pub fn key_type(&self) -> KeyType {
        match self {
            Self::Aes { .. } => KeyType::Aes,
            Self::Hmac { .. } => KeyType::Hmac,
            Self::Secret { .. } => KeyType::Secret,
            Self::Rsa { .. } => KeyType::Rsa,
            Self::Ec(_) => KeyType::Ec,
        }
    }

    /// Checks the parameters, without generating anything.
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] for a size outside the ranges documented on each variant,
    /// [`CryptoError::Unsupported`] for an RSA exponent other than 65537.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Self::Aes { bits } => {
                if !matches!(bits, 128 | 192 | 256) {
                    return Err(CryptoError::invalid_input(format!(
                        "AES keys are 128, 192 or 256 bits, not {bits}"
                    )));
                }
            }
            Self::Hmac { bits } => {
                if !bits.is_multiple_of(8)
                    || !(Self::MIN_HMAC_BITS..=Self::MAX_HMAC_BITS).contains(&bits)
                {
                    return Err(CryptoError::invalid_input(format!(
                        "HMAC keys are a multiple of 8 bits from {} to {}, not {bits}",
                        Self::MIN_HMAC_BITS,
                        Self::MAX_HMAC_BITS
                    )));
                }
            }
            Self::Secret { bytes } => {
                if bytes == 0 || bytes > Self::MAX_SECRET_BYTES {
                    return Err(CryptoError::invalid_input(format!(
                        "secrets are 1 to {} bytes, not {bytes}",
                        Self::MAX_SECRET_BYTES
                    )));
                }
            }
            Self::Rsa {
                bits,
                public_exponent,
            } => {
                if !matches!(bits, 2048 | 3072 | 4096 | 8192) {
                    return Err(CryptoError::invalid_input(format!(
                        "RSA keys are 2048, 3072, 4096 or 8192 bits, not {bits}"
                    )));
                }
                if public_exponent != RSA_PUBLIC_EXPONENT {
                    return Err(CryptoError::unsupported(format!(
                        "RSA public exponent {public_exponent} (only 65537)"
                    )));
                }
            }
            Self::Ec(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_sizes_are_accepted() {
        for spec in [
            KeySpec::Aes { bits: 128 },
            KeySpec::Aes { bits: 192 },
            KeySpec::Aes { bits: 256 },
            KeySpec::Hmac { bits: 112 },
            KeySpec::Hmac { bits: 8192 },
            KeySpec::Secret { bytes: 1 },
            KeySpec::rsa(2048),
            KeySpec::rsa(4096),
            KeySpec::Ec(Curve::P521),
        ] {
            assert_eq!(spec.validate(), Ok(()), "{spec:?}");
        }
    }

    #[test]
    fn odd_sizes_are_refused() {
        for spec in [
            KeySpec::Aes { bits: 64 },
            KeySpec::Hmac { bits: 104 },
            KeySpec::Hmac { bits: 121 },
            KeySpec::Hmac { bits: 8200 },
            KeySpec::Secret { bytes: 0 },
            KeySpec::rsa(1024),
            KeySpec::rsa(2047),
        ] {
            assert!(
                matches!(spec.validate(), Err(CryptoError::InvalidInput(_))),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn rsa_exponents_other_than_f4_are_unsupported() {
        let spec = KeySpec::Rsa {
            bits: 2048,
            public_exponent: 3,
        };
        assert!(matches!(spec.validate(), Err(CryptoError::Unsupported(_))));
    }

    #[test]
    fn specs_know_their_key_type() {
        assert_eq!(KeySpec::Ec(Curve::P256).key_type(), KeyType::Ec);
        assert_eq!(KeySpec::rsa(2048).key_type(), KeyType::Rsa);
    }
}
