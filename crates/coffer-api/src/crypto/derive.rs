//! Derive and agree keys (dsm-api.md §6.6), and random bytes (§6.7, a Coffer extension).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::{Blob, CompactTime};
use crate::crypto::cipher::EncryptRequest;
use crate::enums::{KeyOperations, ObjectType, SobjectState};
use crate::sobject::SobjectDescriptor;

/// `POST /crypto/v1/keys/{kid}/derive` and `POST /crypto/v1/derive` body; answers the new
/// [`Sobject`](crate::Sobject).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeriveKeyRequest {
    /// The base key (descriptor form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Name of the new key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Group of the new key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// Type of the new key.
    pub key_type: ObjectType,
    /// Size of the new key in bits.
    pub key_size: u32,
    /// How to derive.
    pub mechanism: DeriveKeyMechanism,
    /// Enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Allowed operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<KeyOperations>>,
    /// Initial state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SobjectState>,
    /// Make it transient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transient: Option<bool>,
    /// Activation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_date: Option<CompactTime>,
    /// Deactivation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivation_date: Option<CompactTime>,
}

/// Derivation mechanism: `{"encrypt_data":EncryptRequest}` — the new key's value is the
/// ciphertext of `plain` under the base key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeriveKeyMechanism {
    /// Encrypt data with the base key.
    EncryptData(EncryptRequest),
}

/// `POST /crypto/v1/agree` body; answers the new [`Sobject`](crate::Sobject).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreeKeyRequest {
    /// Our private key.
    pub private_key: SobjectDescriptor,
    /// The peer's public key.
    pub public_key: SobjectDescriptor,
    /// Agreement mechanism.
    pub mechanism: AgreeKeyMechanism,
    /// Name of the new key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Group of the new key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// Type of the new key (HMAC or SECRET).
    pub key_type: ObjectType,
    /// Size of the new key in bits.
    pub key_size: u32,
    /// Enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Make it transient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transient: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Allowed operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<KeyOperations>>,
    /// Initial state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SobjectState>,
    /// Activation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_date: Option<CompactTime>,
    /// Deactivation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivation_date: Option<CompactTime>,
}

wire_enum! {
    /// Key agreement mechanism.
    pub enum AgreeKeyMechanism {
        /// (EC) Diffie–Hellman.
        DiffieHellman = "diffie_hellman",
    }
}

/// `POST /crypto/v1/random` body — a Coffer extension; no official client calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomRequest {
    /// Number of bytes.
    pub count: u32,
}

/// `POST /crypto/v1/random` answer — a Coffer extension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomResponse {
    /// The random bytes.
    pub random: Blob,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_request_carries_an_encrypt_mechanism() {
        let req: DeriveKeyRequest = serde_json::from_str(
            r#"{"name":"d","key_type":"AES","key_size":256,
                "mechanism":{"encrypt_data":{"alg":"AES","plain":"AAAA","mode":"ECB"}}}"#,
        )
        .unwrap();
        let DeriveKeyMechanism::EncryptData(inner) = req.mechanism;
        assert_eq!(inner.alg, ObjectType::Aes);
    }

    #[test]
    fn agree_request_mechanism_is_snake_case() {
        let req: AgreeKeyRequest = serde_json::from_str(
            r#"{"private_key":{"name":"a"},"public_key":{"name":"b"},"mechanism":"diffie_hellman",
                "name":"s","key_type":"SECRET","key_size":256,"enabled":true,"transient":false}"#,
        )
        .unwrap();
        assert_eq!(req.mechanism, AgreeKeyMechanism::DiffieHellman);
    }
}
