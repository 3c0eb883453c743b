//! Wrap and unwrap keys (dsm-api.md §6.5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::Blob;
use crate::crypto::mode::EncryptionMode;
use crate::enums::{KeyFormat, KeyOperations, ObjectType};
use crate::sobject::{RsaOptions, SobjectDescriptor};

/// `POST /crypto/v1/keys/{wrapping kid}/wrapkey` (subject in `kid`) and
/// `POST /crypto/v1/wrapkey` (wrapping key in `key`, subject in `subject`) body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapKeyRequest {
    /// The wrapping key (descriptor form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// The key to wrap (descriptor form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<SobjectDescriptor>,
    /// The key to wrap (path form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// Algorithm of the wrapping key.
    pub alg: ObjectType,
    /// Cipher mode or RSA padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<EncryptionMode>,
    /// IV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Additional authenticated data (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<Blob>,
    /// Tag length in bits (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_len: Option<u32>,
    /// Encoding of a wrapped private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_format: Option<KeyFormat>,
}

/// Wrap answer: `{"wrapped_key","iv"?,"tag"?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapKeyResponse {
    /// The wrapped key.
    pub wrapped_key: Blob,
    /// IV used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Authentication tag (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Blob>,
}

/// `POST /crypto/v1/keys/{kid}/unwrapkey` and `POST /crypto/v1/unwrapkey` body; the answer is
/// the new [`Sobject`](crate::Sobject) (origin `External`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnwrapKeyRequest {
    /// The unwrapping key (descriptor form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Algorithm of the unwrapping key.
    pub alg: ObjectType,
    /// Type of the wrapped key.
    pub obj_type: ObjectType,
    /// The wrapped key.
    pub wrapped_key: Blob,
    /// Cipher mode or RSA padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<EncryptionMode>,
    /// IV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<Blob>,
    /// Additional authenticated data (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<Blob>,
    /// Authentication tag (GCM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Blob>,
    /// Name of the new object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Group of the new object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// Allowed operations of the new object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<KeyOperations>>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Make it transient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transient: Option<bool>,
    /// RSA options of the new object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsa: Option<RsaOptions>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_form_wrap_names_the_subject_in_kid() {
        let req: WrapKeyRequest = serde_json::from_str(
            r#"{"alg":"AES","kid":"0d8f6f4e-5a7c-4bd4-9f0e-2a1b3c4d5e6f","mode":"KW","key_format":"pkcs8"}"#,
        )
        .unwrap();
        assert!(req.kid.is_some() && req.subject.is_none());
        assert_eq!(req.key_format, Some(KeyFormat::Pkcs8));
    }

    #[test]
    fn unwrap_request_with_nulls() {
        let req: UnwrapKeyRequest = serde_json::from_str(
            r#"{"key":{"name":"kek"},"alg":"AES","obj_type":"AES","wrapped_key":"AAAA",
                "mode":"KWP","iv":null,"name":"imported","rsa":null,"key_ops":["ENCRYPT"]}"#,
        )
        .unwrap();
        assert_eq!(req.key_ops, Some(vec![KeyOperations::Encrypt]));
        assert_eq!(req.name.as_deref(), Some("imported"));
    }
}
