//! [`RsaOptions`] and the RSA policy types of security objects.

use serde::{Deserialize, Serialize};

use crate::codec::deserialize_null_default;
use crate::enums::DigestAlgorithm;

/// RSA-specific options (`rsa` of objects and requests).
///
/// Rs requires both policy arrays whenever `rsa` is present, so they are always written, `[]`
/// when empty. On input an absent or `null` array reads as empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaOptions {
    /// Modulus size in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    /// Public exponent (create only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_exponent: Option<u32>,
    /// Allowed encryption paddings; each entry is one allowed combination.
    #[serde(default, deserialize_with = "deserialize_null_default")]
    pub encryption_policy: Vec<RsaEncryptionPolicy>,
    /// Allowed signature paddings; each entry is one allowed combination.
    #[serde(default, deserialize_with = "deserialize_null_default")]
    pub signature_policy: Vec<RsaSignaturePolicy>,
}

/// One allowed RSA encryption combination; an unset constraint allows anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaEncryptionPolicy {
    /// Allowed padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<RsaEncryptionPaddingPolicy>,
}

/// Padding constraint of an [`RsaEncryptionPolicy`]: `{"OAEP":{"mgf":…?}}` or
/// `{"PKCS1_V15":{}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RsaEncryptionPaddingPolicy {
    /// OAEP, optionally with a required MGF.
    Oaep {
        /// Required MGF, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mgf: Option<MgfPolicy>,
    },
    /// PKCS#1 v1.5.
    Pkcs1V15 {},
}

/// One allowed RSA signature combination; an unset constraint allows anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaSignaturePolicy {
    /// Allowed padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<RsaSignaturePaddingPolicy>,
}

/// Padding constraint of an [`RsaSignaturePolicy`]: `{"PSS":{"mgf":…?}}` or
/// `{"PKCS1_V15":{}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RsaSignaturePaddingPolicy {
    /// PSS, optionally with a required MGF.
    Pss {
        /// Required MGF, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mgf: Option<MgfPolicy>,
    },
    /// PKCS#1 v1.5.
    Pkcs1V15 {},
}

/// MGF constraint: `{"mgf1":{"hash":…?}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MgfPolicy {
    /// MGF1, optionally with a required hash.
    Mgf1 {
        /// Required hash, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hash: Option<DigestAlgorithm>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_always_written_and_null_reads_as_empty() {
        let rsa = RsaOptions {
            key_size: Some(2048),
            ..RsaOptions::default()
        };
        assert_eq!(
            serde_json::to_string(&rsa).unwrap(),
            r#"{"key_size":2048,"encryption_policy":[],"signature_policy":[]}"#
        );
        let parsed: RsaOptions =
            serde_json::from_str(r#"{"key_size":2048,"encryption_policy":null}"#).unwrap();
        assert_eq!(parsed, rsa);
    }

    #[test]
    fn policy_paddings_use_rs_spellings() {
        let json = r#"[{"padding":{"OAEP":{"mgf":{"mgf1":{"hash":"SHA256"}}}}},{"padding":{"PKCS1_V15":{}}},{}]"#;
        let parsed: Vec<RsaEncryptionPolicy> = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
        let oaep_any: RsaEncryptionPolicy =
            serde_json::from_str(r#"{"padding":{"OAEP":{}}}"#).unwrap();
        assert_eq!(
            oaep_any.padding,
            Some(RsaEncryptionPaddingPolicy::Oaep { mgf: None })
        );
    }
}
