//! `/sys/v1/session/*` (dsm-api.md §3).
//!
//! `auth` and `reauth` answer [`AuthResponse`]; `refresh` and `terminate` answer 204 with no
//! body; `select_account` takes [`SelectAccountRequest`] and answers [`SelectAccountResponse`].

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /sys/v1/session/auth` → bearer session. All four fields are required by Rs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResponse {
    /// Always `Bearer`.
    pub token_type: String,
    /// Idle timeout in seconds (Rs counts from the last use).
    pub expires_in: u32,
    /// The opaque token for `Authorization: Bearer …`.
    pub access_token: String,
    /// The app id (app login) or user id (user login).
    pub entity_id: Uuid,
}

impl AuthResponse {
    /// A `Bearer` token response.
    pub fn bearer(access_token: impl Into<String>, expires_in: u32, entity_id: Uuid) -> Self {
        AuthResponse {
            token_type: "Bearer".to_owned(),
            expires_in,
            access_token: access_token.into(),
            entity_id,
        }
    }
}

/// `POST /sys/v1/session/select_account` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectAccountRequest {
    /// The account to act in.
    pub acct_id: Uuid,
}

/// `POST /sys/v1/session/select_account` answer: `{}` (no cookie) or `{"cookie":"…"}`. It must
/// be an object, never an empty body, since Rs decodes it as a struct.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectAccountResponse {
    /// Unused by Coffer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_account_answers_an_empty_object() {
        assert_eq!(
            serde_json::to_string(&SelectAccountResponse::default()).unwrap(),
            "{}"
        );
        let parsed: SelectAccountResponse = serde_json::from_str(r#"{"cookie":null}"#).unwrap();
        assert_eq!(parsed, SelectAccountResponse::default());
    }

    #[test]
    fn auth_response_has_the_four_fields() {
        let id = Uuid::from_u128(1);
        let json = serde_json::to_value(AuthResponse::bearer("tok", 600, id)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "token_type": "Bearer", "expires_in": 600,
                "access_token": "tok", "entity_id": id.to_string()
            })
        );
    }

    #[test]
    fn select_account_request_ignores_unknown_fields() {
        let id = Uuid::from_u128(9);
        let parsed: SelectAccountRequest =
            serde_json::from_str(&format!(r#"{{"acct_id":"{id}","extra":true}}"#)).unwrap();
        assert_eq!(parsed.acct_id, id);
    }
}
