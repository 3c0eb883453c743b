//! ECDSA keys: canonical encodings and signatures.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ParsedPublicKey, UnparsedPublicKey};

use crate::curve::Curve;
use crate::digest::DigestAlgorithm;
use crate::error::{CryptoError, Result};
use crate::secret::Secret;
use crate::signature::{SignInput, SignatureScheme};

/// An EC key in its stored form: RFC 5915 private key (if any), SPKI public key, curve.
pub(crate) struct EcCanonical {
    pub(crate) private_rfc5915: Option<Secret>,
    pub(crate) spki: Vec<u8>,
    pub(crate) curve: Curve,
}

fn canonical_from_pair(curve: Curve, pair: &EcdsaKeyPair) -> Result<EcCanonical> {
    let private = pair
        .private_key()
        .as_der()
        .map_err(|_| CryptoError::OperationFailed)?;
    let spki = pair
        .public_key()
        .as_der()
        .map_err(|_| CryptoError::OperationFailed)?;
    Ok(EcCanonical {
        private_rfc5915: Some(Secret::from_slice(private.as_ref())),
        spki: spki.as_ref().to_vec(),
        curve,
    })
}

/// Generates a key on `curve`.
pub(crate) fn generate(curve: Curve) -> Result<EcCanonical> {
    let pair = EcdsaKeyPair::generate(curve.signing_algorithm())
        .map_err(|_| CryptoError::OperationFailed)?;
    canonical_from_pair(curve, &pair)
}

/// Parses a private key (RFC 5915 or PKCS#8) on any supported curve.
fn parse_private(value: &[u8]) -> Option<(Curve, EcdsaKeyPair)> {
    Curve::ALL.into_iter().find_map(|curve| {
        EcdsaKeyPair::from_private_key_der(curve.signing_algorithm(), value)
            .ok()
            .map(|pair| (curve, pair))
    })
}

/// Parses a public key (SPKI, or an uncompressed SEC 1 point) on any supported curve.
fn parse_public(value: &[u8]) -> Option<(Curve, ParsedPublicKey)> {
    Curve::ALL.into_iter().find_map(|curve| {
        UnparsedPublicKey::new(curve.verification_algorithm(), value)
            .parse()
            .ok()
            .map(|public| (curve, public))
    })
}

/// Parses an EC private key (RFC 5915 `ECPrivateKey` or PKCS#8) or public key (SPKI) into its
/// canonical form, inferring the curve.
pub(crate) fn canonicalize(value: &[u8]) -> Result<EcCanonical> {
    if let Some((curve, pair)) = parse_private(value) {
        return canonical_from_pair(curve, &pair);
    }
    if let Some((curve, public)) = parse_public(value) {
        let spki = public.as_der().map_err(|_| CryptoError::OperationFailed)?;
        return Ok(EcCanonical {
            private_rfc5915: None,
            spki: spki.as_ref().to_vec(),
            curve,
        });
    }
    Err(CryptoError::invalid_key(
        "not a P-256, P-384 or P-521 key in RFC 5915, PKCS#8 or SubjectPublicKeyInfo DER",
    ))
}

/// A parsed EC key, ready for use.
pub(crate) struct EcKey {
    curve: Curve,
    pair: Option<EcdsaKeyPair>,
    public: ParsedPublicKey,
    spki: Vec<u8>,
}

impl EcKey {
    /// From a canonical RFC 5915 `ECPrivateKey`.
    pub(crate) fn from_rfc5915(der: &[u8]) -> Result<Self> {
        let (curve, pair) =
            parse_private(der).ok_or_else(|| CryptoError::invalid_key("not an EC private key"))?;
        let spki = pair
            .public_key()
            .as_der()
            .map_err(|_| CryptoError::OperationFailed)?
            .as_ref()
            .to_vec();
        let public = UnparsedPublicKey::new(curve.verification_algorithm(), &spki)
            .parse()
            .map_err(|_| CryptoError::OperationFailed)?;
        Ok(Self {
            curve,
            pair: Some(pair),
            public,
            spki,
        })
    }

    /// From an SPKI public key.
    pub(crate) fn from_spki(spki: &[u8]) -> Result<Self> {
        let (curve, public) =
            parse_public(spki).ok_or_else(|| CryptoError::invalid_key("not an EC public key"))?;
        let spki = public
            .as_der()
            .map_err(|_| CryptoError::OperationFailed)?
            .as_ref()
            .to_vec();
        Ok(Self {
            curve,
            pair: None,
            public,
            spki,
        })
    }

    pub(crate) fn curve(&self) -> Curve {
        self.curve
    }

    pub(crate) fn spki(&self) -> &[u8] {
        &self.spki
    }

    pub(crate) fn is_public_only(&self) -> bool {
        self.pair.is_none()
    }

    fn check_scheme(scheme: SignatureScheme) -> Result<()> {
        match scheme {
            SignatureScheme::Ecdsa => Ok(()),
            SignatureScheme::RsaPkcs1v15 | SignatureScheme::RsaPss { .. } => Err(
                CryptoError::incompatible("RSA signature schemes need an RSA key"),
            ),
        }
    }

    pub(crate) fn sign(
        &self,
        scheme: SignatureScheme,
        input: SignInput<'_>,
        hash: DigestAlgorithm,
    ) -> Result<Vec<u8>> {
        Self::check_scheme(scheme)?;
        let pair = self
            .pair
            .as_ref()
            .ok_or_else(|| CryptoError::incompatible("only the public half of this key is held"))?;
        let digest = self.curve.digest_for_ecdsa(&input.digest(hash)?)?;
        let sig = pair
            .sign_digest(&digest)
            .map_err(|_| CryptoError::OperationFailed)?;
        Ok(sig.as_ref().to_vec())
    }

    pub(crate) fn verify(
        &self,
        scheme: SignatureScheme,
        input: SignInput<'_>,
        hash: DigestAlgorithm,
        signature: &[u8],
    ) -> Result<bool> {
        Self::check_scheme(scheme)?;
        let digest = self.curve.digest_for_ecdsa(&input.digest(hash)?)?;
        Ok(self.public.verify_digest_sig(&digest, signature).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_reparse_on_their_curve() {
        for curve in Curve::ALL {
            let canonical = generate(curve).unwrap();
            let key = EcKey::from_rfc5915(canonical.private_rfc5915.unwrap().expose()).unwrap();
            assert_eq!(key.curve(), curve);
            assert_eq!(key.spki(), canonical.spki.as_slice());
        }
    }

    #[test]
    fn any_hash_signs_and_verifies_on_any_curve() {
        for curve in Curve::ALL {
            let canonical = generate(curve).unwrap();
            let key = EcKey::from_rfc5915(canonical.private_rfc5915.unwrap().expose()).unwrap();
            let public = EcKey::from_spki(&canonical.spki).unwrap();
            for hash in DigestAlgorithm::ALL {
                let input = SignInput::Data(b"message");
                let sig = key.sign(SignatureScheme::Ecdsa, input, hash).unwrap();
                assert!(
                    public
                        .verify(SignatureScheme::Ecdsa, input, hash, &sig)
                        .unwrap()
                );
                let other = SignInput::Data(b"messagf");
                assert!(
                    !public
                        .verify(SignatureScheme::Ecdsa, other, hash, &sig)
                        .unwrap()
                );
            }
        }
    }

    #[test]
    fn rsa_schemes_are_refused() {
        let canonical = generate(Curve::P256).unwrap();
        let key = EcKey::from_spki(&canonical.spki).unwrap();
        let err = key.verify(
            SignatureScheme::RsaPkcs1v15,
            SignInput::Data(b"m"),
            DigestAlgorithm::Sha256,
            &[],
        );
        assert!(matches!(err, Err(CryptoError::IncompatibleKey(_))));
    }
}
