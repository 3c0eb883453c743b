//! Batch operations: `POST /crypto/v1/keys/batch/{encrypt,decrypt,sign,verify,mac,macverify}`.
//!
//! Bodies are arrays; answers are arrays of [`BatchResponseItem`] in the same order, inside a
//! 200 response.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::cipher::{DecryptRequest, EncryptRequest};
use crate::crypto::mac::{MacRequest, MacVerifyRequest};
use crate::crypto::sign::{SignRequest, VerifyRequest};

/// One item of a batch encrypt: `{"kid","request":{…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchEncryptRequestItem {
    /// The key.
    pub kid: Uuid,
    /// The encrypt request.
    pub request: EncryptRequest,
}

/// One item of a batch decrypt: `{"kid","request":{…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchDecryptRequestItem {
    /// The key.
    pub kid: Uuid,
    /// The decrypt request.
    pub request: DecryptRequest,
}

/// `POST /crypto/v1/keys/batch/encrypt` body.
pub type BatchEncryptRequest = Vec<BatchEncryptRequestItem>;
/// `POST /crypto/v1/keys/batch/decrypt` body.
pub type BatchDecryptRequest = Vec<BatchDecryptRequestItem>;
/// `POST /crypto/v1/keys/batch/sign` body: descriptor-form requests (each with `key`).
pub type BatchSignRequest = Vec<SignRequest>;
/// `POST /crypto/v1/keys/batch/verify` body: descriptor-form requests (each with `key`).
pub type BatchVerifyRequest = Vec<VerifyRequest>;
/// `POST /crypto/v1/keys/batch/mac` body: descriptor-form requests (each with `key`).
pub type BatchMacRequest = Vec<MacRequest>;
/// `POST /crypto/v1/keys/batch/macverify` body: descriptor-form requests (each with `key`).
pub type BatchMacVerifyRequest = Vec<MacVerifyRequest>;
/// A batch answer.
pub type BatchResponse<T> = Vec<BatchResponseItem<T>>;

/// One result of a batch: `{"status":200,"body":{…}}` or `{"status":4xx,"error":"text"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BatchResponseItem<T> {
    /// The operation succeeded.
    Success {
        /// HTTP-like status, 200.
        status: u16,
        /// The operation's answer.
        body: T,
    },
    /// The operation failed.
    Error {
        /// HTTP-like status, 4xx/5xx.
        status: u16,
        /// Short human-readable message.
        error: String,
    },
}

impl<T> BatchResponseItem<T> {
    /// A 200 item.
    pub fn ok(body: T) -> Self {
        BatchResponseItem::Success { status: 200, body }
    }

    /// A failed item.
    pub fn error(status: u16, error: impl Into<String>) -> Self {
        BatchResponseItem::Error {
            status,
            error: error.into(),
        }
    }

    /// The item's status.
    pub fn status(&self) -> u16 {
        match self {
            BatchResponseItem::Success { status, .. } | BatchResponseItem::Error { status, .. } => {
                *status
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sign::VerifyResponse;

    #[test]
    fn batch_items_serialize_untagged() {
        let items: BatchResponse<VerifyResponse> = vec![
            BatchResponseItem::ok(VerifyResponse {
                kid: None,
                result: true,
            }),
            BatchResponseItem::error(404, "security object not found"),
        ];
        assert_eq!(
            serde_json::to_string(&items).unwrap(),
            r#"[{"status":200,"body":{"result":true}},{"status":404,"error":"security object not found"}]"#
        );
    }

    #[test]
    fn batch_encrypt_body_parses() {
        let body: BatchEncryptRequest = serde_json::from_str(
            r#"[{"kid":"0d8f6f4e-5a7c-4bd4-9f0e-2a1b3c4d5e6f","request":{"alg":"AES","plain":"AA==","mode":"CBC"}}]"#,
        )
        .unwrap();
        assert_eq!(body.len(), 1);
    }
}
