//! MAC, MAC verify and digest (dsm-api.md §6.3, §6.4).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::Blob;
use crate::enums::DigestAlgorithm;
use crate::sobject::SobjectDescriptor;

/// `POST /crypto/v1/keys/{kid}/mac` and `POST /crypto/v1/mac` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Hash for HMAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<DigestAlgorithm>,
    /// Data to authenticate.
    pub data: Blob,
}

/// MAC answer. Both clients require `mac`; the CLI prints `digest`: for HMAC both carry the
/// same bytes (see [`MacResponse::hmac`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacResponse {
    /// The key used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// The MAC.
    pub mac: Blob,
    /// The same MAC under its legacy name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Blob>,
}

impl MacResponse {
    /// An HMAC answer carrying the MAC in both `mac` and `digest`.
    pub fn hmac(kid: Option<Uuid>, mac: Blob) -> Self {
        MacResponse {
            kid,
            digest: Some(mac.clone()),
            mac,
        }
    }
}

/// `POST /crypto/v1/keys/{kid}/macverify` and `POST /crypto/v1/macverify` body. The MAC comes
/// in `mac` or in the deprecated `digest` (the CLI's choice): see [`MacVerifyRequest::mac_value`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacVerifyRequest {
    /// The key (descriptor form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SobjectDescriptor>,
    /// Hash for HMAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<DigestAlgorithm>,
    /// The authenticated data.
    pub data: Blob,
    /// The MAC to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<Blob>,
    /// The MAC to check, legacy name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Blob>,
}

impl MacVerifyRequest {
    /// The MAC to check: `mac`, else `digest`.
    pub fn mac_value(&self) -> Option<&Blob> {
        self.mac.as_ref().or(self.digest.as_ref())
    }
}

/// `POST /crypto/v1/digest` body: `{"alg":"SHA256","data":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestRequest {
    /// The hash.
    pub alg: DigestAlgorithm,
    /// The data.
    pub data: Blob,
}

/// `POST /crypto/v1/digest` answer: `{"digest":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestResponse {
    /// The digest.
    pub digest: Blob,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_answers_carry_mac_and_digest() {
        let json = serde_json::to_value(MacResponse::hmac(None, Blob::new(vec![7; 4]))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"mac": "BwcHBw==", "digest": "BwcHBw=="})
        );
    }

    #[test]
    fn macverify_takes_mac_or_digest() {
        let cli: MacVerifyRequest =
            serde_json::from_str(r#"{"alg":"SHA256","data":"AA==","digest":"AQ=="}"#).unwrap();
        assert_eq!(cli.mac_value(), Some(&Blob::new(vec![1])));
        let rs: MacVerifyRequest =
            serde_json::from_str(r#"{"alg":"SHA256","data":"AA==","mac":"Ag==","digest":null}"#)
                .unwrap();
        assert_eq!(rs.mac_value(), Some(&Blob::new(vec![2])));
    }

    #[test]
    fn digest_request_accepts_py_algorithm_spelling() {
        let req: DigestRequest = serde_json::from_str(r#"{"alg":"Sha3_256","data":""}"#).unwrap();
        assert_eq!(req.alg, DigestAlgorithm::Sha3_256);
    }
}
