//! AES in the block-cipher modes DSM exposes.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    self, AES_CBC_IV_LEN, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext,
    PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::key_wrap::{self, AesKek, KeyWrap, KeyWrapPadded};
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::random;
use crate::secret::Secret;

/// An AES mode of operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CipherMode {
    /// ECB without padding: input must be a whole number of 16-byte blocks. No IV.
    Ecb,
    /// CBC with PKCS#7 padding; 16-byte IV.
    Cbc,
    /// CBC without padding: input must be a whole number of blocks; 16-byte IV.
    CbcNoPad,
    /// CFB-128; 16-byte IV.
    Cfb,
    /// OFB; 16-byte IV.
    Ofb,
    /// CTR with a 128-bit big-endian counter block; 16-byte IV (the initial counter block).
    Ctr,
    /// GCM; 12-byte IV, 128-bit tag returned separately, optional additional data.
    Gcm,
    /// AES key wrap (RFC 3394), default IV. Input is a multiple of 8 bytes, at least 16. No IV.
    /// AES-128 and AES-256 keys only.
    Kw,
    /// AES key wrap with padding (RFC 5649). Any non-empty input. No IV. AES-128 and AES-256
    /// keys only.
    Kwp,
}

impl CipherMode {
    /// Length of the IV this mode takes, or `None` if it takes none.
    pub fn iv_len(self) -> Option<usize> {
        match self {
            Self::Cbc | Self::CbcNoPad | Self::Cfb | Self::Ofb | Self::Ctr => Some(AES_CBC_IV_LEN),
            Self::Gcm => Some(NONCE_LEN),
            Self::Ecb | Self::Kw | Self::Kwp => None,
        }
    }
}

/// The result of a symmetric encryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymmetricCiphertext {
    /// The ciphertext (for GCM, without the tag).
    pub cipher: Vec<u8>,
    /// The IV used (generated if none was given); `None` for ECB, KW and KWP.
    pub iv: Option<Vec<u8>>,
    /// The GCM authentication tag; `None` for other modes.
    pub tag: Option<Vec<u8>>,
}

/// The only GCM tag length aws-lc offers, in bits.
pub const GCM_TAG_BITS: u32 = 128;

const AES_BLOCK_LEN: usize = 16;

/// A parsed AES key.
pub(crate) struct AesKey {
    raw: Zeroizing<Vec<u8>>,
    algorithm: &'static cipher::Algorithm,
    gcm: LessSafeKey,
}

fn need_iv_len(mode: CipherMode, iv: &[u8]) -> Result<()> {
    match mode.iv_len() {
        Some(len) if len == iv.len() => Ok(()),
        Some(len) => Err(CryptoError::invalid_input(format!(
            "{mode:?} takes a {len}-byte IV, not {} bytes",
            iv.len()
        ))),
        None => Err(CryptoError::invalid_input(format!("{mode:?} takes no IV"))),
    }
}

fn iv128(iv: &[u8]) -> Result<FixedLength<16>> {
    FixedLength::try_from(iv).map_err(|_| CryptoError::invalid_input("IV must be 16 bytes"))
}

fn block_aligned(mode: CipherMode, data: &[u8]) -> Result<()> {
    if data.len().is_multiple_of(AES_BLOCK_LEN) {
        Ok(())
    } else {
        Err(CryptoError::invalid_input(format!(
            "{mode:?} input must be a multiple of {AES_BLOCK_LEN} bytes, not {}",
            data.len()
        )))
    }
}

impl AesKey {
    pub(crate) fn new(raw: &[u8]) -> Result<Self> {
        let (algorithm, gcm) = match raw.len() {
            16 => (&cipher::AES_128, &aead::AES_128_GCM),
            24 => (&cipher::AES_192, &aead::AES_192_GCM),
            32 => (&cipher::AES_256, &aead::AES_256_GCM),
            other => {
                return Err(CryptoError::invalid_key(format!(
                    "AES keys are 16, 24 or 32 bytes, not {other}"
                )));
            }
        };
        let gcm = UnboundKey::new(gcm, raw).map_err(|_| CryptoError::invalid_key("AES key"))?;
        Ok(Self {
            raw: Zeroizing::new(raw.to_vec()),
            algorithm,
            gcm: LessSafeKey::new(gcm),
        })
    }

    pub(crate) fn bits(&self) -> u32 {
        // 16, 24 or 32 bytes, checked in `new`.
        (self.raw.len() * 8) as u32
    }

    fn unbound(&self) -> Result<UnboundCipherKey> {
        UnboundCipherKey::new(self.algorithm, &self.raw).map_err(|_| CryptoError::OperationFailed)
    }

    fn kek(&self, mode: CipherMode) -> Result<AesKek> {
        let cipher = match self.raw.len() {
            16 => &key_wrap::AES_128,
            32 => &key_wrap::AES_256,
            _ => {
                return Err(CryptoError::unsupported(format!(
                    "{mode:?} with a {}-bit AES key (128 or 256 only)",
                    self.bits()
                )));
            }
        };
        AesKek::new(cipher, &self.raw).map_err(|_| CryptoError::OperationFailed)
    }

    pub(crate) fn encrypt(
        &self,
        mode: CipherMode,
        iv: Option<&[u8]>,
        ad: Option<&[u8]>,
        plain: &[u8],
        tag_len_bits: Option<u32>,
    ) -> Result<SymmetricCiphertext> {
        if mode == CipherMode::Gcm {
            return self.gcm_encrypt(iv, ad.unwrap_or_default(), plain, tag_len_bits);
        }
        reject_aead_parameters(mode, ad, tag_len_bits.is_some(), "tag_len")?;
        let iv = match (iv, mode.iv_len()) {
            (Some(iv), _) => {
                need_iv_len(mode, iv)?;
                Some(iv.to_vec())
            }
            (None, Some(len)) => Some(random::random_vec(len)?),
            (None, None) => None,
        };
        let failed = |_| CryptoError::OperationFailed;
        // The plaintext is encrypted in place; room for a padding block avoids reallocating
        // (and leaving a plaintext copy behind), and the buffer is wiped if encryption fails.
        let mut buf = Zeroizing::new(Vec::with_capacity(plain.len() + AES_BLOCK_LEN));
        buf.extend_from_slice(plain);
        let cipher = match mode {
            CipherMode::Ecb => {
                block_aligned(mode, plain)?;
                EncryptingKey::ecb(self.unbound()?)
                    .map_err(failed)?
                    .less_safe_encrypt(&mut buf, EncryptionContext::None)
                    .map_err(failed)?;
                core::mem::take(&mut *buf)
            }
            CipherMode::Cbc => {
                let context = EncryptionContext::Iv128(iv128(iv.as_deref().unwrap_or_default())?);
                PaddedBlockEncryptingKey::cbc_pkcs7(self.unbound()?)
                    .map_err(failed)?
                    .less_safe_encrypt(&mut *buf, context)
                    .map_err(failed)?;
                core::mem::take(&mut *buf)
            }
            CipherMode::CbcNoPad | CipherMode::Cfb | CipherMode::Ofb | CipherMode::Ctr => {
                let key = match mode {
                    CipherMode::CbcNoPad => {
                        block_aligned(mode, plain)?;
                        EncryptingKey::cbc(self.unbound()?)
                    }
                    CipherMode::Cfb => EncryptingKey::cfb128(self.unbound()?),
                    CipherMode::Ofb => EncryptingKey::ofb(self.unbound()?),
                    _ => EncryptingKey::ctr(self.unbound()?),
                }
                .map_err(failed)?;
                let context = EncryptionContext::Iv128(iv128(iv.as_deref().unwrap_or_default())?);
                key.less_safe_encrypt(&mut buf, context).map_err(failed)?;
                core::mem::take(&mut *buf)
            }
            CipherMode::Kw => {
                if plain.len() < 16 || !plain.len().is_multiple_of(8) {
                    return Err(CryptoError::invalid_input(
                        "KW input must be a multiple of 8 bytes and at least 16 bytes",
                    ));
                }
                let mut out = vec![0u8; plain.len() + 8];
                let len = self.kek(mode)?.wrap(plain, &mut out).map_err(failed)?.len();
                out.truncate(len);
                out
            }
            CipherMode::Kwp => {
                if plain.is_empty() {
                    return Err(CryptoError::invalid_input("KWP input must not be empty"));
                }
                let mut out = vec![0u8; plain.len().div_ceil(8) * 8 + 8];
                let len = self
                    .kek(mode)?
                    .wrap_with_padding(plain, &mut out)
                    .map_err(failed)?
                    .len();
                out.truncate(len);
                out
            }
            // GCM returned early above.
            CipherMode::Gcm => return Err(CryptoError::OperationFailed),
        };
        Ok(SymmetricCiphertext {
            cipher,
            iv,
            tag: None,
        })
    }

    fn gcm_encrypt(
        &self,
        iv: Option<&[u8]>,
        ad: &[u8],
        plain: &[u8],
        tag_len_bits: Option<u32>,
    ) -> Result<SymmetricCiphertext> {
        if let Some(bits) = tag_len_bits
            && bits != GCM_TAG_BITS
        {
            return Err(CryptoError::invalid_input(format!(
                "GCM tag length must be {GCM_TAG_BITS} bits, not {bits}"
            )));
        }
        let iv: [u8; NONCE_LEN] = match iv {
            Some(iv) => {
                need_iv_len(CipherMode::Gcm, iv)?;
                let mut array = [0u8; NONCE_LEN];
                array.copy_from_slice(iv);
                array
            }
            None => random::random_array()?,
        };
        let mut buf = Zeroizing::new(plain.to_vec());
        let tag = self
            .gcm
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(ad), &mut buf)
            .map_err(|_| CryptoError::OperationFailed)?;
        Ok(SymmetricCiphertext {
            cipher: core::mem::take(&mut *buf),
            iv: Some(iv.to_vec()),
            tag: Some(tag.as_ref().to_vec()),
        })
    }

    pub(crate) fn decrypt(
        &self,
        mode: CipherMode,
        iv: Option<&[u8]>,
        ad: Option<&[u8]>,
        cipher: &[u8],
        tag: Option<&[u8]>,
    ) -> Result<Secret> {
        if mode == CipherMode::Gcm {
            return self.gcm_decrypt(iv, ad.unwrap_or_default(), cipher, tag);
        }
        reject_aead_parameters(mode, ad, tag.is_some(), "tag")?;
        let iv = match (iv, mode.iv_len()) {
            (Some(iv), _) => {
                need_iv_len(mode, iv)?;
                Some(iv)
            }
            (None, Some(_)) => {
                return Err(CryptoError::invalid_input(format!("{mode:?} needs the IV")));
            }
            (None, None) => None,
        };
        let decrypt_failed = |_| CryptoError::DecryptFailed;
        let mut buf = Zeroizing::new(cipher.to_vec());
        let len = match mode {
            CipherMode::Ecb => {
                block_aligned(mode, cipher)?;
                DecryptingKey::ecb(self.unbound()?)
                    .map_err(decrypt_failed)?
                    .decrypt(&mut buf, DecryptionContext::None)
                    .map_err(decrypt_failed)?
                    .len()
            }
            CipherMode::Cbc => {
                block_aligned(mode, cipher)?;
                let context = DecryptionContext::Iv128(iv128(iv.unwrap_or_default())?);
                PaddedBlockDecryptingKey::cbc_pkcs7(self.unbound()?)
                    .map_err(decrypt_failed)?
                    .decrypt(&mut buf, context)
                    .map_err(decrypt_failed)?
                    .len()
            }
            CipherMode::CbcNoPad | CipherMode::Cfb | CipherMode::Ofb | CipherMode::Ctr => {
                let key = match mode {
                    CipherMode::CbcNoPad => {
                        block_aligned(mode, cipher)?;
                        DecryptingKey::cbc(self.unbound()?)
                    }
                    CipherMode::Cfb => DecryptingKey::cfb128(self.unbound()?),
                    CipherMode::Ofb => DecryptingKey::ofb(self.unbound()?),
                    _ => DecryptingKey::ctr(self.unbound()?),
                }
                .map_err(decrypt_failed)?;
                let context = DecryptionContext::Iv128(iv128(iv.unwrap_or_default())?);
                key.decrypt(&mut buf, context)
                    .map_err(decrypt_failed)?
                    .len()
            }
            CipherMode::Kw | CipherMode::Kwp => {
                let min = if mode == CipherMode::Kw { 24 } else { 16 };
                if cipher.len() < min || !cipher.len().is_multiple_of(8) {
                    return Err(CryptoError::invalid_input(format!(
                        "{mode:?} input must be a multiple of 8 bytes and at least {min} bytes"
                    )));
                }
                let kek = self.kek(mode)?;
                let mut out = Zeroizing::new(vec![0u8; cipher.len() - 8]);
                let len = if mode == CipherMode::Kw {
                    kek.unwrap(cipher, &mut out)
                } else {
                    kek.unwrap_with_padding(cipher, &mut out)
                }
                .map_err(decrypt_failed)?
                .len();
                buf = out;
                len
            }
            // GCM returned early above.
            CipherMode::Gcm => return Err(CryptoError::OperationFailed),
        };
        buf.truncate(len);
        Ok(Secret::from(buf))
    }

    fn gcm_decrypt(
        &self,
        iv: Option<&[u8]>,
        ad: &[u8],
        cipher: &[u8],
        tag: Option<&[u8]>,
    ) -> Result<Secret> {
        let iv = iv.ok_or_else(|| CryptoError::invalid_input("Gcm needs the IV"))?;
        need_iv_len(CipherMode::Gcm, iv)?;
        let tag = tag.ok_or_else(|| CryptoError::invalid_input("Gcm needs the tag"))?;
        if tag.len() * 8 != GCM_TAG_BITS as usize {
            return Err(CryptoError::invalid_input(format!(
                "GCM tag must be {} bytes, not {}",
                GCM_TAG_BITS / 8,
                tag.len()
            )));
        }
        let nonce =
            Nonce::try_assume_unique_for_key(iv).map_err(|_| CryptoError::OperationFailed)?;
        let mut buf = Zeroizing::new(cipher.to_vec());
        self.gcm
            .open_in_place_separate_tag(nonce, Aad::from(ad), tag, &mut buf)
            .map_err(|_| CryptoError::DecryptFailed)?;
        Ok(Secret::from(buf))
    }
}

/// Refuses GCM-only parameters in other modes. An empty `ad` counts as absent.
fn reject_aead_parameters(
    mode: CipherMode,
    ad: Option<&[u8]>,
    has_tag: bool,
    tag_name: &str,
) -> Result<()> {
    if ad.is_some_and(|ad| !ad.is_empty()) {
        return Err(CryptoError::invalid_input(format!(
            "{mode:?} takes no additional data (only Gcm does)"
        )));
    }
    if has_tag {
        return Err(CryptoError::invalid_input(format!(
            "{mode:?} takes no {tag_name} (only Gcm does)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODES: [CipherMode; 9] = [
        CipherMode::Ecb,
        CipherMode::Cbc,
        CipherMode::CbcNoPad,
        CipherMode::Cfb,
        CipherMode::Ofb,
        CipherMode::Ctr,
        CipherMode::Gcm,
        CipherMode::Kw,
        CipherMode::Kwp,
    ];

    fn key(len: usize) -> AesKey {
        AesKey::new(&random::random_vec(len).unwrap()).unwrap()
    }

    #[test]
    fn every_mode_round_trips_with_every_key_size() {
        let plain = [0x5au8; 32];
        for len in [16, 24, 32] {
            let k = key(len);
            for mode in MODES {
                if matches!(mode, CipherMode::Kw | CipherMode::Kwp) && len == 24 {
                    continue;
                }
                let ct = k.encrypt(mode, None, None, &plain, None).unwrap();
                assert_eq!(ct.iv.as_ref().map(Vec::len), mode.iv_len(), "{mode:?}");
                let back = k
                    .decrypt(mode, ct.iv.as_deref(), None, &ct.cipher, ct.tag.as_deref())
                    .unwrap();
                assert_eq!(back.expose(), &plain, "{mode:?} with {len}-byte key");
            }
        }
    }

    #[test]
    fn streaming_modes_and_padded_cbc_take_any_length() {
        let k = key(32);
        for mode in [
            CipherMode::Cbc,
            CipherMode::Cfb,
            CipherMode::Ofb,
            CipherMode::Ctr,
        ] {
            for len in [0usize, 1, 15, 17] {
                let plain = vec![7u8; len];
                let ct = k.encrypt(mode, None, None, &plain, None).unwrap();
                let back = k
                    .decrypt(mode, ct.iv.as_deref(), None, &ct.cipher, None)
                    .unwrap();
                assert_eq!(back.expose(), plain.as_slice(), "{mode:?} {len}");
            }
        }
    }

    #[test]
    fn unaligned_input_is_refused_where_no_padding_applies() {
        let k = key(16);
        for mode in [CipherMode::Ecb, CipherMode::CbcNoPad] {
            let err = k.encrypt(mode, None, None, &[0; 17], None);
            assert!(matches!(err, Err(CryptoError::InvalidInput(_))), "{mode:?}");
        }
        let err = k.encrypt(CipherMode::Kw, None, None, &[0; 20], None);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
    }

    #[test]
    fn wrong_iv_lengths_are_refused() {
        let k = key(16);
        let err = k.encrypt(CipherMode::Cbc, Some(&[0; 12]), None, b"x", None);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        let err = k.encrypt(CipherMode::Gcm, Some(&[0; 16]), None, b"x", None);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        let err = k.encrypt(CipherMode::Ecb, Some(&[0; 16]), None, &[0; 16], None);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        let err = k.decrypt(CipherMode::Ctr, None, None, b"x", None);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
    }

    #[test]
    fn a_given_iv_is_used_and_echoed() {
        let k = key(16);
        let iv = [9u8; 16];
        let ct = k
            .encrypt(CipherMode::Ctr, Some(&iv), None, b"abc", None)
            .unwrap();
        assert_eq!(ct.iv.as_deref(), Some(&iv[..]));
        let again = k
            .encrypt(CipherMode::Ctr, Some(&iv), None, b"abc", None)
            .unwrap();
        assert_eq!(ct, again);
    }

    #[test]
    fn gcm_rejects_a_bad_tag_or_other_additional_data() {
        let k = key(32);
        let ct = k
            .encrypt(CipherMode::Gcm, None, Some(b"ad"), b"secret", None)
            .unwrap();
        let iv = ct.iv.as_deref();
        let tag = ct.tag.clone().unwrap();
        let ok = k.decrypt(CipherMode::Gcm, iv, Some(b"ad"), &ct.cipher, Some(&tag));
        assert_eq!(ok.unwrap().expose(), b"secret");
        let err = k.decrypt(CipherMode::Gcm, iv, Some(b"AD"), &ct.cipher, Some(&tag));
        assert_eq!(err, Err(CryptoError::DecryptFailed));
        let err = k.decrypt(CipherMode::Gcm, iv, None, &ct.cipher, Some(&tag));
        assert_eq!(err, Err(CryptoError::DecryptFailed));
        let mut bad_tag = tag.clone();
        bad_tag[15] ^= 1;
        let err = k.decrypt(CipherMode::Gcm, iv, Some(b"ad"), &ct.cipher, Some(&bad_tag));
        assert_eq!(err, Err(CryptoError::DecryptFailed));
        let mut bad_ct = ct.cipher.clone();
        bad_ct[0] ^= 1;
        let err = k.decrypt(CipherMode::Gcm, iv, Some(b"ad"), &bad_ct, Some(&tag));
        assert_eq!(err, Err(CryptoError::DecryptFailed));
    }

    #[test]
    fn gcm_tags_other_than_128_bits_are_refused() {
        let k = key(16);
        let err = k.encrypt(CipherMode::Gcm, None, None, b"x", Some(96));
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        assert!(
            k.encrypt(CipherMode::Gcm, None, None, b"x", Some(128))
                .is_ok()
        );
        let ct = k.encrypt(CipherMode::Gcm, None, None, b"x", None).unwrap();
        let short = &ct.tag.as_deref().unwrap()[..12];
        let err = k.decrypt(
            CipherMode::Gcm,
            ct.iv.as_deref(),
            None,
            &ct.cipher,
            Some(short),
        );
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
    }

    #[test]
    fn gcm_parameters_are_refused_in_other_modes() {
        let k = key(16);
        let err = k.encrypt(CipherMode::Cbc, None, Some(b"ad"), b"x", None);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        let err = k.encrypt(CipherMode::Cbc, None, None, b"x", Some(128));
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
        let err = k.decrypt(CipherMode::Ctr, Some(&[0; 16]), None, b"x", Some(&[0; 16]));
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
    }

    #[test]
    fn tampered_key_wrap_fails() {
        let k = key(32);
        for mode in [CipherMode::Kw, CipherMode::Kwp] {
            let mut ct = k.encrypt(mode, None, None, &[1; 24], None).unwrap().cipher;
            ct[3] ^= 1;
            assert_eq!(
                k.decrypt(mode, None, None, &ct, None),
                Err(CryptoError::DecryptFailed)
            );
        }
    }

    #[test]
    fn key_wrap_with_aes_192_is_unsupported() {
        let err = key(24).encrypt(CipherMode::Kw, None, None, &[0; 16], None);
        assert!(matches!(err, Err(CryptoError::Unsupported(_))));
    }

    #[test]
    fn bad_cbc_padding_fails_opaquely() {
        let k = key(16);
        let iv = [0u8; 16];
        // A random block almost never decrypts to valid PKCS#7 padding ending in 0x01..0x10
        // with consistent bytes; try several until one fails.
        let failures = (0..8)
            .filter(|i| {
                let block = [*i as u8; 16];
                k.decrypt(CipherMode::Cbc, Some(&iv), None, &block, None)
                    == Err(CryptoError::DecryptFailed)
            })
            .count();
        assert!(failures > 0);
    }

    #[test]
    fn keys_of_other_lengths_are_rejected() {
        assert!(matches!(
            AesKey::new(&[0; 20]),
            Err(CryptoError::InvalidKey(_))
        ));
    }
}
