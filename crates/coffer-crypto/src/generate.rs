//! [`generate`]: fresh keys in their canonical stored encoding.

use crate::curve::Curve;
use crate::error::{CryptoError, Result};
use crate::secret::Secret;
use crate::spec::KeySpec;
use crate::{ecdsa, random, rsa};

/// A freshly generated key.
///
/// `material` is the canonical encoding, which is also the export format: raw bytes for AES,
/// HMAC and secrets, PKCS#1 `RSAPrivateKey` DER for RSA, RFC 5915 `ECPrivateKey` DER (with the
/// curve parameters and public key) for EC.
#[derive(Debug)]
pub struct GeneratedKey {
    /// The private or secret material.
    pub material: Secret,
    /// SubjectPublicKeyInfo DER, for RSA and EC keys.
    pub public_key: Option<Vec<u8>>,
    /// Size in bits (see [`KeyHandle::key_size_bits`](crate::KeyHandle::key_size_bits)).
    pub key_size_bits: u32,
    /// The curve, for EC keys.
    pub curve: Option<Curve>,
}

/// Generates a key.
///
/// RSA generation takes from tens of milliseconds (2048) to many seconds (8192); callers on an
/// async runtime should run it on a blocking thread.
///
/// # Errors
/// As for [`KeySpec::validate`]; [`CryptoError::OperationFailed`] or
/// [`CryptoError::RandomFailed`] if the primitive fails.
pub fn generate(spec: KeySpec) -> Result<GeneratedKey> {
    spec.validate()?;
    match spec {
        KeySpec::Aes { bits } | KeySpec::Hmac { bits } => Ok(GeneratedKey {
            material: random::random_secret(bits as usize / 8)?,
            public_key: None,
            key_size_bits: bits,
            curve: None,
        }),
        KeySpec::Secret { bytes } => Ok(GeneratedKey {
            material: random::random_secret(bytes)?,
            public_key: None,
            key_size_bits: u32::try_from(bytes * 8).unwrap_or(u32::MAX),
            curve: None,
        }),
        KeySpec::Rsa { bits, .. } => {
            let key = rsa::generate(bits)?;
            Ok(GeneratedKey {
                material: key.private_pkcs1.ok_or(CryptoError::OperationFailed)?,
                public_key: Some(key.spki),
                key_size_bits: key.bits,
                curve: None,
            })
        }
        KeySpec::Ec(curve) => {
            let key = ecdsa::generate(curve)?;
            Ok(GeneratedKey {
                material: key.private_rfc5915.ok_or(CryptoError::OperationFailed)?,
                public_key: Some(key.spki),
                key_size_bits: curve.bits(),
                curve: Some(curve),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_keys_have_the_requested_length() {
        let aes = generate(KeySpec::Aes { bits: 192 }).unwrap();
        assert_eq!(aes.material.len(), 24);
        assert_eq!(aes.key_size_bits, 192);
        assert!(aes.public_key.is_none());
        let secret = generate(KeySpec::Secret { bytes: 100 }).unwrap();
        assert_eq!(secret.material.len(), 100);
        assert_eq!(secret.key_size_bits, 800);
    }

    #[test]
    fn ec_keys_report_their_curve() {
        let key = generate(KeySpec::Ec(Curve::P384)).unwrap();
        assert_eq!(key.curve, Some(Curve::P384));
        assert_eq!(key.key_size_bits, 384);
        assert!(key.public_key.is_some());
    }

    #[test]
    fn invalid_specs_generate_nothing() {
        assert!(matches!(
            generate(KeySpec::Aes { bits: 100 }),
            Err(CryptoError::InvalidInput(_))
        ));
    }
}
