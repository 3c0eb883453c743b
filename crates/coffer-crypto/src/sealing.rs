//! [`SealingKey`]: AES-256-GCM for protecting key material at rest.

use core::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::random;
use crate::secret::Secret;

const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// An AES-256-GCM key that seals blobs as `nonce(12) || ciphertext || tag(16)`.
///
/// Every [`seal`](Self::seal) draws a fresh random 96-bit nonce, so one key should seal no more
/// than about 2^32 blobs. The additional authenticated data binds a blob to its context (for
/// example the id of the object it belongs to): unsealing under different AAD fails.
pub struct SealingKey {
    key: LessSafeKey,
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl SealingKey {
    /// Bytes [`seal`](Self::seal) adds to the plaintext: nonce plus tag.
    pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

    /// A new random key.
    ///
    /// # Errors
    /// [`CryptoError::RandomFailed`] if the generator fails.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        random::fill(bytes.as_mut())?;
        Self::from_array(bytes)
    }

    /// A key from its 32 raw bytes.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] unless `bytes` is exactly 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut array = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(CryptoError::invalid_key("a sealing key is 32 bytes"));
        }
        array.copy_from_slice(bytes);
        Self::from_array(array)
    }

    fn from_array(bytes: Zeroizing<[u8; KEY_LEN]>) -> Result<Self> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes.as_ref())
            .map_err(|_| CryptoError::invalid_key("AES-256-GCM rejected the key"))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            bytes,
        })
    }

    /// The raw key bytes, for storing the key itself (sealed under another key).
    pub fn to_secret(&self) -> Secret {
        Secret::from_slice(self.bytes.as_ref())
    }

    /// Encrypts and authenticates `plaintext`, binding `aad`.
    ///
    /// # Errors
    /// [`CryptoError::RandomFailed`] if no nonce could be drawn; [`CryptoError::OperationFailed`]
    /// if the plaintext is too long for GCM.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce_bytes: [u8; NONCE_LEN] = random::random_array()?;
        let mut out = Vec::with_capacity(Self::OVERHEAD + plaintext.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(aad),
                &mut out[NONCE_LEN..],
            )
            .map_err(|_| CryptoError::OperationFailed)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Checks and decrypts a blob made by [`seal`](Self::seal) with the same `aad`.
    ///
    /// # Errors
    /// [`CryptoError::DecryptFailed`] if the blob is truncated, was altered, was sealed under
    /// another key or with other AAD.
    pub fn unseal(&self, aad: &[u8], blob: &[u8]) -> Result<Secret> {
        if blob.len() < Self::OVERHEAD {
            return Err(CryptoError::DecryptFailed);
        }
        let (nonce, rest) = blob.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::DecryptFailed)?;
        let mut buf = Zeroizing::new(rest.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), buf.as_mut_slice())
            .map_err(|_| CryptoError::DecryptFailed)?
            .len();
        buf.truncate(plain_len);
        Ok(Secret::from(buf))
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_blob_unseals_to_the_plaintext() {
        let key = SealingKey::generate().unwrap();
        let blob = key.seal(b"kid-1", b"material").unwrap();
        assert_eq!(blob.len(), b"material".len() + SealingKey::OVERHEAD);
        assert_eq!(key.unseal(b"kid-1", &blob).unwrap().expose(), b"material");
    }

    #[test]
    fn an_empty_plaintext_round_trips() {
        let key = SealingKey::generate().unwrap();
        let blob = key.seal(b"", b"").unwrap();
        assert!(key.unseal(b"", &blob).unwrap().is_empty());
    }

    #[test]
    fn unsealing_with_other_aad_fails() {
        let key = SealingKey::generate().unwrap();
        let blob = key.seal(b"kid-1", b"material").unwrap();
        assert_eq!(key.unseal(b"kid-2", &blob), Err(CryptoError::DecryptFailed));
    }

    #[test]
    fn a_flipped_bit_anywhere_is_detected() {
        let key = SealingKey::generate().unwrap();
        let blob = key.seal(b"aad", b"material").unwrap();
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x80;
            assert_eq!(
                key.unseal(b"aad", &bad),
                Err(CryptoError::DecryptFailed),
                "byte {i}"
            );
        }
    }

    #[test]
    fn a_truncated_blob_is_rejected() {
        let key = SealingKey::generate().unwrap();
        let blob = key.seal(b"aad", b"material").unwrap();
        assert_eq!(
            key.unseal(b"aad", &blob[..27]),
            Err(CryptoError::DecryptFailed)
        );
        assert_eq!(key.unseal(b"aad", &[]), Err(CryptoError::DecryptFailed));
    }

    #[test]
    fn another_key_cannot_unseal() {
        let blob = SealingKey::generate().unwrap().seal(b"a", b"m").unwrap();
        let other = SealingKey::generate().unwrap();
        assert_eq!(other.unseal(b"a", &blob), Err(CryptoError::DecryptFailed));
    }

    #[test]
    fn a_key_restored_from_its_bytes_unseals() {
        let key = SealingKey::generate().unwrap();
        let blob = key.seal(b"a", b"m").unwrap();
        let restored = SealingKey::from_bytes(key.to_secret().expose()).unwrap();
        assert_eq!(restored.unseal(b"a", &blob).unwrap().expose(), b"m");
    }

    #[test]
    fn sealing_twice_uses_different_nonces() {
        let key = SealingKey::generate().unwrap();
        assert_ne!(key.seal(b"", b"m").unwrap(), key.seal(b"", b"m").unwrap());
    }

    #[test]
    fn keys_of_the_wrong_length_are_rejected() {
        assert!(matches!(
            SealingKey::from_bytes(&[0; 16]),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    #[test]
    fn debug_output_hides_the_key() {
        assert_eq!(
            format!("{:?}", SealingKey::generate().unwrap()),
            "SealingKey([redacted])"
        );
    }
}
