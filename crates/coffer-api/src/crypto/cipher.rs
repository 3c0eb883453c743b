//! Encrypt and decrypt, single-shot and multi-part (dsm-api.md §6.1).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::Blob;
use crate::crypto::mode::EncryptionMode;
use crate::enums::{CipherMode, ObjectType};
use crate::sobject::SobjectDescriptor;

/// `POST /crypto/v1/keys/{kid}/encrypt` and `POST /crypto/v1/encrypt` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Algorithm: the key's type (`AES`, `DES`, `DES3`, `RSA`).
    pub alg: ObjectType,
    /// Plaintext.
    pub plain: Blob,
    /// Cipher mode (symmetric) or RSA padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<EncryptionMode>,
    /// IV; generated and returned when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Additional authenticated data (GCM/CCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<Blob>,
    /// Tag length in **bits** (GCM/CCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_len: Option<u32>,
}

/// Encrypt answer. `cipher` excludes the tag, which comes back in `tag`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptResponse {
    /// The key used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// Ciphertext.
    pub cipher: Blob,
    /// IV used (symmetric only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Authentication tag (GCM/CCM only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Blob>,
}

/// `POST /crypto/v1/keys/{kid}/decrypt` and `POST /crypto/v1/decrypt` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Algorithm; Rs may omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<ObjectType>,
    /// Ciphertext (without the tag).
    pub cipher: Blob,
    /// Cipher mode (symmetric) or RSA padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<EncryptionMode>,
    /// IV, required when the mode uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Additional authenticated data (GCM/CCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<Blob>,
    /// Authentication tag (required for GCM/CCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Blob>,
    /// Masked decryption (Py; FPE only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked: Option<bool>,
}

/// Decrypt answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptResponse {
    /// The key used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// Plaintext.
    pub plain: Blob,
}

/// `POST …/encrypt/init` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptInitRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Algorithm.
    pub alg: ObjectType,
    /// Cipher mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<CipherMode>,
    /// IV; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Additional authenticated data (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<Blob>,
}

/// `POST …/encrypt/init` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptInitResponse {
    /// The key used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// IV in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Opaque, server-authenticated state for the next call.
    pub state: Blob,
}

/// `POST …/encrypt/update` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptUpdateRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Next plaintext chunk.
    pub plain: Blob,
    /// State from the previous call.
    pub state: Blob,
}

/// `POST …/encrypt/update` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptUpdateResponse {
    /// Ciphertext produced so far for this chunk.
    pub cipher: Blob,
    /// State for the next call.
    pub state: Blob,
}

/// `POST …/encrypt/final` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptFinalRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// State from the previous call.
    pub state: Blob,
    /// Tag length in bits (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_len: Option<u32>,
}

/// `POST …/encrypt/final` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptFinalResponse {
    /// Last ciphertext bytes.
    pub cipher: Blob,
    /// Authentication tag (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Blob>,
}

/// `POST …/decrypt/init` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptInitRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<ObjectType>,
    /// Cipher mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<CipherMode>,
    /// IV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Additional authenticated data (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<Blob>,
}

/// `POST …/decrypt/init` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptInitResponse {
    /// The key used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// Opaque state for the next call.
    pub state: Blob,
}

/// `POST …/decrypt/update` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptUpdateRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Next ciphertext chunk.
    pub cipher: Blob,
    /// State from the previous call.
    pub state: Blob,
}

/// `POST …/decrypt/update` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptUpdateResponse {
    /// Plaintext produced for this chunk.
    pub plain: Blob,
    /// State for the next call.
    pub state: Blob,
}

/// `POST …/decrypt/final` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptFinalRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// State from the previous call.
    pub state: Blob,
    /// Authentication tag (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Blob>,
}

/// `POST …/decrypt/final` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptFinalResponse {
    /// Last plaintext bytes.
    pub plain: Blob,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::crypto::mode::{Mgf, RsaEncryptionPadding};
    use crate::enums::DigestAlgorithm;

    #[test]
    fn encrypt_request_ignores_nulls_and_unknown_fields() {
        let req: EncryptRequest = serde_json::from_str(
            r#"{"key":{"name":"k1","kid":null},"alg":"AES","plain":"aGVsbG8=","mode":"GCM",
                "iv":null,"ad":null,"tag_len":128,"masked":null,"rs_only":1}"#,
        )
        .unwrap();
        assert_eq!(req.key, Some(SobjectDescriptor::Name("k1".into())));
        assert_eq!(req.plain.as_bytes(), b"hello");
        assert_eq!(req.mode, Some(EncryptionMode::Symmetric(CipherMode::Gcm)));
        assert_eq!((req.iv, req.tag_len), (None, Some(128)));
    }

    #[test]
    fn decrypt_request_takes_either_rsa_mode_shape() {
        for mode in [
            r#""OAEP_MGF1_SHA256""#,
            r#"{"OAEP":{"mgf":{"mgf1":{"hash":"SHA256"}}}}"#,
        ] {
            let req: DecryptRequest =
                serde_json::from_str(&format!(r#"{{"cipher":"AAAA","mode":{mode}}}"#)).unwrap();
            assert_eq!(
                req.mode,
                Some(EncryptionMode::Rsa(RsaEncryptionPadding::oaep_mgf1(
                    DigestAlgorithm::Sha256
                )))
            );
            assert_eq!(req.alg, None);
        }
    }

    #[test]
    fn encrypt_response_omits_absent_iv_and_tag() {
        let response = EncryptResponse {
            kid: None,
            cipher: Blob::new(vec![1, 2, 3]),
            iv: None,
            tag: None,
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"cipher":"AQID"}"#
        );
    }

    fn blob() -> impl Strategy<Value = Blob> {
        proptest::collection::vec(any::<u8>(), 0..48).prop_map(Blob::new)
    }

    fn descriptor() -> impl Strategy<Value = SobjectDescriptor> {
        prop_oneof![
            any::<u128>().prop_map(|id| SobjectDescriptor::Kid(Uuid::from_u128(id))),
            "[a-zA-Z0-9 _-]{0,20}".prop_map(SobjectDescriptor::Name),
            blob().prop_map(SobjectDescriptor::TransientKey),
        ]
    }

    fn encryption_mode() -> impl Strategy<Value = EncryptionMode> {
        prop_oneof![
            proptest::sample::select(CipherMode::ALL).prop_map(EncryptionMode::Symmetric),
            Just(EncryptionMode::Rsa(RsaEncryptionPadding::Pkcs1V15)),
            proptest::sample::select(DigestAlgorithm::ALL).prop_map(|hash| {
                EncryptionMode::Rsa(RsaEncryptionPadding::Oaep {
                    mgf: Mgf::Mgf1 { hash },
                })
            }),
        ]
    }

    proptest! {
        #[test]
        fn encrypt_request_round_trips(
            key in proptest::option::of(descriptor()),
            alg in proptest::sample::select(ObjectType::ALL),
            plain in blob(),
            mode in proptest::option::of(encryption_mode()),
            iv in proptest::option::of(blob()),
            ad in proptest::option::of(blob()),
            tag_len in proptest::option::of(any::<u32>()),
        ) {
            let req = EncryptRequest { key, alg, plain, mode, iv, ad, tag_len };
            let json = serde_json::to_string(&req).unwrap();
            prop_assert_eq!(serde_json::from_str::<EncryptRequest>(&json).unwrap(), req);
        }
    }
}
