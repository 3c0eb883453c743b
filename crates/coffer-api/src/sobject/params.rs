//! Queries of `GET /crypto/v1/keys` and `GET /crypto/v1/keys/{kid}`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::{deserialize_opt_bool, deserialize_opt_parsed};
use crate::query::SortSpec;

/// Query of `GET /crypto/v1/keys` (dsm-api.md §5.5). Rs sends `sort=kid:asc` always.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSobjectsParams {
    /// Exact name: 0 or 1 results.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Only objects in this group.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_id: Option<Uuid>,
    /// Only objects created by this principal.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub creator: Option<Uuid>,
    /// `kid` or `name`, with optional `:asc`/`:desc`; default `kid:asc`.
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
    /// Page size (server default 100).
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
    /// Include destroyed objects.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub show_destroyed: Option<bool>,
    /// Include deleted objects.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub show_deleted: Option<bool>,
    /// Only objects that do (or do not) meet the account's key policies.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub compliant_with_policies: Option<bool>,
}

/// Query of `GET /crypto/v1/keys/{kid}` and `POST /crypto/v1/keys/info`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSobjectParams {
    /// `json` (default) or `value`.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub view: Option<SobjectEncoding>,
    /// Find destroyed objects too.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub show_destroyed: Option<bool>,
    /// Find deleted objects too.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub show_deleted: Option<bool>,
}

wire_enum! {
    /// The `view` of a get: the object as JSON or its value.
    pub enum SobjectEncoding {
        /// The [`Sobject`](crate::Sobject) JSON.
        Json = "json",
        /// The value.
        Value = "value",
    }
}
