//! Sending a secret to a node that has no shared key with us yet: ephemeral ECDH (P-256) plus
//! HKDF-SHA-256 plus AES-256-GCM.
//!
//! The receiver makes a [`TransportKey`] and publishes its public half; the sender calls
//! [`seal_to`] with it and sends the returned envelope; the receiver calls
//! [`TransportKey::open`]. A fresh sender key per envelope gives forward secrecy for the
//! sender's side, and the associated data binds the envelope to its purpose.

use aws_lc_rs::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::rand::SystemRandom;

use crate::error::{CryptoError, Result};
use crate::kdf::hkdf_sha256;
use crate::sealing::SealingKey;
use crate::secret::Secret;

const INFO: &[u8] = b"coffer key transport v1";

/// The receiver's ephemeral key.
pub struct TransportKey {
    private: EphemeralPrivateKey,
    public: Vec<u8>,
}

impl std::fmt::Debug for TransportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransportKey(..)")
    }
}

impl TransportKey {
    /// A fresh key.
    ///
    /// # Errors
    /// [`CryptoError::RandomFailed`] when the system has no randomness.
    pub fn generate() -> Result<Self> {
        let private = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new())
            .map_err(|_| CryptoError::RandomFailed)?;
        let public = private
            .compute_public_key()
            .map_err(|_| CryptoError::OperationFailed)?
            .as_ref()
            .to_vec();
        Ok(Self { private, public })
    }

    /// The public half to send to the sender (uncompressed P-256 point).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Opens an envelope made by [`seal_to`] for this key with the same `aad`.
    ///
    /// # Errors
    /// [`CryptoError::DecryptFailed`] for a tampered or misdirected envelope.
    pub fn open(self, envelope: &Envelope, aad: &[u8]) -> Result<Secret> {
        let key = derive(self.private, &envelope.sender_public)?;
        key.unseal(aad, &envelope.sealed)
    }
}

/// A secret sealed for one receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The sender's ephemeral public key.
    pub sender_public: Vec<u8>,
    /// nonce ‖ ciphertext ‖ tag.
    pub sealed: Vec<u8>,
}

/// Seals `secret` for the holder of `receiver_public`.
///
/// # Errors
/// [`CryptoError::InvalidInput`] when `receiver_public` is not a P-256 point.
pub fn seal_to(receiver_public: &[u8], secret: &[u8], aad: &[u8]) -> Result<Envelope> {
    let private = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new())
        .map_err(|_| CryptoError::RandomFailed)?;
    let sender_public = private
        .compute_public_key()
        .map_err(|_| CryptoError::OperationFailed)?
        .as_ref()
        .to_vec();
    let key = derive(private, receiver_public)?;
    Ok(Envelope {
        sender_public,
        sealed: key.seal(aad, secret)?,
    })
}

fn derive(private: EphemeralPrivateKey, peer_public: &[u8]) -> Result<SealingKey> {
    let peer = UnparsedPublicKey::new(&ECDH_P256, peer_public);
    let shared = agreement::agree_ephemeral(
        private,
        peer,
        CryptoError::invalid_input("not a P-256 public key"),
        |shared| hkdf_sha256(shared, b"", INFO, 32),
    )?;
    SealingKey::from_bytes(shared.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_receiver_opens_the_envelope_with_the_same_purpose() {
        let receiver = TransportKey::generate().unwrap();
        let envelope = seal_to(receiver.public_key(), b"master key", b"cmk").unwrap();
        let other = TransportKey::generate().unwrap();
        assert!(other.open(&envelope, b"cmk").is_err());
        let receiver2 = TransportKey::generate().unwrap();
        let envelope2 = seal_to(receiver2.public_key(), b"master key", b"cmk").unwrap();
        assert!(receiver.open(&envelope2, b"cmk").is_err());
        assert_eq!(
            receiver2.open(&envelope2, b"cmk").unwrap().expose(),
            b"master key"
        );
    }

    #[test]
    fn a_wrong_purpose_or_bad_point_is_refused() {
        let receiver = TransportKey::generate().unwrap();
        let envelope = seal_to(receiver.public_key(), b"s", b"cmk").unwrap();
        assert!(receiver.open(&envelope, b"other").is_err());
        assert!(seal_to(b"not a point", b"s", b"cmk").is_err());
    }
}
