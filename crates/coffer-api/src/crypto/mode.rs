//! Cipher and padding modes: [`EncryptionMode`], [`RsaEncryptionPadding`],
//! [`RsaSignaturePadding`], [`Mgf`].
//!
//! RSA paddings come in two shapes and both are accepted:
//! - Py's flat strings: `"PKCS1_V15"`, `"OAEP_MGF1_SHA256"` (and `"PSS_MGF1_SHA256"` for
//!   signatures);
//! - Rs's externally tagged objects: `{"PKCS1_V15":{}}`,
//!   `{"OAEP":{"mgf":{"mgf1":{"hash":"SHA1"}}}}`, `{"PSS":{"mgf":{"mgf1":{"hash":"SHA256"}}}}`.
//!
//! They are always written in the object shape.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::enums::{CipherMode, DigestAlgorithm};

/// The `mode` of encrypt/decrypt/wrap requests: a [`CipherMode`] string for symmetric keys, an
/// [`RsaEncryptionPadding`] (either shape) for RSA keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncryptionMode {
    /// `"CBC"`, `"GCM"`, ….
    Symmetric(CipherMode),
    /// `{"OAEP":…}` / `{"PKCS1_V15":{}}` or the flat strings.
    Rsa(RsaEncryptionPadding),
}

/// RSA encryption padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaEncryptionPadding {
    /// OAEP (PKCS#1 v2.1) with the given mask generation function.
    Oaep {
        /// The MGF, which also names the OAEP label hash.
        mgf: Mgf,
    },
    /// PKCS#1 v1.5.
    Pkcs1V15,
}

/// RSA signature padding: the `mode` of sign/verify requests. Absent means PKCS#1 v1.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaSignaturePadding {
    /// PSS (PKCS#1 v2.1) with the given mask generation function.
    Pss {
        /// The MGF, which also names the PSS hash.
        mgf: Mgf,
    },
    /// PKCS#1 v1.5.
    Pkcs1V15,
}

/// Mask generation function: `{"mgf1":{"hash":"SHA256"}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mgf {
    /// MGF1 over `hash`.
    Mgf1 {
        /// The hash MGF1 uses.
        hash: DigestAlgorithm,
    },
}

impl Mgf {
    /// The hash the function uses.
    pub const fn hash(self) -> DigestAlgorithm {
        match self {
            Mgf::Mgf1 { hash } => hash,
        }
    }
}

impl RsaEncryptionPadding {
    /// OAEP with MGF1 over `hash`.
    pub const fn oaep_mgf1(hash: DigestAlgorithm) -> Self {
        RsaEncryptionPadding::Oaep {
            mgf: Mgf::Mgf1 { hash },
        }
    }
}

impl RsaSignaturePadding {
    /// PSS with MGF1 over `hash`.
    pub const fn pss_mgf1(hash: DigestAlgorithm) -> Self {
        RsaSignaturePadding::Pss {
            mgf: Mgf::Mgf1 { hash },
        }
    }
}

impl From<CipherMode> for EncryptionMode {
    fn from(mode: CipherMode) -> Self {
        EncryptionMode::Symmetric(mode)
    }
}

impl From<RsaEncryptionPadding> for EncryptionMode {
    fn from(padding: RsaEncryptionPadding) -> Self {
        EncryptionMode::Rsa(padding)
    }
}

impl Serialize for EncryptionMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            EncryptionMode::Symmetric(mode) => mode.serialize(serializer),
            EncryptionMode::Rsa(padding) => padding.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for EncryptionMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ModeVisitor;

        impl<'de> Visitor<'de> for ModeVisitor {
            type Value = EncryptionMode;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a cipher mode (\"CBC\", \"GCM\", …) or an RSA padding")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                if let Ok(mode) = text.parse::<CipherMode>() {
                    return Ok(EncryptionMode::Symmetric(mode));
                }
                match parse_flat(text, OAEP) {
                    Some(raw) => Ok(EncryptionMode::Rsa(raw.into())),
                    None => Err(E::custom(format_args!(
                        "unknown encryption mode `{text}`: expected one of {}, or PKCS1_V15, \
                         OAEP_MGF1_<hash>",
                        CipherMode::ALL
                            .iter()
                            .map(|m| m.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                read_tagged(map, OAEP).map(|raw| EncryptionMode::Rsa(raw.into()))
            }
        }

        deserializer.deserialize_any(ModeVisitor)
    }
}

impl Serialize for RsaEncryptionPadding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            RsaEncryptionPadding::Oaep { mgf } => write_tagged(serializer, OAEP, Some(mgf)),
            RsaEncryptionPadding::Pkcs1V15 => write_tagged(serializer, PKCS1_V15, None),
        }
    }
}

impl<'de> Deserialize<'de> for RsaEncryptionPadding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(PaddingVisitor { mgf_tag: OAEP })
            .map(Into::into)
    }
}

impl Serialize for RsaSignaturePadding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            RsaSignaturePadding::Pss { mgf } => write_tagged(serializer, PSS, Some(mgf)),
            RsaSignaturePadding::Pkcs1V15 => write_tagged(serializer, PKCS1_V15, None),
        }
    }
}

impl<'de> Deserialize<'de> for RsaSignaturePadding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(PaddingVisitor { mgf_tag: PSS })
            .map(Into::into)
    }
}

const OAEP: &str = "OAEP";
const PSS: &str = "PSS";
const PKCS1_V15: &str = "PKCS1_V15";

/// Either RSA padding before it is given its type: the MGF variant (OAEP or PSS) or v1.5.
enum RawPadding {
    WithMgf(Mgf),
    Pkcs1V15,
}

impl From<RawPadding> for RsaEncryptionPadding {
    fn from(raw: RawPadding) -> Self {
        match raw {
            RawPadding::WithMgf(mgf) => RsaEncryptionPadding::Oaep { mgf },
            RawPadding::Pkcs1V15 => RsaEncryptionPadding::Pkcs1V15,
        }
    }
}

impl From<RawPadding> for RsaSignaturePadding {
    fn from(raw: RawPadding) -> Self {
        match raw {
            RawPadding::WithMgf(mgf) => RsaSignaturePadding::Pss { mgf },
            RawPadding::Pkcs1V15 => RsaSignaturePadding::Pkcs1V15,
        }
    }
}

/// The body of `{"OAEP":{…}}` / `{"PSS":{…}}`.
#[derive(Serialize, Deserialize)]
struct MgfBody {
    mgf: Mgf,
}

/// The body of `{"PKCS1_V15":{}}`.
#[derive(Serialize)]
struct EmptyBody {}

struct PaddingVisitor {
    mgf_tag: &'static str,
}

impl<'de> Visitor<'de> for PaddingVisitor {
    type Value = RawPadding;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an RSA padding: {{\"{PKCS1_V15}\":{{}}}}, {{\"{}\":{{\"mgf\":…}}}} or a flat name",
            self.mgf_tag
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        parse_flat(text, self.mgf_tag).ok_or_else(|| {
            E::custom(format_args!(
                "unknown RSA padding `{text}`: expected {PKCS1_V15} or {}_MGF1_<hash>",
                self.mgf_tag
            ))
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        read_tagged(map, self.mgf_tag)
    }
}

/// `PKCS1_V15` or `<TAG>_MGF1_<HASH>`, any case.
fn parse_flat(text: &str, mgf_tag: &str) -> Option<RawPadding> {
    if text.eq_ignore_ascii_case(PKCS1_V15) {
        return Some(RawPadding::Pkcs1V15);
    }
    let prefix_len = mgf_tag.len() + "_MGF1_".len();
    let prefix = text.get(..prefix_len)?;
    let (tag, mgf1) = prefix.split_at(mgf_tag.len());
    if !tag.eq_ignore_ascii_case(mgf_tag) || !mgf1.eq_ignore_ascii_case("_MGF1_") {
        return None;
    }
    let hash = text.get(prefix_len..)?.parse().ok()?;
    Some(RawPadding::WithMgf(Mgf::Mgf1 { hash }))
}

/// Reads `{"<TAG>":{"mgf":…}}` or `{"PKCS1_V15":<anything>}`: exactly one member.
fn read_tagged<'de, A: MapAccess<'de>>(
    mut map: A,
    mgf_tag: &'static str,
) -> Result<RawPadding, A::Error> {
    let expected: &'static [&'static str] = if mgf_tag == OAEP {
        &[OAEP, PKCS1_V15]
    } else {
        &[PSS, PKCS1_V15]
    };
    let Some(tag) = map.next_key::<String>()? else {
        return Err(de::Error::invalid_length(
            0,
            &"an object with exactly one padding member",
        ));
    };
    let raw = if tag.eq_ignore_ascii_case(mgf_tag) {
        RawPadding::WithMgf(map.next_value::<MgfBody>()?.mgf)
    } else if tag.eq_ignore_ascii_case(PKCS1_V15) {
        map.next_value::<IgnoredAny>()?;
        RawPadding::Pkcs1V15
    } else {
        return Err(de::Error::unknown_variant(&tag, expected));
    };
    if map.next_key::<IgnoredAny>()?.is_some() {
        return Err(de::Error::invalid_length(
            2,
            &"an object with exactly one padding member",
        ));
    }
    Ok(raw)
}

fn write_tagged<S: Serializer>(
    serializer: S,
    tag: &str,
    mgf: Option<Mgf>,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    match mgf {
        Some(mgf) => map.serialize_entry(tag, &MgfBody { mgf })?,
        None => map.serialize_entry(tag, &EmptyBody {})?,
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(json: &str) -> EncryptionMode {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn rsa_encryption_modes_accept_flat_strings() {
        assert_eq!(
            mode(r#""PKCS1_V15""#),
            EncryptionMode::Rsa(RsaEncryptionPadding::Pkcs1V15)
        );
        for (text, hash) in [
            ("OAEP_MGF1_SHA1", DigestAlgorithm::Sha1),
            ("OAEP_MGF1_SHA256", DigestAlgorithm::Sha256),
            ("OAEP_MGF1_SHA384", DigestAlgorithm::Sha384),
            ("oaep_mgf1_sha512", DigestAlgorithm::Sha512),
        ] {
            assert_eq!(
                mode(&format!("\"{text}\"")),
                EncryptionMode::Rsa(RsaEncryptionPadding::oaep_mgf1(hash)),
                "{text}"
            );
        }
    }

    #[test]
    fn rsa_encryption_modes_accept_objects() {
        assert_eq!(
            mode(r#"{"PKCS1_V15":{}}"#),
            EncryptionMode::Rsa(RsaEncryptionPadding::Pkcs1V15)
        );
        assert_eq!(
            mode(r#"{"OAEP":{"mgf":{"mgf1":{"hash":"SHA1"}}}}"#),
            EncryptionMode::Rsa(RsaEncryptionPadding::oaep_mgf1(DigestAlgorithm::Sha1))
        );
    }

    #[test]
    fn symmetric_modes_are_cipher_mode_strings() {
        assert_eq!(mode(r#""GCM""#), EncryptionMode::Symmetric(CipherMode::Gcm));
        assert_eq!(
            mode(r#""CBCNOPAD""#),
            EncryptionMode::Symmetric(CipherMode::CbcNoPad)
        );
        assert_eq!(
            serde_json::to_string(&EncryptionMode::from(CipherMode::Cbc)).unwrap(),
            r#""CBC""#
        );
    }

    #[test]
    fn rsa_modes_are_written_as_objects() {
        let oaep = EncryptionMode::Rsa(RsaEncryptionPadding::oaep_mgf1(DigestAlgorithm::Sha256));
        assert_eq!(
            serde_json::to_string(&oaep).unwrap(),
            r#"{"OAEP":{"mgf":{"mgf1":{"hash":"SHA256"}}}}"#
        );
        let v15 = EncryptionMode::Rsa(RsaEncryptionPadding::Pkcs1V15);
        assert_eq!(serde_json::to_string(&v15).unwrap(), r#"{"PKCS1_V15":{}}"#);
    }

    #[test]
    fn unknown_modes_name_the_value() {
        for (json, named) in [
            (r#""XTS""#, "`XTS`"),
            (r#""OAEP_MGF1_MD5""#, "`OAEP_MGF1_MD5`"),
            (r#"{"OAEPX":{}}"#, "`OAEPX`"),
        ] {
            let err = serde_json::from_str::<EncryptionMode>(json)
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{json}: {err}");
        }
        assert!(serde_json::from_str::<EncryptionMode>("{}").is_err());
        assert!(serde_json::from_str::<EncryptionMode>(r#"{"OAEP":{}}"#).is_err());
        assert!(serde_json::from_str::<EncryptionMode>(r#"{"PKCS1_V15":{},"OAEP":{}}"#).is_err());
    }

    #[test]
    fn signature_paddings_take_both_shapes() {
        let pss = RsaSignaturePadding::pss_mgf1(DigestAlgorithm::Sha256);
        for json in [
            r#"{"PSS":{"mgf":{"mgf1":{"hash":"SHA256"}}}}"#,
            r#""PSS_MGF1_SHA256""#,
        ] {
            assert_eq!(
                serde_json::from_str::<RsaSignaturePadding>(json).unwrap(),
                pss
            );
        }
        assert_eq!(
            serde_json::from_str::<RsaSignaturePadding>(r#"{"PKCS1_V15":{}}"#).unwrap(),
            RsaSignaturePadding::Pkcs1V15
        );
        assert_eq!(
            serde_json::to_string(&pss).unwrap(),
            r#"{"PSS":{"mgf":{"mgf1":{"hash":"SHA256"}}}}"#
        );
        assert!(
            serde_json::from_str::<RsaSignaturePadding>(
                r#"{"OAEP":{"mgf":{"mgf1":{"hash":"SHA1"}}}}"#
            )
            .is_err()
        );
    }
}
