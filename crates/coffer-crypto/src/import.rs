//! [`import`]: outside key material into its canonical stored encoding.

use crate::curve::Curve;
use crate::error::{CryptoError, Result};
use crate::secret::Secret;
use crate::spec::{KeySpec, KeyType};
use crate::{ecdsa, rsa};

/// An imported key, normalized.
///
/// `material` is in the same canonical encoding [`generate`](crate::generate) produces (raw /
/// PKCS#1 / RFC 5915), or `None` when only a public key was imported.
#[derive(Debug)]
pub struct ImportedKey {
    /// The private or secret material; `None` for a public-only key.
    pub material: Option<Secret>,
    /// SubjectPublicKeyInfo DER, for RSA and EC keys.
    pub public_key: Option<Vec<u8>>,
    /// Size in bits, inferred from the material.
    pub key_size_bits: u32,
    /// The curve, inferred from the material, for EC keys.
    pub curve: Option<Curve>,
}

impl ImportedKey {
    /// True when only the public half was imported.
    pub fn is_public_only(&self) -> bool {
        self.material.is_none()
    }
}

fn symmetric(value: &[u8]) -> Result<ImportedKey> {
    let key_size_bits = u32::try_from(value.len() * 8)
        .map_err(|_| CryptoError::invalid_key("key material too long"))?;
    Ok(ImportedKey {
        material: Some(Secret::from_slice(value)),
        public_key: None,
        key_size_bits,
        curve: None,
    })
}

/// Imports key material of type `key_type`, accepting:
///
/// - AES: 16, 24 or 32 raw bytes.
/// - HMAC: 1 to 1024 raw bytes.
/// - Secret: 1 to [`KeySpec::MAX_SECRET_BYTES`] raw bytes.
/// - RSA: a private key as PKCS#1 `RSAPrivateKey` or PKCS#8 DER (normalized to PKCS#1), or a
///   public key as SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey` DER. 2048 to 8192 bits.
/// - EC: a private key as RFC 5915 `ECPrivateKey` or PKCS#8 DER (normalized to RFC 5915), or
///   a public key as SubjectPublicKeyInfo DER, on P-256, P-384 or P-521.
///
/// # Errors
/// [`CryptoError::InvalidKey`] if the value is not acceptable material of that type.
pub fn import(key_type: KeyType, value: &[u8]) -> Result<ImportedKey> {
    match key_type {
        KeyType::Aes => {
            if !matches!(value.len(), 16 | 24 | 32) {
                return Err(CryptoError::invalid_key(format!(
                    "AES keys are 16, 24 or 32 bytes, not {}",
                    value.len()
                )));
            }
            symmetric(value)
        }
        KeyType::Hmac => {
            let max = KeySpec::MAX_HMAC_BITS as usize / 8;
            if value.is_empty() || value.len() > max {
                return Err(CryptoError::invalid_key(format!(
                    "HMAC keys are 1 to {max} bytes, not {}",
                    value.len()
                )));
            }
            symmetric(value)
        }
        KeyType::Secret => {
            if value.is_empty() || value.len() > KeySpec::MAX_SECRET_BYTES {
                return Err(CryptoError::invalid_key(format!(
                    "secrets are 1 to {} bytes, not {}",
                    KeySpec::MAX_SECRET_BYTES,
                    value.len()
                )));
            }
            symmetric(value)
        }
        KeyType::Rsa => {
            let key = rsa::canonicalize(value)?;
            Ok(ImportedKey {
                material: key.private_pkcs1,
                public_key: Some(key.spki),
                key_size_bits: key.bits,
                curve: None,
            })
        }
        KeyType::Ec => {
            let key = ecdsa::canonicalize(value)?;
            Ok(ImportedKey {
                material: key.private_rfc5915,
                public_key: Some(key.spki),
                key_size_bits: key.curve.bits(),
                curve: Some(key.curve),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_keys_of_odd_lengths_are_rejected() {
        for len in [0, 8, 15, 17, 33] {
            let err = import(KeyType::Aes, &vec![0; len]);
            assert!(matches!(err, Err(CryptoError::InvalidKey(_))), "{len}");
        }
    }

    #[test]
    fn raw_keys_keep_their_bytes_and_size() {
        let key = import(KeyType::Hmac, &[7; 20]).unwrap();
        assert_eq!(key.material.unwrap().expose(), &[7; 20]);
        assert_eq!(key.key_size_bits, 160);
        assert!(key.public_key.is_none());
    }

    #[test]
    fn garbage_is_neither_rsa_nor_ec() {
        assert!(matches!(
            import(KeyType::Rsa, b"garbage"),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            import(KeyType::Ec, b"garbage"),
            Err(CryptoError::InvalidKey(_))
        ));
    }
}
