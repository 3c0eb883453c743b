//! `/sys/v1/groups` (dsm-api.md §4.2).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::CompactTime;
use crate::principal::Principal;

/// A group. Rs requires `group_id`, `acct_id`, `name`, `created_at`, `creator`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Group id.
    pub group_id: Uuid,
    /// Owning account.
    pub acct_id: Uuid,
    /// Name, unique in the account.
    pub name: String,
    /// Creation time.
    pub created_at: CompactTime,
    /// Who created it: `{"user":…}` or `{"app":…}`.
    pub creator: Principal,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quorum approval policy, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<serde_json::Value>,
}

/// `POST /sys/v1/groups` (create; `name` required) and `PATCH /sys/v1/groups/{id}` body.
///
/// The CLI also posts stray members (`add_quorum_policy`, `n`, `users`, `require_2fa`, …);
/// they are ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupRequest {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quorum approval policy, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_create_group_body_is_accepted() {
        let req: GroupRequest = serde_json::from_str(
            r#"{"name":"g1","description":null,"add_quorum_policy":false,"n":null,
                "users":null,"require_2fa":false,"require_password":false}"#,
        )
        .unwrap();
        assert_eq!(
            req,
            GroupRequest {
                name: Some("g1".into()),
                ..GroupRequest::default()
            }
        );
    }

    #[test]
    fn group_creator_is_a_principal_object() {
        let group = Group {
            group_id: Uuid::from_u128(2),
            acct_id: Uuid::from_u128(1),
            name: "g".into(),
            created_at: CompactTime::EPOCH,
            creator: Principal::User(Uuid::from_u128(3)),
            description: None,
            approval_policy: None,
        };
        let json = serde_json::to_value(&group).unwrap();
        assert_eq!(
            json["creator"],
            serde_json::json!({"user": Uuid::from_u128(3).to_string()})
        );
        assert_eq!(json["created_at"], "19700101T000000Z");
        assert!(json.get("description").is_none());
    }
}
