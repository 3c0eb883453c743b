//! [`DigestAlgorithm`] and one-shot hashing.

use aws_lc_rs::{digest as lc, hmac as lc_hmac};

/// A hash function.
///
/// These are the hashes aws-lc exposes; SHA3-224 is not among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    /// SHA-1 (legacy; kept for verification and HMAC compatibility).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// SHA3-256.
    Sha3_256,
    /// SHA3-384.
    Sha3_384,
    /// SHA3-512.
    Sha3_512,
}

impl DigestAlgorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 8] = [
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
    ];

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        self.lc().output_len()
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        lc::digest(self.lc(), data).as_ref().to_vec()
    }

    pub(crate) fn lc(self) -> &'static lc::Algorithm {
        match self {
            Self::Sha1 => &lc::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha224 => &lc::SHA224,
            Self::Sha256 => &lc::SHA256,
            Self::Sha384 => &lc::SHA384,
            Self::Sha512 => &lc::SHA512,
            Self::Sha3_256 => &lc::SHA3_256,
            Self::Sha3_384 => &lc::SHA3_384,
            Self::Sha3_512 => &lc::SHA3_512,
        }
    }

    /// The HMAC algorithm over this hash; aws-lc has none for SHA-3.
    pub(crate) fn lc_hmac(self) -> Option<lc_hmac::Algorithm> {
        match self {
            Self::Sha1 => Some(lc_hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
            Self::Sha224 => Some(lc_hmac::HMAC_SHA224),
            Self::Sha256 => Some(lc_hmac::HMAC_SHA256),
            Self::Sha384 => Some(lc_hmac::HMAC_SHA384),
            Self::Sha512 => Some(lc_hmac::HMAC_SHA512),
            Self::Sha3_256 | Self::Sha3_384 | Self::Sha3_512 => None,
        }
    }
}

/// An incremental hash: feed it pieces with [`Hasher::update`], then take the digest.
pub struct Hasher(lc::Context);

impl Hasher {
    /// A hasher for `alg`.
    pub fn new(alg: DigestAlgorithm) -> Self {
        Self(lc::Context::new(alg.lc()))
    }

    /// Adds `data` to what is hashed.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest of everything added.
    pub fn finish(self) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}

/// Hashes `data` with `alg`; the same as [`DigestAlgorithm::digest`].
pub fn digest(alg: DigestAlgorithm, data: &[u8]) -> Vec<u8> {
    alg.digest(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_in_pieces_equals_hashing_at_once() {
        for alg in DigestAlgorithm::ALL {
            let mut hasher = Hasher::new(alg);
            hasher.update(b"ab");
            hasher.update(b"");
            hasher.update(b"c");
            assert_eq!(hasher.finish(), digest(alg, b"abc"), "{alg:?}");
        }
    }

    #[test]
    fn output_lengths_match_the_standards() {
        let lens: Vec<usize> = DigestAlgorithm::ALL
            .iter()
            .map(|a| a.output_len())
            .collect();
        assert_eq!(lens, [20, 28, 32, 48, 64, 32, 48, 64]);
    }

    #[test]
    fn every_digest_has_its_declared_length() {
        for alg in DigestAlgorithm::ALL {
            assert_eq!(digest(alg, b"x").len(), alg.output_len(), "{alg:?}");
        }
    }
}
