//! `/sys/v1/users` (dsm-api.md §4.4).

use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::codec::{
    CompactTime, deserialize_id_list, deserialize_opt_bool, deserialize_opt_parsed,
};
use crate::enums::{UserAccountFlag, UserGroupRole};
use crate::query::SortSpec;

/// A user. Rs requires `user_id`, `account_role`, `groups`, `u2f_devices`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub user_id: Uuid,
    /// Roles and state in the current account.
    pub account_role: Vec<UserAccountFlag>,
    /// Group memberships: `{"<gid>":["GROUPADMINISTRATOR"]}`.
    pub groups: BTreeMap<Uuid, GroupRoleEntry>,
    /// Registered U2F devices; Coffer sends `[]`.
    #[serde(default)]
    pub u2f_devices: Vec<U2fDevice>,
    /// E-mail (the login name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Whether the e-mail address is confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Whether a password is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_password: Option<bool>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<CompactTime>,
    /// Last login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_logged_in_at: Option<CompactTime>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A pending new e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_email: Option<String>,
}

/// A user's role in one group, as the value of a `groups` map entry.
///
/// Serializes as a one-element array, `["GROUPADMINISTRATOR"]` (Rs's only accepted form).
/// Deserializes from that or from a bare string, in either spelling (`GroupAdministrator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupRoleEntry(pub UserGroupRole);

impl Serialize for GroupRoleEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq([self.0])
    }
}

impl<'de> Deserialize<'de> for GroupRoleEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RoleVisitor;

        impl<'de> Visitor<'de> for RoleVisitor {
            type Value = GroupRoleEntry;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a group role or a one-element array of it")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                UserGroupRole::deserialize(de::value::StrDeserializer::<E>::new(text))
                    .map(GroupRoleEntry)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let role = seq
                    .next_element::<UserGroupRole>()?
                    .ok_or_else(|| de::Error::invalid_length(0, &"exactly one group role"))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(2, &"exactly one group role"));
                }
                Ok(GroupRoleEntry(role))
            }
        }

        deserializer.deserialize_any(RoleVisitor)
    }
}

/// A registered U2F device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct U2fDevice {
    /// Its name.
    pub name: String,
}

/// `POST /sys/v1/users/invite` and `PATCH /sys/v1/users/{id}` body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserRequest {
    /// E-mail (invite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    /// New password (wiped when the request is dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_password: Option<Zeroizing<String>>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Roles in the current account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_role: Option<Vec<UserAccountFlag>>,
    /// Groups to join with a role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_groups: Option<BTreeMap<Uuid, GroupRoleEntry>>,
    /// Groups whose role changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mod_groups: Option<BTreeMap<Uuid, GroupRoleEntry>>,
    /// Groups to leave (Rs sends a map; its keys are taken; a list works too).
    #[serde(
        default,
        deserialize_with = "deserialize_id_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub del_groups: Option<Vec<Uuid>>,
    /// Enable or disable (Rs spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Enable or disable (Py spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl UserRequest {
    /// The requested enabled state, whichever spelling carried it (`enable` wins).
    pub fn enable_flag(&self) -> Option<bool> {
        self.enable.or(self.enabled)
    }
}

/// `POST /sys/v1/users` (unauthenticated signup) body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupRequest {
    /// E-mail, the login name.
    pub user_email: String,
    /// Password (wiped when the request is dropped).
    pub user_password: Zeroizing<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// reCAPTCHA answer (ignored by Coffer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recaptcha_response: Option<String>,
}

impl fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupRequest")
            .field("user_email", &self.user_email)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish_non_exhaustive()
    }
}

/// `POST /sys/v1/users/change_password` body. `Debug` redacts both passwords.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    /// The password now in force (wiped when the request is dropped).
    pub current_password: Zeroizing<String>,
    /// The replacement (wiped when the request is dropped).
    pub new_password: Zeroizing<String>,
}

impl fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChangePasswordRequest { .. }")
    }
}

/// `GET /sys/v1/users/accounts` → `{"<acct_id>":["ACCOUNTADMINISTRATOR","STATEENABLED"],…}`.
pub type UserAccounts = BTreeMap<Uuid, Vec<UserAccountFlag>>;

/// `POST /sys/v1/users/{id}/confirm_email` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmEmailRequest {
    /// The token sent by e-mail.
    pub confirm_token: String,
}

/// `POST /sys/v1/users/{id}/confirm_email` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmEmailResponse {
    /// The confirmed address.
    pub user_email: String,
}

/// `POST /sys/v1/users/forgot_password` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgotPasswordRequest {
    /// Whose password.
    pub user_email: String,
}

/// `POST /sys/v1/users/{id}/reset_password` body. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPasswordRequest {
    /// The token sent by e-mail.
    pub reset_token: String,
    /// The new password (wiped when the request is dropped).
    pub new_password: Zeroizing<String>,
}

impl fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResetPasswordRequest { .. }")
    }
}

/// `POST /sys/v1/users/process_invite` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInviteRequest {
    /// Accounts whose invitation is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts: Option<Vec<Uuid>>,
    /// Accounts whose invitation is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejects: Option<Vec<Uuid>>,
}

/// Query of `GET /sys/v1/users`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListUsersParams {
    /// Only members of this group.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_id: Option<Uuid>,
    /// Only members of this account.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub acct_id: Option<Uuid>,
    /// Sort, e.g. `user_id:asc`.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub sort: Option<SortSpec>,
    /// Start after this value of the sort property.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub start: Option<String>,
    /// Page size.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u64>,
    /// Entries to skip after `start`.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<u64>,
    /// Sysadmin: users of every account.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub all_customers: Option<bool>,
    /// Sysadmin: include whether each user has an account.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub with_has_account: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GID: &str = "34e03147-9f71-4be9-9a54-3feda0843393";

    fn gid() -> Uuid {
        GID.parse().unwrap()
    }

    #[test]
    fn user_groups_emit_one_element_role_arrays() {
        let user = User {
            user_id: Uuid::from_u128(5),
            account_role: vec![
                UserAccountFlag::AccountAdministrator,
                UserAccountFlag::StateEnabled,
            ],
            groups: BTreeMap::from([(gid(), GroupRoleEntry(UserGroupRole::GroupAdministrator))]),
            u2f_devices: Vec::new(),
            user_email: Some("a@example.com".into()),
            first_name: None,
            last_name: None,
            email_verified: None,
            has_password: None,
            created_at: None,
            last_logged_in_at: None,
            description: None,
            new_email: None,
        };
        let json = serde_json::to_value(&user).unwrap();
        assert_eq!(
            json["groups"],
            serde_json::json!({ GID: ["GROUPADMINISTRATOR"] })
        );
        assert_eq!(
            json["account_role"],
            serde_json::json!(["ACCOUNTADMINISTRATOR", "STATEENABLED"])
        );
        assert_eq!(json["u2f_devices"], serde_json::json!([]));
        assert_eq!(serde_json::from_value::<User>(json).unwrap(), user);
    }

    #[test]
    fn group_roles_arrive_in_every_spelling_and_shape() {
        for body in [
            format!(r#"{{"add_groups":{{"{GID}":["GROUPADMINISTRATOR"]}}}}"#),
            format!(r#"{{"add_groups":{{"{GID}":"GroupAdministrator"}}}}"#),
            format!(r#"{{"add_groups":{{"{GID}":["groupadministrator"]}}}}"#),
        ] {
            let req: UserRequest = serde_json::from_str(&body).unwrap();
            assert_eq!(
                req.add_groups.unwrap()[&gid()],
                GroupRoleEntry(UserGroupRole::GroupAdministrator),
                "{body}"
            );
        }
        let two = format!(r#"{{"add_groups":{{"{GID}":["GROUPADMINISTRATOR","GROUPAUDITOR"]}}}}"#);
        assert!(serde_json::from_str::<UserRequest>(&two).is_err());
        let bad = format!(r#"{{"add_groups":{{"{GID}":["GROUPOWNER"]}}}}"#);
        let err = serde_json::from_str::<UserRequest>(&bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("GROUPOWNER"), "{err}");
    }

    #[test]
    fn enable_comes_in_either_spelling() {
        let rs: UserRequest = serde_json::from_str(r#"{"enable":false,"enabled":null}"#).unwrap();
        assert_eq!(rs.enable_flag(), Some(false));
        let py: UserRequest = serde_json::from_str(r#"{"enabled":true}"#).unwrap();
        assert_eq!(py.enable_flag(), Some(true));
    }

    #[test]
    fn user_accounts_map_shape() {
        let accounts: UserAccounts = serde_json::from_str(&format!(
            r#"{{"{GID}":["ACCOUNTADMINISTRATOR","STATEENABLED"]}}"#
        ))
        .unwrap();
        assert_eq!(accounts[&gid()].len(), 2);
    }

    #[test]
    fn password_requests_do_not_debug_print_secrets() {
        let req = ChangePasswordRequest {
            current_password: String::from("old").into(),
            new_password: String::from("new").into(),
        };
        assert!(!format!("{req:?}").contains("old"));
    }
}
