//! RSA keys: canonical encodings, encryption and signatures.

use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384,
    OAEP_SHA512_MGF1SHA512, OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{
    self as lc_sig, KeyPair as _, RsaKeyPair, RsaParameters, RsaSignatureEncoding,
    RsaSubjectPublicKey, UnparsedPublicKey,
};
use zeroize::Zeroizing;

use crate::der;
use crate::digest::DigestAlgorithm;
use crate::error::{CryptoError, Result};
use crate::secret::Secret;
use crate::signature::{SignInput, SignatureScheme};

/// RSA encryption padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaEncryptionPadding {
    /// RSAES-PKCS1-v1_5.
    Pkcs1v15,
    /// RSAES-OAEP with this hash for both the label hash and MGF1 (SHA-1, SHA-256, SHA-384 or
    /// SHA-512) and an empty label.
    Oaep(DigestAlgorithm),
}

fn oaep_algorithm(hash: DigestAlgorithm) -> Result<&'static OaepAlgorithm> {
    match hash {
        DigestAlgorithm::Sha1 => Ok(&OAEP_SHA1_MGF1SHA1),
        DigestAlgorithm::Sha256 => Ok(&OAEP_SHA256_MGF1SHA256),
        DigestAlgorithm::Sha384 => Ok(&OAEP_SHA384_MGF1SHA384),
        DigestAlgorithm::Sha512 => Ok(&OAEP_SHA512_MGF1SHA512),
        other => Err(CryptoError::unsupported(format!("RSA-OAEP with {other:?}"))),
    }
}

fn signing_encoding(pss: bool, hash: DigestAlgorithm) -> Result<&'static RsaSignatureEncoding> {
    match (pss, hash) {
        (false, DigestAlgorithm::Sha256) => Ok(&lc_sig::RSA_PKCS1_SHA256),
        (false, DigestAlgorithm::Sha384) => Ok(&lc_sig::RSA_PKCS1_SHA384),
        (false, DigestAlgorithm::Sha512) => Ok(&lc_sig::RSA_PKCS1_SHA512),
        (true, DigestAlgorithm::Sha256) => Ok(&lc_sig::RSA_PSS_SHA256),
        (true, DigestAlgorithm::Sha384) => Ok(&lc_sig::RSA_PSS_SHA384),
        (true, DigestAlgorithm::Sha512) => Ok(&lc_sig::RSA_PSS_SHA512),
        (_, other) => Err(CryptoError::unsupported(format!(
            "RSA signing with {other:?} (SHA-256, SHA-384 or SHA-512 only)"
        ))),
    }
}

fn verification_parameters(pss: bool, hash: DigestAlgorithm) -> Result<&'static RsaParameters> {
    match (pss, hash) {
        (false, DigestAlgorithm::Sha1) => Ok(&lc_sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
        (false, DigestAlgorithm::Sha256) => Ok(&lc_sig::RSA_PKCS1_2048_8192_SHA256),
        (false, DigestAlgorithm::Sha384) => Ok(&lc_sig::RSA_PKCS1_2048_8192_SHA384),
        (false, DigestAlgorithm::Sha512) => Ok(&lc_sig::RSA_PKCS1_2048_8192_SHA512),
        (true, DigestAlgorithm::Sha256) => Ok(&lc_sig::RSA_PSS_2048_8192_SHA256),
        (true, DigestAlgorithm::Sha384) => Ok(&lc_sig::RSA_PSS_2048_8192_SHA384),
        (true, DigestAlgorithm::Sha512) => Ok(&lc_sig::RSA_PSS_2048_8192_SHA512),
        (_, other) => Err(CryptoError::unsupported(format!(
            "RSA {} verification with {other:?}",
            if pss { "PSS" } else { "PKCS#1 v1.5" }
        ))),
    }
}

fn import_digest(hash: DigestAlgorithm, digest: &[u8]) -> Result<Digest> {
    Digest::import_less_safe(digest, hash.lc()).map_err(|_| CryptoError::OperationFailed)
}

fn spki_of(public: &PublicEncryptingKey) -> Result<Vec<u8>> {
    let der = public.as_der().map_err(|_| CryptoError::OperationFailed)?;
    Ok(der.as_ref().to_vec())
}

fn bits_of(size: usize) -> Result<u32> {
    u32::try_from(size).map_err(|_| CryptoError::invalid_key("RSA key too large"))
}

/// An RSA key in its stored form: PKCS#1 private key (if any), SPKI public key, size.
pub(crate) struct RsaCanonical {
    pub(crate) private_pkcs1: Option<Secret>,
    pub(crate) spki: Vec<u8>,
    pub(crate) bits: u32,
}

fn canonical_from_pair(pair: &RsaKeyPair) -> Result<RsaCanonical> {
    let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'static>>::as_der(pair)
        .map_err(|_| CryptoError::OperationFailed)?;
    let pkcs1 = der::rsa_pkcs8_to_pkcs1(pkcs8.as_ref()).ok_or(CryptoError::OperationFailed)?;
    let spki = pair
        .public_key()
        .as_der()
        .map_err(|_| CryptoError::OperationFailed)?;
    let decrypting = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| CryptoError::OperationFailed)?;
    Ok(RsaCanonical {
        private_pkcs1: Some(Secret::from_slice(pkcs1)),
        spki: spki.as_ref().to_vec(),
        bits: bits_of(decrypting.key_size_bits())?,
    })
}

/// Generates an RSA key with exponent 65537.
pub(crate) fn generate(bits: u32) -> Result<RsaCanonical> {
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        8192 => KeySize::Rsa8192,
        other => {
            return Err(CryptoError::invalid_input(format!(
                "RSA keys are 2048, 3072, 4096 or 8192 bits, not {other}"
            )));
        }
    };
    let pair = RsaKeyPair::generate(size).map_err(|_| CryptoError::OperationFailed)?;
    canonical_from_pair(&pair)
}

/// Parses an RSA private key (PKCS#1 `RSAPrivateKey` or PKCS#8) or public key (SPKI or PKCS#1
/// `RSAPublicKey`) into its canonical form.
pub(crate) fn canonicalize(value: &[u8]) -> Result<RsaCanonical> {
    if let Ok(pair) = RsaKeyPair::from_der(value).or_else(|_| RsaKeyPair::from_pkcs8(value)) {
        return canonical_from_pair(&pair);
    }
    let public = RsaSubjectPublicKey::from_der(value)
        .ok()
        .and_then(|key| key.as_der().ok())
        .and_then(|spki| PublicEncryptingKey::from_der(spki.as_ref()).ok());
    match public {
        Some(public) => Ok(RsaCanonical {
            private_pkcs1: None,
            spki: spki_of(&public)?,
            bits: bits_of(public.key_size_bits())?,
        }),
        None => Err(CryptoError::invalid_key(
            "not an RSA key of 2048 to 8192 bits in PKCS#1, PKCS#8 or SubjectPublicKeyInfo DER",
        )),
    }
}

struct RsaPrivate {
    signing: RsaKeyPair,
    oaep: OaepPrivateDecryptingKey,
    pkcs1: Pkcs1PrivateDecryptingKey,
}

/// A parsed RSA key, ready for use.
pub(crate) struct RsaKey {
    private: Option<RsaPrivate>,
    oaep: OaepPublicEncryptingKey,
    pkcs1: Pkcs1PublicEncryptingKey,
    spki: Vec<u8>,
    bits: u32,
}

impl RsaKey {
    /// From a canonical PKCS#1 `RSAPrivateKey`.
    pub(crate) fn from_pkcs1(pkcs1: &[u8]) -> Result<Self> {
        let rejected = |_| CryptoError::invalid_key("not an RSA PKCS#1 RSAPrivateKey");
        let signing = RsaKeyPair::from_der(pkcs1).map_err(rejected)?;
        let pkcs8 = der::rsa_pkcs1_to_pkcs8(pkcs1);
        let decrypting = PrivateDecryptingKey::from_pkcs8(&pkcs8).map_err(rejected)?;
        let public = decrypting.public_key();
        let internal = |_| CryptoError::OperationFailed;
        Ok(Self {
            oaep: OaepPublicEncryptingKey::new(public.clone()).map_err(internal)?,
            pkcs1: Pkcs1PublicEncryptingKey::new(public.clone()).map_err(internal)?,
            spki: spki_of(&public)?,
            bits: bits_of(decrypting.key_size_bits())?,
            private: Some(RsaPrivate {
                signing,
                oaep: OaepPrivateDecryptingKey::new(decrypting.clone()).map_err(internal)?,
                pkcs1: Pkcs1PrivateDecryptingKey::new(decrypting).map_err(internal)?,
            }),
        })
    }

    /// From an SPKI public key.
    pub(crate) fn from_spki(spki: &[u8]) -> Result<Self> {
        let public = PublicEncryptingKey::from_der(spki)
            .map_err(|_| CryptoError::invalid_key("not an RSA SubjectPublicKeyInfo"))?;
        let internal = |_| CryptoError::OperationFailed;
        Ok(Self {
            oaep: OaepPublicEncryptingKey::new(public.clone()).map_err(internal)?,
            pkcs1: Pkcs1PublicEncryptingKey::new(public.clone()).map_err(internal)?,
            spki: spki_of(&public)?,
            bits: bits_of(public.key_size_bits())?,
            private: None,
        })
    }

    pub(crate) fn spki(&self) -> &[u8] {
        &self.spki
    }

    pub(crate) fn bits(&self) -> u32 {
        self.bits
    }

    pub(crate) fn is_public_only(&self) -> bool {
        self.private.is_none()
    }

    fn private(&self) -> Result<&RsaPrivate> {
        self.private
            .as_ref()
            .ok_or_else(|| CryptoError::incompatible("only the public half of this key is held"))
    }

    pub(crate) fn encrypt(&self, padding: RsaEncryptionPadding, plain: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.oaep.ciphertext_size()];
        let too_long = || {
            CryptoError::invalid_input(format!(
                "plaintext too long for this RSA key and padding ({} bytes)",
                plain.len()
            ))
        };
        let len = match padding {
            RsaEncryptionPadding::Pkcs1v15 => {
                if plain.len() > self.pkcs1.max_plaintext_size() {
                    return Err(too_long());
                }
                self.pkcs1
                    .encrypt(plain, &mut out)
                    .map_err(|_| CryptoError::OperationFailed)?
                    .len()
            }
            RsaEncryptionPadding::Oaep(hash) => {
                let alg = oaep_algorithm(hash)?;
                if plain.len() > self.oaep.max_plaintext_size(alg) {
                    return Err(too_long());
                }
                self.oaep
                    .encrypt(alg, plain, &mut out, None)
                    .map_err(|_| CryptoError::OperationFailed)?
                    .len()
            }
        };
        out.truncate(len);
        Ok(out)
    }

    pub(crate) fn decrypt(&self, padding: RsaEncryptionPadding, cipher: &[u8]) -> Result<Secret> {
        let private = self.private()?;
        let mut out = Zeroizing::new(vec![0u8; private.oaep.min_output_size()]);
        let len = match padding {
            RsaEncryptionPadding::Pkcs1v15 => private
                .pkcs1
                .decrypt(cipher, &mut out)
                .map_err(|_| CryptoError::DecryptFailed)?
                .len(),
            RsaEncryptionPadding::Oaep(hash) => {
                let alg = oaep_algorithm(hash)?;
                private
                    .oaep
                    .decrypt(alg, cipher, &mut out, None)
                    .map_err(|_| CryptoError::DecryptFailed)?
                    .len()
            }
        };
        out.truncate(len);
        Ok(Secret::from(out))
    }

    /// Whether `scheme` is PSS, after checking it is an RSA scheme aws-lc can run with `hash`.
    fn is_pss(scheme: SignatureScheme, hash: DigestAlgorithm) -> Result<bool> {
        match scheme {
            SignatureScheme::RsaPkcs1v15 => Ok(false),
            SignatureScheme::RsaPss { mgf_hash } => match mgf_hash {
                Some(mgf) if mgf != hash => Err(CryptoError::unsupported(format!(
                    "RSA-PSS with MGF1-{mgf:?} over a {hash:?} message hash"
                ))),
                _ => Ok(true),
            },
            SignatureScheme::Ecdsa => Err(CryptoError::incompatible("ECDSA needs an EC key")),
        }
    }

    pub(crate) fn sign(
        &self,
        scheme: SignatureScheme,
        input: SignInput<'_>,
        hash: DigestAlgorithm,
    ) -> Result<Vec<u8>> {
        let encoding = signing_encoding(Self::is_pss(scheme, hash)?, hash)?;
        let private = self.private()?;
        let digest = import_digest(hash, &input.digest(hash)?)?;
        let mut sig = vec![0u8; private.signing.public_modulus_len()];
        private
            .signing
            .sign_digest(encoding, &digest, &mut sig)
            .map_err(|_| CryptoError::OperationFailed)?;
        Ok(sig)
    }

    pub(crate) fn verify(
        &self,
        scheme: SignatureScheme,
        input: SignInput<'_>,
        hash: DigestAlgorithm,
        signature: &[u8],
    ) -> Result<bool> {
        let params = verification_parameters(Self::is_pss(scheme, hash)?, hash)?;
        let digest = import_digest(hash, &input.digest(hash)?)?;
        Ok(UnparsedPublicKey::new(params, &self.spki)
            .verify_digest(&digest, signature)
            .is_ok())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static KEY: LazyLock<RsaCanonical> = LazyLock::new(|| generate(2048).unwrap());

    fn key() -> RsaKey {
        RsaKey::from_pkcs1(KEY.private_pkcs1.as_ref().unwrap().expose()).unwrap()
    }

    #[test]
    fn generated_keys_have_the_requested_size() {
        assert_eq!(KEY.bits, 2048);
        assert_eq!(key().bits(), 2048);
        assert_eq!(key().spki(), KEY.spki.as_slice());
    }

    #[test]
    fn canonical_pkcs1_is_a_fixed_point() {
        let pkcs1 = KEY.private_pkcs1.as_ref().unwrap();
        let again = canonicalize(pkcs1.expose()).unwrap();
        assert_eq!(again.private_pkcs1.as_ref(), Some(pkcs1));
        assert_eq!(again.spki, KEY.spki);
    }

    #[test]
    fn a_public_key_alone_canonicalizes_to_spki() {
        let public = canonicalize(&KEY.spki).unwrap();
        assert!(public.private_pkcs1.is_none());
        assert_eq!(public.spki, KEY.spki);
        assert_eq!(public.bits, 2048);
    }

    #[test]
    fn oversized_plaintexts_are_refused_before_encryption() {
        let k = key();
        let err = k.encrypt(
            RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha256),
            &[0; 200],
        );
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        assert!(k.encrypt(RsaEncryptionPadding::Pkcs1v15, &[0; 245]).is_ok());
        assert!(
            k.encrypt(RsaEncryptionPadding::Pkcs1v15, &[0; 246])
                .is_err()
        );
    }

    #[test]
    fn pss_with_a_different_mgf_hash_is_unsupported() {
        let scheme = SignatureScheme::RsaPss {
            mgf_hash: Some(DigestAlgorithm::Sha1),
        };
        let err = key().sign(scheme, SignInput::Data(b"m"), DigestAlgorithm::Sha256);
        assert!(matches!(err, Err(CryptoError::Unsupported(_))));
    }

    #[test]
    fn sha1_signing_is_unsupported() {
        let err = key().sign(
            SignatureScheme::RsaPkcs1v15,
            SignInput::Data(b"m"),
            DigestAlgorithm::Sha1,
        );
        assert!(matches!(err, Err(CryptoError::Unsupported(_))));
    }
}
