//! [`KeyHandle`]: a parsed key, ready for repeated use.

use core::fmt;

use aws_lc_rs::hmac as lc_hmac;

use crate::curve::Curve;
use crate::digest::DigestAlgorithm;
use crate::ecdsa::EcKey;
use crate::error::{CryptoError, Result};
use crate::mac::hmac_algorithm;
use crate::rsa::{RsaEncryptionPadding, RsaKey};
use crate::secret::Secret;
use crate::signature::{SignInput, SignatureScheme};
use crate::spec::KeyType;
use crate::symmetric::{AesKey, CipherMode, SymmetricCiphertext};

enum Inner {
    Aes(AesKey),
    Hmac(Secret),
    Secret(Secret),
    Rsa(RsaKey),
    Ec(EcKey),
}

/// A key parsed once from its stored form and kept for reuse.
///
/// Build it from the canonical material ([`KeyHandle::new`]) or, for a public-only key, from
/// its SubjectPublicKeyInfo ([`KeyHandle::public_only`]). Parsing RSA and EC keys is the
/// expensive part; afterwards every operation only borrows the handle, which is `Send + Sync`
/// and can be shared behind an `Arc`.
///
/// Each operation checks that it fits the key: asking an AES key to sign, or a public-only
/// key to decrypt, returns [`CryptoError::IncompatibleKey`].
pub struct KeyHandle {
    inner: Inner,
}

impl KeyHandle {
    /// Parses canonical key material: raw bytes for AES, HMAC and secrets, PKCS#1
    /// `RSAPrivateKey` DER for RSA, RFC 5915 `ECPrivateKey` DER for EC.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if the material does not parse as that type.
    pub fn new(key_type: KeyType, material: &[u8]) -> Result<Self> {
        let inner = match key_type {
            KeyType::Aes => Inner::Aes(AesKey::new(material)?),
            KeyType::Hmac => {
                if material.is_empty() {
                    return Err(CryptoError::invalid_key("an HMAC key cannot be empty"));
                }
                Inner::Hmac(Secret::from_slice(material))
            }
            KeyType::Secret => Inner::Secret(Secret::from_slice(material)),
            KeyType::Rsa => Inner::Rsa(RsaKey::from_pkcs1(material)?),
            KeyType::Ec => Inner::Ec(EcKey::from_rfc5915(material)?),
        };
        Ok(Self { inner })
    }

    /// Parses the SubjectPublicKeyInfo DER of a public-only RSA or EC key.
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] for symmetric key types, [`CryptoError::InvalidKey`] if
    /// the bytes are not a public key of that type.
    pub fn public_only(key_type: KeyType, spki: &[u8]) -> Result<Self> {
        let inner = match key_type {
            KeyType::Rsa => Inner::Rsa(RsaKey::from_spki(spki)?),
            KeyType::Ec => Inner::Ec(EcKey::from_spki(spki)?),
            KeyType::Aes | KeyType::Hmac | KeyType::Secret => {
                return Err(CryptoError::invalid_input(format!(
                    "{key_type:?} keys have no public half"
                )));
            }
        };
        Ok(Self { inner })
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match &self.inner {
            Inner::Aes(_) => KeyType::Aes,
            Inner::Hmac(_) => KeyType::Hmac,
            Inner::Secret(_) => KeyType::Secret,
            Inner::Rsa(_) => KeyType::Rsa,
            Inner::Ec(_) => KeyType::Ec,
        }
    }

    /// Size in bits: key length for symmetric keys, modulus length for RSA, curve order size
    /// for EC.
    pub fn key_size_bits(&self) -> u32 {
        match &self.inner {
            Inner::Aes(key) => key.bits(),
            Inner::Hmac(bytes) | Inner::Secret(bytes) => {
                u32::try_from(bytes.len().saturating_mul(8)).unwrap_or(u32::MAX)
            }
            Inner::Rsa(key) => key.bits(),
            Inner::Ec(key) => key.curve().bits(),
        }
    }

    /// The curve, for EC keys.
    pub fn curve(&self) -> Option<Curve> {
        match &self.inner {
            Inner::Ec(key) => Some(key.curve()),
            _ => None,
        }
    }

    /// True when only the public half is held.
    pub fn is_public_only(&self) -> bool {
        match &self.inner {
            Inner::Rsa(key) => key.is_public_only(),
            Inner::Ec(key) => key.is_public_only(),
            _ => false,
        }
    }

    /// The SubjectPublicKeyInfo DER, for RSA and EC keys.
    pub fn public_key_spki(&self) -> Option<&[u8]> {
        match &self.inner {
            Inner::Rsa(key) => Some(key.spki()),
            Inner::Ec(key) => Some(key.spki()),
            _ => None,
        }
    }

    fn aes(&self) -> Result<&AesKey> {
        match &self.inner {
            Inner::Aes(key) => Ok(key),
            _ => Err(self.incompatible("symmetric encryption needs an AES key")),
        }
    }

    fn rsa(&self) -> Result<&RsaKey> {
        match &self.inner {
            Inner::Rsa(key) => Ok(key),
            _ => Err(self.incompatible("RSA encryption needs an RSA key")),
        }
    }

    fn hmac_key(&self, alg: DigestAlgorithm) -> Result<lc_hmac::Key> {
        match &self.inner {
            Inner::Hmac(key) => Ok(lc_hmac::Key::new(hmac_algorithm(alg)?, key.expose())),
            _ => Err(self.incompatible("MACs need an HMAC key")),
        }
    }

    fn incompatible(&self, what: &str) -> CryptoError {
        CryptoError::incompatible(format!("{what}; this is a {:?} key", self.key_type()))
    }

    /// Encrypts with an AES key.
    ///
    /// `iv` is generated when `None` for modes that take one ([`CipherMode::iv_len`]) and must
    /// be `None` for the others. `ad` (additional authenticated data) and `tag_len_bits` (only
    /// 128) apply to [`CipherMode::Gcm`]; other modes refuse a non-empty `ad` or any tag
    /// length. The returned IV and tag must be passed back to [`decrypt`](Self::decrypt).
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] for a wrong IV length, unaligned input to a mode without
    /// padding, a tag length other than 128 or GCM parameters in another mode;
    /// [`CryptoError::Unsupported`] for key wrap with an AES-192 key;
    /// [`CryptoError::IncompatibleKey`] if this is not an AES key.
    pub fn encrypt(
        &self,
        mode: CipherMode,
        iv: Option<&[u8]>,
        ad: Option<&[u8]>,
        plain: &[u8],
        tag_len_bits: Option<u32>,
    ) -> Result<SymmetricCiphertext> {
        self.aes()?.encrypt(mode, iv, ad, plain, tag_len_bits)
    }

    /// Decrypts with an AES key. `iv` is required for modes that take one; `tag` is required
    /// for GCM (16 bytes) and refused otherwise.
    ///
    /// # Errors
    /// [`CryptoError::DecryptFailed`] when authentication, unwrapping or padding removal fails;
    /// [`CryptoError::InvalidInput`] for missing or malformed parameters; as for
    /// [`encrypt`](Self::encrypt) otherwise.
    pub fn decrypt(
        &self,
        mode: CipherMode,
        iv: Option<&[u8]>,
        ad: Option<&[u8]>,
        cipher: &[u8],
        tag: Option<&[u8]>,
    ) -> Result<Secret> {
        self.aes()?.decrypt(mode, iv, ad, cipher, tag)
    }

    /// Encrypts with an RSA key (public-only keys can).
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] if `plain` is too long for the key and padding;
    /// [`CryptoError::Unsupported`] for OAEP with SHA-224 or SHA-3;
    /// [`CryptoError::IncompatibleKey`] if this is not an RSA key.
    pub fn rsa_encrypt(&self, padding: RsaEncryptionPadding, plain: &[u8]) -> Result<Vec<u8>> {
        self.rsa()?.encrypt(padding, plain)
    }

    /// Decrypts with an RSA private key.
    ///
    /// # Errors
    /// [`CryptoError::DecryptFailed`] for any malformed or mismatched ciphertext;
    /// [`CryptoError::IncompatibleKey`] for a public-only or non-RSA key.
    pub fn rsa_decrypt(&self, padding: RsaEncryptionPadding, cipher: &[u8]) -> Result<Secret> {
        self.rsa()?.decrypt(padding, cipher)
    }

    /// Signs `input` hashed with `hash`.
    ///
    /// RSA keys take [`SignatureScheme::RsaPkcs1v15`] or [`SignatureScheme::RsaPss`] with
    /// SHA-256, SHA-384 or SHA-512. EC keys take [`SignatureScheme::Ecdsa`] with any
    /// [`DigestAlgorithm`] and return a DER signature. A [`SignInput::Digest`] must be exactly
    /// `hash.output_len()` bytes.
    ///
    /// # Errors
    /// [`CryptoError::IncompatibleKey`] for a scheme that does not fit the key, a public-only
    /// key or a symmetric key; [`CryptoError::Unsupported`] for a hash aws-lc cannot sign with;
    /// [`CryptoError::InvalidInput`] for a digest of the wrong length.
    pub fn sign(
        &self,
        scheme: SignatureScheme,
        input: SignInput<'_>,
        hash: DigestAlgorithm,
    ) -> Result<Vec<u8>> {
        match &self.inner {
            Inner::Rsa(key) => key.sign(scheme, input, hash),
            Inner::Ec(key) => key.sign(scheme, input, hash),
            _ => Err(self.incompatible("signing needs an RSA or EC key")),
        }
    }

    /// Verifies `signature` over `input` hashed with `hash`; `Ok(false)` if it does not match.
    ///
    /// RSA verification additionally accepts PKCS#1 v1.5 with SHA-1.
    ///
    /// # Errors
    /// As for [`sign`](Self::sign), except that public-only keys can verify.
    pub fn verify(
        &self,
        scheme: SignatureScheme,
        input: SignInput<'_>,
        hash: DigestAlgorithm,
        signature: &[u8],
    ) -> Result<bool> {
        match &self.inner {
            Inner::Rsa(key) => key.verify(scheme, input, hash, signature),
            Inner::Ec(key) => key.verify(scheme, input, hash, signature),
            _ => Err(self.incompatible("verification needs an RSA or EC key")),
        }
    }

    /// Computes HMAC-`alg` of `data` with an HMAC key.
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`] for SHA-3; [`CryptoError::IncompatibleKey`] if this is not
    /// an HMAC key.
    pub fn mac(&self, alg: DigestAlgorithm, data: &[u8]) -> Result<Vec<u8>> {
        let key = self.hmac_key(alg)?;
        Ok(lc_hmac::sign(&key, data).as_ref().to_vec())
    }

    /// Checks a full-length HMAC tag in constant time; `Ok(false)` if it does not match.
    ///
    /// # Errors
    /// As for [`mac`](Self::mac).
    pub fn mac_verify(&self, alg: DigestAlgorithm, data: &[u8], mac: &[u8]) -> Result<bool> {
        let key = self.hmac_key(alg)?;
        Ok(lc_hmac::verify(&key, data, mac).is_ok())
    }
}

impl fmt::Debug for KeyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyHandle")
            .field("key_type", &self.key_type())
            .field("key_size_bits", &self.key_size_bits())
            .field("curve", &self.curve())
            .field("public_only", &self.is_public_only())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_can_be_shared_between_threads() {
        assert_send_sync::<KeyHandle>();
    }

    #[test]
    fn an_aes_key_cannot_sign() {
        let handle = KeyHandle::new(KeyType::Aes, &[0; 16]).unwrap();
        let err = handle.sign(
            SignatureScheme::Ecdsa,
            SignInput::Data(b"m"),
            DigestAlgorithm::Sha256,
        );
        assert!(matches!(err, Err(CryptoError::IncompatibleKey(_))));
        assert!(matches!(
            handle.mac(DigestAlgorithm::Sha256, b"m"),
            Err(CryptoError::IncompatibleKey(_))
        ));
    }

    #[test]
    fn a_secret_supports_no_operations() {
        let handle = KeyHandle::new(KeyType::Secret, b"opaque").unwrap();
        assert_eq!(handle.key_size_bits(), 48);
        let err = handle.encrypt(CipherMode::Gcm, None, None, b"x", None);
        assert!(matches!(err, Err(CryptoError::IncompatibleKey(_))));
    }

    #[test]
    fn hmac_handles_mac_and_verify() {
        let handle = KeyHandle::new(KeyType::Hmac, b"0123456789abcdef").unwrap();
        let tag = handle.mac(DigestAlgorithm::Sha512, b"data").unwrap();
        assert_eq!(tag.len(), 64);
        assert!(
            handle
                .mac_verify(DigestAlgorithm::Sha512, b"data", &tag)
                .unwrap()
        );
        assert!(
            !handle
                .mac_verify(DigestAlgorithm::Sha512, b"date", &tag)
                .unwrap()
        );
        assert!(
            !handle
                .mac_verify(DigestAlgorithm::Sha256, b"data", &tag)
                .unwrap()
        );
    }

    #[test]
    fn symmetric_keys_have_no_public_half() {
        let err = KeyHandle::public_only(KeyType::Aes, &[0; 16]);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
    }

    #[test]
    fn debug_output_shows_no_material() {
        let handle = KeyHandle::new(KeyType::Hmac, b"supersecretkeybytes").unwrap();
        let printed = format!("{handle:?}");
        assert!(printed.contains("Hmac"));
        assert!(!printed.contains("supersecret"));
    }
}
