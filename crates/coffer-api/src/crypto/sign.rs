//! Sign and verify (dsm-api.md §6.2).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::Blob;
use crate::crypto::mode::RsaSignaturePadding;
use crate::enums::DigestAlgorithm;
use crate::sobject::SobjectDescriptor;

/// `POST /crypto/v1/keys/{kid}/sign` and `POST /crypto/v1/sign` body. Exactly one of `hash`
/// and `data` is expected (the server checks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// The hash algorithm.
    pub hash_alg: DigestAlgorithm,
    /// A precomputed digest to sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Blob>,
    /// Data for the server to hash with `hash_alg`, then sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Blob>,
    /// RSA padding; absent = PKCS#1 v1.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RsaSignaturePadding>,
    /// Deterministic ECDSA (RFC 6979).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deterministic_signature: Option<bool>,
}

/// Sign answer: `{"kid","signature"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignResponse {
    /// The key used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// Raw RSA signature or DER ECDSA `SEQUENCE{r,s}`.
    pub signature: Blob,
}

/// `POST /crypto/v1/keys/{kid}/verify` and `POST /crypto/v1/verify` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// The hash algorithm.
    pub hash_alg: DigestAlgorithm,
    /// The digest that was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Blob>,
    /// The data that was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Blob>,
    /// RSA padding; absent = PKCS#1 v1.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RsaSignaturePadding>,
    /// The signature to check.
    pub signature: Blob,
}

/// Verify and MAC-verify answer: `{"kid","result":bool}`. A mismatch is `result: false` with
/// status 200, not an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    /// The key used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// Whether the signature or MAC matched.
    pub result: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_request_with_pss_mode_and_nulls() {
        let req: SignRequest = serde_json::from_str(
            r#"{"key":{"kid":"0d8f6f4e-5a7c-4bd4-9f0e-2a1b3c4d5e6f"},"hash_alg":"Sha256",
                "hash":"AAAA","data":null,"mode":{"PSS":{"mgf":{"mgf1":{"hash":"SHA256"}}}},
                "deterministic_signature":null}"#,
        )
        .unwrap();
        assert_eq!(req.hash_alg, DigestAlgorithm::Sha256);
        assert_eq!(
            req.mode,
            Some(RsaSignaturePadding::pss_mgf1(DigestAlgorithm::Sha256))
        );
        assert!(req.data.is_none());
    }

    #[test]
    fn verify_response_shape() {
        let response = VerifyResponse {
            kid: None,
            result: false,
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"result":false}"#
        );
    }
}
