//! `/sys/v1/apps` (dsm-api.md §4.3).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::codec::{
    Blob, CompactTime, deserialize_id_list, deserialize_opt_bool, deserialize_opt_parsed,
};
use crate::enums::AppPermission;
use crate::principal::Principal;
use crate::query::SortSpec;

/// An app. Rs requires `app_id`, `acct_id`, `name`, `app_type`, `created_at`, `creator`,
/// `enabled`, `groups`. Never carries the secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct App {
    /// App id (the user part of its API key).
    pub app_id: Uuid,
    /// Owning account.
    pub acct_id: Uuid,
    /// Name.
    pub name: String,
    /// Free text, e.g. `default`.
    pub app_type: String,
    /// Creation time.
    pub created_at: CompactTime,
    /// Who created it.
    pub creator: Principal,
    /// Whether it may authenticate.
    pub enabled: bool,
    /// Its groups: a list by default, a map with permissions when `group_permissions=true`.
    pub groups: AppGroups,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Group new objects go to when a request names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_group: Option<Uuid>,
    /// How it authenticates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AppAuthType>,
    /// Interface label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Last authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lastused_at: Option<CompactTime>,
    /// OAuth settings, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_config: Option<serde_json::Value>,
    /// Expiry of the app's client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_not_after: Option<CompactTime>,
}

/// The `groups` of an [`App`] in either representation Rs accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppGroups {
    /// `["<gid>", …]`, the default.
    List(Vec<Uuid>),
    /// `{"<gid>":["ENCRYPT",…]}`, when `group_permissions=true`.
    Map(BTreeMap<Uuid, Vec<AppPermission>>),
}

impl AppGroups {
    /// The group ids, in either representation.
    pub fn ids(&self) -> Vec<Uuid> {
        match self {
            AppGroups::List(ids) => ids.clone(),
            AppGroups::Map(map) => map.keys().copied().collect(),
        }
    }
}

impl Default for AppGroups {
    fn default() -> Self {
        AppGroups::List(Vec::new())
    }
}

impl Serialize for AppGroups {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AppGroups::List(ids) => ids.serialize(serializer),
            AppGroups::Map(map) => map.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for AppGroups {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let groups = AppGroupsRequest::deserialize(deserializer)?;
        Ok(if groups.from_list {
            AppGroups::List(groups.groups.into_keys().collect())
        } else {
            AppGroups::Map(
                groups
                    .groups
                    .into_iter()
                    .map(|(id, perms)| (id, perms.unwrap_or_default()))
                    .collect(),
            )
        })
    }
}

/// `add_groups` / `mod_groups` of an [`AppRequest`]: a map `{"<gid>":["ENCRYPT",…]}` (Py, Rs)
/// or a plain list of gids (CLI `create-app`). A listed gid, or a `null` permission list, has
/// no permissions given: `None`, for the server to pick its default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppGroupsRequest {
    /// Permissions per group; `None` when not given.
    pub groups: BTreeMap<Uuid, Option<Vec<AppPermission>>>,
    /// Whether the request used the list form (serialization repeats it).
    pub from_list: bool,
}

impl Serialize for AppGroupsRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.from_list {
            serializer.collect_seq(self.groups.keys())
        } else {
            let mut map = serializer.serialize_map(Some(self.groups.len()))?;
            for (id, perms) in &self.groups {
                map.serialize_entry(id, perms)?;
            }
            map.end()
        }
    }
}

impl<'de> Deserialize<'de> for AppGroupsRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct GroupsVisitor;

        impl<'de> Visitor<'de> for GroupsVisitor {
            type Value = AppGroupsRequest;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of group ids or an object of group id to permissions")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut groups = BTreeMap::new();
                while let Some(id) = seq.next_element::<Uuid>()? {
                    groups.insert(id, None);
                }
                Ok(AppGroupsRequest {
                    groups,
                    from_list: true,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut groups = BTreeMap::new();
                while let Some((id, perms)) =
                    map.next_entry::<Uuid, Option<Vec<AppPermission>>>()?
                {
                    groups.insert(id, perms);
                }
                Ok(AppGroupsRequest {
                    groups,
                    from_list: false,
                })
            }
        }

        deserializer.deserialize_any(GroupsVisitor)
    }
}

/// `POST /sys/v1/apps` (create) and `PATCH /sys/v1/apps/{id}` (partial update) body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AppRequest {
    /// Name (required to create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Default group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_group: Option<Uuid>,
    /// Groups to join, with permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_groups: Option<AppGroupsRequest>,
    /// Groups to leave (a list; an object's keys are taken too).
    #[serde(
        default,
        deserialize_with = "deserialize_id_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub del_groups: Option<Vec<Uuid>>,
    /// Groups whose permissions change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mod_groups: Option<AppGroupsRequest>,
    /// Enable or disable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Free-text type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    /// Interface label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Credential to set; absent means the server generates a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<AppCredential>,
    /// Size in bytes of a generated secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_size: Option<u32>,
    /// OAuth settings, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_config: Option<serde_json::Value>,
}

/// How an app authenticates, externally tagged in lower case: `{"secret":"…"}`,
/// `{"certificate":"<b64 DER>"}`, `{"trustedca":{…}}`, `{"googleserviceaccount":{}}`,
/// `{"signedjwt":{…}}`. `Debug` redacts the secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppCredential {
    /// A shared secret.
    Secret(String),
    /// A pinned client certificate (DER).
    Certificate(Blob),
    /// Client certificates issued by a trusted CA.
    TrustedCa(TrustAnchor),
    /// A Google service account.
    GoogleServiceAccount {},
    /// Signed JWTs.
    SignedJwt {
        /// Accepted issuers.
        valid_issuers: Vec<String>,
        /// Key configuration, passed through unchanged.
        signing_keys: serde_json::Value,
    },
}

impl fmt::Debug for AppCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppCredential::Secret(_) => f.write_str("Secret(<redacted>)"),
            AppCredential::Certificate(der) => f.debug_tuple("Certificate").field(der).finish(),
            AppCredential::TrustedCa(anchor) => f.debug_tuple("TrustedCa").field(anchor).finish(),
            AppCredential::GoogleServiceAccount {} => f.write_str("GoogleServiceAccount"),
            AppCredential::SignedJwt { valid_issuers, .. } => f
                .debug_struct("SignedJwt")
                .field("valid_issuers", valid_issuers)
                .finish_non_exhaustive(),
        }
    }
}

/// A CA trusted to issue app client certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustAnchor {
    /// Required subject attributes as `[name, value]` pairs.
    pub subject: Vec<[String; 2]>,
    /// The CA certificate (DER).
    pub ca_certificate: Blob,
}

wire_enum! {
    /// Authentication method of an app (`auth_type`).
    pub enum AppAuthType {
        /// Shared secret (API key).
        Secret = "Secret",
        /// Pinned certificate.
        Certificate = "Certificate",
        /// Certificate from a trusted CA.
        TrustedCa = "TrustedCa",
        /// Google service account.
        GoogleServiceAccount = "GoogleServiceAccount",
        /// Signed JWT.
        SignedJwt = "SignedJwt",
    }
}

/// `GET /sys/v1/apps/{id}/credential` → `{"app_id","credential":{"secret":"…"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppCredentialResponse {
    /// The app.
    pub app_id: Uuid,
    /// Its credential.
    pub credential: AppCredential,
}

/// `POST /sys/v1/apps/{id}/reset_secret` body: `{"secret_size":64?}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetSecretRequest {
    /// Size in bytes of the new secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_size: Option<u32>,
}

/// Query of `GET /sys/v1/apps/{id}`, `POST /sys/v1/apps`, `PATCH /sys/v1/apps/{id}`,
/// `POST …/reset_secret`: `group_permissions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAppParams {
    /// Answer `groups` as a map with permissions.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_permissions: Option<bool>,
}

/// Query of `GET /sys/v1/apps`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListAppsParams {
    /// Only apps in this group.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_id: Option<Uuid>,
    /// Sort, e.g. `app_id:asc`.
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
    /// Answer `groups` as maps with permissions.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_permissions: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GID: &str = "34e03147-9f71-4be9-9a54-3feda0843393";

    fn gid() -> Uuid {
        GID.parse().unwrap()
    }

    #[test]
    fn add_groups_arrive_as_a_map() {
        let req: AppRequest = serde_json::from_str(&format!(
            r#"{{"name":"a","add_groups":{{"{GID}":["ENCRYPT","DECRYPT"]}},"credential":null}}"#
        ))
        .unwrap();
        let add = req.add_groups.unwrap();
        assert!(!add.from_list);
        assert_eq!(
            add.groups[&gid()],
            Some(vec![AppPermission::Encrypt, AppPermission::Decrypt])
        );
    }

    #[test]
    fn add_groups_arrive_as_a_plain_list() {
        let req: AppRequest =
            serde_json::from_str(&format!(r#"{{"name":"a","add_groups":["{GID}"]}}"#)).unwrap();
        let add = req.add_groups.unwrap();
        assert!(add.from_list);
        assert_eq!(add.groups[&gid()], None);
        assert_eq!(
            serde_json::to_string(&add).unwrap(),
            format!(r#"["{GID}"]"#)
        );
    }

    #[test]
    fn del_groups_and_secret_credential_parse() {
        let req: AppRequest = serde_json::from_str(&format!(
            r#"{{"del_groups":["{GID}"],"credential":{{"secret":"s3cret"}},"secret_size":64}}"#
        ))
        .unwrap();
        assert_eq!(req.del_groups, Some(vec![gid()]));
        assert_eq!(req.credential, Some(AppCredential::Secret("s3cret".into())));
        assert_eq!(
            format!("{:?}", req.credential.unwrap()),
            "Secret(<redacted>)"
        );
    }

    #[test]
    fn app_groups_serialize_as_list_or_map() {
        let list = AppGroups::List(vec![gid()]);
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            format!(r#"["{GID}"]"#)
        );
        let map = AppGroups::Map(BTreeMap::from([(gid(), vec![AppPermission::Sign])]));
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            format!(r#"{{"{GID}":["SIGN"]}}"#)
        );
        for groups in [list, map] {
            let json = serde_json::to_string(&groups).unwrap();
            assert_eq!(serde_json::from_str::<AppGroups>(&json).unwrap(), groups);
        }
    }

    #[test]
    fn credential_response_shape() {
        let response = AppCredentialResponse {
            app_id: gid(),
            credential: AppCredential::Secret("abc".into()),
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            format!(r#"{{"app_id":"{GID}","credential":{{"secret":"abc"}}}}"#)
        );
    }
}
