//! [`Curve`]: the NIST curves usable for ECDSA.

use aws_lc_rs::digest::{self as lc_digest, Digest};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1,
    ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1, ECDSA_P521_SHA512_ASN1_SIGNING,
    EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm,
};

use crate::error::{CryptoError, Result};

/// A NIST prime curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Curve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
}

impl Curve {
    /// Every supported curve.
    pub const ALL: [Self; 3] = [Self::P256, Self::P384, Self::P521];

    /// Size of the curve order in bits: 256, 384 or 521.
    pub fn bits(self) -> u32 {
        match self {
            Self::P256 => 256,
            Self::P384 => 384,
            Self::P521 => 521,
        }
    }

    /// The aws-lc signing algorithm whose hash fills the curve (SHA-256/384/512). Any hash is
    /// signed through it by [`Curve::digest_for_ecdsa`].
    pub(crate) fn signing_algorithm(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Self::P256 => &ECDSA_P256_SHA256_ASN1_SIGNING,
            Self::P384 => &ECDSA_P384_SHA384_ASN1_SIGNING,
            Self::P521 => &ECDSA_P521_SHA512_ASN1_SIGNING,
        }
    }

    /// The verification counterpart of [`Curve::signing_algorithm`].
    pub(crate) fn verification_algorithm(self) -> &'static EcdsaVerificationAlgorithm {
        match self {
            Self::P256 => &ECDSA_P256_SHA256_ASN1,
            Self::P384 => &ECDSA_P384_SHA384_ASN1,
            Self::P521 => &ECDSA_P521_SHA512_ASN1,
        }
    }

    /// Turns a hash of any length into the value ECDSA signs on this curve.
    ///
    /// ECDSA (FIPS 186-5 §6.4.1, SEC 1 §4.1.3) uses the leftmost `min(hash bits, order bits)`
    /// bits of the hash as an integer. Taking the leftmost bytes of a longer hash, or
    /// left-padding a shorter one with zeros, yields exactly that integer at the length of the
    /// curve's own hash, so one aws-lc key per curve signs and verifies with any hash.
    pub(crate) fn digest_for_ecdsa(self, hash: &[u8]) -> Result<Digest> {
        let alg = match self {
            Self::P256 => &lc_digest::SHA256,
            Self::P384 => &lc_digest::SHA384,
            Self::P521 => &lc_digest::SHA512,
        };
        let n = alg.output_len();
        let mut buf = [0u8; lc_digest::MAX_OUTPUT_LEN];
        if hash.len() >= n {
            buf[..n].copy_from_slice(&hash[..n]);
        } else {
            buf[n - hash.len()..n].copy_from_slice(hash);
        }
        Digest::import_less_safe(&buf[..n], alg).map_err(|_| CryptoError::OperationFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_hashes_keep_their_leftmost_bytes() {
        let hash: Vec<u8> = (0..64).collect();
        let d = Curve::P256.digest_for_ecdsa(&hash).unwrap();
        assert_eq!(d.as_ref(), &hash[..32]);
    }

    #[test]
    fn short_hashes_are_left_padded_with_zeros() {
        let hash = [0xffu8; 20];
        let d = Curve::P521.digest_for_ecdsa(&hash).unwrap();
        assert_eq!(d.as_ref().len(), 64);
        assert!(d.as_ref()[..44].iter().all(|&b| b == 0));
        assert_eq!(&d.as_ref()[44..], &hash);
    }

    #[test]
    fn curve_sizes_are_the_order_sizes() {
        let bits: Vec<u32> = Curve::ALL.iter().map(|c| c.bits()).collect();
        assert_eq!(bits, [256, 384, 521]);
    }
}
