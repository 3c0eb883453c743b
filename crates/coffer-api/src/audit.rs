//! `GET /sys/v1/logs` (dsm-api.md §7).
//!
//! The answer is the search-hit shape the CLI reads, `{"hits":[{"_id","_source":{…}}]}`, not
//! the flat model Py's generated client declares.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::{deserialize_opt_parsed, format_rfc3339};

/// `GET /sys/v1/logs` answer; an empty page is `{"hits":[]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogsResponse {
    /// Entries, newest first.
    pub hits: Vec<AuditLogHit>,
}

/// One hit: `{"_id":"<log id>","_source":{…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogHit {
    /// Stable entry id, usable as `previous_id`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The entry.
    #[serde(rename = "_source")]
    pub source: AuditLogEntry,
}

/// One audit entry. Every key is always written; the CLI indexes `client_ip` and
/// `response_time` directly, so they appear as `null` when unknown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogEntry {
    /// Account.
    pub acct_id: Uuid,
    /// Kind of action.
    pub action_type: AuditActionType,
    /// Kind of actor.
    pub actor_type: AuditActorType,
    /// The acting user, app or plugin.
    pub actor_id: Uuid,
    /// The object acted on, if any.
    #[serde(default)]
    pub object_id: Option<Uuid>,
    /// Groups involved.
    #[serde(default)]
    pub group_ids: Vec<Uuid>,
    /// Human-readable message.
    pub message: String,
    /// Severity.
    pub severity: AuditSeverity,
    /// RFC 3339 UTC time, e.g. `2024-05-01T12:00:00Z` (see [`AuditLogEntry::time_from_unix`]).
    pub time: String,
    /// Client address.
    #[serde(default)]
    pub client_ip: Option<String>,
    /// How long the request took.
    #[serde(default)]
    pub response_time: Option<ResponseTime>,
}

impl AuditLogEntry {
    /// Formats a `time` value from Unix seconds and nanoseconds.
    pub fn time_from_unix(seconds: u64, nanos: u32) -> String {
        format_rfc3339(seconds, nanos)
    }
}

/// A request duration: `{"secs":0,"nanos":1250000}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTime {
    /// Whole seconds.
    pub secs: u64,
    /// Nanoseconds past `secs`.
    pub nanos: u32,
}

impl From<std::time::Duration> for ResponseTime {
    fn from(duration: std::time::Duration) -> Self {
        ResponseTime {
            secs: duration.as_secs(),
            nanos: duration.subsec_nanos(),
        }
    }
}

wire_enum! {
    /// Kind of audited action (`action_type`).
    pub enum AuditActionType {
        /// Administration (accounts, groups, apps, users, key management).
        Administrative = "ADMINISTRATIVE",
        /// Authentication.
        Auth = "AUTH",
        /// A crypto operation.
        CryptoOperation = "CRYPTOOPERATION",
        /// A plugin run.
        RunPlugin = "RUNPLUGIN",
        /// Custom entry.
        Custom = "CUSTOM",
        /// Anything else.
        Other = "OTHER",
    }
}

wire_enum! {
    /// Kind of actor (`actor_type`).
    pub enum AuditActorType {
        /// A user.
        User = "User",
        /// An app.
        App = "App",
        /// A plugin.
        Plugin = "Plugin",
    }
}

wire_enum! {
    /// Severity of an entry.
    pub enum AuditSeverity {
        /// Informational.
        Info = "INFO",
        /// Warning.
        Warning = "WARNING",
        /// Error.
        Error = "ERROR",
        /// Critical.
        Critical = "CRITICAL",
    }
}

/// Query of `GET /sys/v1/logs`. The CLI pages with `size=1000` and `previous_id`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogsQuery {
    /// Page size (at most 1000).
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<u32>,
    /// Offset.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<u64>,
    /// Earliest time, Unix seconds.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub range_from: Option<u64>,
    /// Latest time, Unix seconds.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub range_to: Option<u64>,
    /// Return entries after this `_id`.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_id: Option<String>,
    /// Only this kind of action.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub action_type: Option<AuditActionType>,
    /// Only this kind of actor.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub actor_type: Option<AuditActorType>,
    /// Only this actor.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub actor_id: Option<Uuid>,
    /// Only this object.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_id: Option<Uuid>,
    /// Only this severity.
    #[serde(
        default,
        deserialize_with = "deserialize_opt_parsed",
        skip_serializing_if = "Option::is_none"
    )]
    pub severity: Option<AuditSeverity>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_query;

    #[test]
    fn entries_always_carry_client_ip_and_response_time() {
        let entry = AuditLogEntry {
            acct_id: Uuid::from_u128(1),
            action_type: AuditActionType::CryptoOperation,
            actor_type: AuditActorType::App,
            actor_id: Uuid::from_u128(2),
            object_id: None,
            group_ids: vec![],
            message: "Encrypted data".into(),
            severity: AuditSeverity::Info,
            time: AuditLogEntry::time_from_unix(1_714_564_800, 0),
            client_ip: None,
            response_time: None,
        };
        let response = AuditLogsResponse {
            hits: vec![AuditLogHit {
                id: "a1".into(),
                source: entry,
            }],
        };
        let json = serde_json::to_value(&response).unwrap();
        let source = &json["hits"][0]["_source"];
        assert_eq!(json["hits"][0]["_id"], "a1");
        assert_eq!(source["time"], "2024-05-01T12:00:00Z");
        assert_eq!(source["action_type"], "CRYPTOOPERATION");
        assert!(source.get("client_ip").unwrap().is_null());
        assert!(source.get("response_time").unwrap().is_null());
        assert!(source.get("object_id").unwrap().is_null());
        assert_eq!(
            serde_json::to_string(&AuditLogsResponse::default()).unwrap(),
            r#"{"hits":[]}"#
        );
    }

    #[test]
    fn response_time_from_duration() {
        let rt = ResponseTime::from(std::time::Duration::from_micros(1250));
        assert_eq!(
            serde_json::to_string(&rt).unwrap(),
            r#"{"secs":0,"nanos":1250000}"#
        );
    }

    #[test]
    fn logs_query_parses_cli_paging() {
        let q: AuditLogsQuery = parse_query(
            "size=1000&range_from=1714564800&previous_id=abc&severity=info&action_type=AUTH",
        )
        .unwrap();
        assert_eq!(q.size, Some(1000));
        assert_eq!(q.range_from, Some(1_714_564_800));
        assert_eq!(q.previous_id.as_deref(), Some("abc"));
        assert_eq!(q.severity, Some(AuditSeverity::Info));
        assert_eq!(q.action_type, Some(AuditActionType::Auth));
        assert_eq!(
            parse_query::<AuditLogsQuery>("").unwrap(),
            AuditLogsQuery::default()
        );
    }
}
