//! [`SignatureScheme`] and [`SignInput`]: how to sign, and what.

use crate::digest::DigestAlgorithm;
use crate::error::{CryptoError, Result};

/// A signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1v15,
    /// RSASSA-PSS with MGF1 and a salt as long as the hash.
    RsaPss {
        /// MGF1 hash; `None` means the message hash. aws-lc only supports the message hash.
        mgf_hash: Option<DigestAlgorithm>,
    },
    /// ECDSA with a DER `Ecdsa-Sig-Value { r, s }` signature.
    Ecdsa,
}

/// What is being signed or verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInput<'a> {
    /// The message; it is hashed with the requested hash.
    Data(&'a [u8]),
    /// A digest the caller already computed with the requested hash.
    Digest(&'a [u8]),
}

impl SignInput<'_> {
    /// The digest to sign: computed for [`SignInput::Data`], length-checked for
    /// [`SignInput::Digest`].
    pub(crate) fn digest(self, hash: DigestAlgorithm) -> Result<Vec<u8>> {
        match self {
            SignInput::Data(data) => Ok(hash.digest(data)),
            SignInput::Digest(digest) => {
                if digest.len() != hash.output_len() {
                    return Err(CryptoError::invalid_input(format!(
                        "a {hash:?} digest is {} bytes, not {}",
                        hash.output_len(),
                        digest.len()
                    )));
                }
                Ok(digest.to_vec())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_hashed_with_the_requested_hash() {
        let d = SignInput::Data(b"abc")
            .digest(DigestAlgorithm::Sha384)
            .unwrap();
        assert_eq!(d, DigestAlgorithm::Sha384.digest(b"abc"));
    }

    #[test]
    fn a_digest_of_the_wrong_length_is_refused() {
        let err = SignInput::Digest(&[0; 32]).digest(DigestAlgorithm::Sha512);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        assert!(
            SignInput::Digest(&[0; 64])
                .digest(DigestAlgorithm::Sha512)
                .is_ok()
        );
    }
}
