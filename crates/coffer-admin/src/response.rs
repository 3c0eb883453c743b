//! What the daemon answers.

use serde::{Deserialize, Serialize};

/// One answer on the admin socket: the result, or an error that says what to fix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminResponse {
    /// Success; the payload depends on the request (see each request's result type).
    Ok(serde_json::Value),
    /// Failure; nothing was changed unless the message says otherwise.
    Error(AdminError),
}

/// A refused or failed admin request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminError {
    /// What went wrong, in one sentence naming the input at fault.
    pub message: String,
    /// What to do about it, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl AdminError {
    /// An error from what went wrong and, when there is one, what to do about it.
    pub fn new(message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }
}

/// The success payload of an answer, from a request's result type.
pub fn answer<T: Serialize>(value: &T) -> Result<serde_json::Value, AdminError> {
    serde_json::to_value(value).map_err(|e| AdminError::new(format!("internal error: {e}"), None))
}

/// Result of `create`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// The node's name.
    pub node: String,
    /// Where the API listens.
    pub api_url: String,
    /// Where the cluster port listens.
    pub cluster_addr: String,
}

/// Result of `join`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    /// The node's name.
    pub node: String,
    /// Its Raft node id.
    pub node_id: u64,
    /// `learner` until caught up, then `voter`.
    pub role: String,
}

/// Result of `token create`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    /// The token, `[a-z0-9]{6}.[a-z0-9]{16}`; shown once, stored only hashed.
    pub token: String,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
}

/// One entry of `token list` (never the secret half).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The public half (`abcdef`).
    pub id: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
}

/// Result of `token delete`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDeleted {
    /// The deleted token's id.
    pub id: String,
}

/// Result of `status`; the JSON form is a contract for scripts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// The node answering.
    pub node: String,
    /// Its state: `Uninitialized`, `Joining`, `Member`, `ReadOnly`, `NeedsRecovery`.
    pub state: String,
    /// Why the node is in that state, when it is not plainly `Member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The current leader's name, if known.
    pub leader: Option<String>,
    /// Every member.
    pub nodes: Vec<NodeStatus>,
    /// Things an operator should look at.
    pub warnings: Vec<String>,
}

/// One member in `status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// Node name.
    pub name: String,
    /// Raft node id.
    pub id: u64,
    /// Cluster address (`IP:PORT`).
    pub address: String,
    /// `leader`, `follower` or `learner`.
    pub role: String,
    /// `Member`, `ReadOnly`, `Unreachable`, …
    pub state: String,
    /// Data centre label, if set.
    pub dc: Option<String>,
    /// Last log index applied (as far as the answering node knows).
    pub applied_index: Option<u64>,
    /// Entries behind the leader.
    pub lag: Option<u64>,
    /// Milliseconds since the leader last heard from it.
    pub last_contact_ms: Option<u64>,
    /// Its clock minus the answering node's clock, in milliseconds.
    pub clock_offset_ms: Option<i64>,
    /// Health of its components.
    pub health: ComponentHealth,
}

/// Health of a node's parts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentHealth {
    /// The API listener answers.
    pub api: Option<bool>,
    /// Raft replication reaches it.
    pub raft: Option<bool>,
    /// Its store is readable.
    pub store: Option<bool>,
}

/// Result of `repair`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairReport {
    /// The applied index the digests were compared at.
    pub index: u64,
    /// Nodes whose state digest matched the leader's.
    pub consistent: Vec<String>,
    /// Nodes that diverged and were re-synced from a snapshot.
    pub repaired: Vec<String>,
    /// Nodes that could not be checked, with why.
    pub failed: Vec<(String, String)>,
}

/// Result of `check-network`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckNetworkReport {
    /// One line per peer and port.
    pub checks: Vec<PortCheck>,
}

/// Reachability of one port on one peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortCheck {
    /// Peer name or address.
    pub peer: String,
    /// What the port is for (`api`, `cluster`).
    pub port_name: String,
    /// `IP:PORT`.
    pub address: String,
    /// Probes sent.
    pub sent: u32,
    /// Probes answered.
    pub received: u32,
    /// Percent lost.
    pub loss_percent: f64,
    /// Median round trip, milliseconds.
    pub median_rtt_ms: Option<f64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Result of `get_csrs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrsCreated {
    /// "Cluster Certificate Request": the API (main) domain's CSR, PEM.
    pub cluster_csr_pem: String,
    /// "UI Certificate Request": the UI (assets) domain's CSR, PEM.
    pub ui_csr_pem: String,
    /// Whether the first sysadmin was created now (false when one existed).
    pub sysadmin_created: bool,
}

/// Result of `install_certs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertsInstalled {
    /// Names the API certificate holds.
    pub main_names: Vec<String>,
    /// Names the UI certificate holds.
    pub ui_names: Vec<String>,
    /// Leaf expiry of the API certificate, Unix seconds.
    pub main_not_after: i64,
    /// Leaf expiry of the UI certificate, Unix seconds.
    pub ui_not_after: i64,
}

/// Result of `deploy`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployed {
    /// True when nothing was applied (`--dry-run`).
    pub dry_run: bool,
    /// What changes (or would change).
    pub changes: Vec<ConfigChange>,
    /// Warnings about the new file (unknown keys, deprecated options).
    pub warnings: Vec<String>,
    /// Each member, and when it took the configuration up (Unix milliseconds) or why that is
    /// not known. Empty for a dry run.
    #[serde(default)]
    pub nodes: Vec<(String, Result<u64, String>)>,
}

/// One changed setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigChange {
    /// Key path, as in `config.yaml`.
    pub path: String,
    /// Value before (JSON), if set.
    pub old: Option<serde_json::Value>,
    /// Value after (JSON), if set.
    pub new: Option<serde_json::Value>,
    /// What acts on the new value.
    pub effect: ChangeEffect,
    /// Advice for the operator about this setting.
    pub note: Option<String>,
}

/// What acts on a changed setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ChangeEffect {
    /// `consumer` acts on it, on every node, as that node takes up the new configuration.
    ActedOn {
        /// What acts on it (e.g. "the syslog forwarder").
        consumer: String,
    },
    /// `consumer` acts on it when each node is upgraded.
    AtNextUpgrade {
        /// What acts on it.
        consumer: String,
    },
    /// It is stored and shown by `config show`; nothing in this version of Coffer acts on it.
    StoredOnly,
}

/// Result of `config show` and `config watch`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigShown {
    /// This node's count of the settings it has taken up (not the same on every node); a
    /// `config watch --after` this number waits for the next change.
    #[serde(default)]
    pub version: u64,
    /// The applied `config.yaml`, as given.
    pub config_yaml: String,
    /// The validated values, defaults filled in.
    pub effective: serde_json::Value,
}

/// Result of `label`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labeled {
    /// The node labelled.
    pub node: String,
    /// Its data centre.
    pub dc: String,
}

/// Result of `sysadmin create`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SysadminCreated {
    /// The new sysadmin's user id (a UUID).
    pub user_id: String,
    /// Their email address.
    pub email: String,
}

/// Result of `check-outbound`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundChecked {
    /// The URL fetched.
    pub url: String,
    /// The proxy it went through (credentials redacted), or `None`: directly.
    pub via: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

/// Result of `audit-retention`: the retention in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRetentionShown {
    /// Days a record is kept.
    pub max_age_days: u32,
    /// Records kept at most, per node.
    pub max_records: u64,
}

/// Result of `rotate --cmk`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterKeyRotated {
    /// The version destroyed.
    pub from: u32,
    /// The version every secret is sealed under now.
    pub to: u32,
    /// Sealed values re-sealed under the new version.
    pub resealed: usize,
    /// Members that confirmed they destroyed the old version.
    pub destroyed_on: Vec<String>,
    /// Members that did not confirm it yet, with why; each destroys it as soon as it applies
    /// the retirement (at the latest when it starts again).
    pub pending: Vec<(String, String)>,
}

/// Result of `remove`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// The node taken out of the cluster.
    pub removed: String,
}
