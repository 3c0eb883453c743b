//! The admin-socket protocol between the `coffer` daemon and the operator commands
//! (`sdkms-cluster`, `get_csrs`, `install_certs`).
//!
//! The daemon listens on `DATA_DIR/admin.sock` (mode 0600, so only root — or the service user —
//! can talk to it). A command connects, writes one [`AdminRequest`] as a single JSON line, and
//! reads one [`AdminResponse`] as a single JSON line; then the connection closes. All logic lives
//! in the daemon: the commands only parse flags, send, and print.
//!
//! ```
//! use coffer_admin::{AdminRequest, AdminResponse};
//!
//! let line = serde_json::to_string(&AdminRequest::TokenCreate { ttl_secs: 86_400 }).unwrap();
//! assert_eq!(line, r#"{"command":"token_create","ttl_secs":86400}"#);
//! let answer: AdminResponse = serde_json::from_str(r#"{"error":{"message":"no cluster here"}}"#).unwrap();
//! assert!(matches!(answer, AdminResponse::Error(_)));
//! ```

mod request;
mod response;

pub use request::AdminRequest;
pub use response::{
    AdminError, AdminResponse, AuditRetentionShown, CertsInstalled, ChangeEffect,
    CheckNetworkReport, ClusterStatus, ComponentHealth, ConfigChange, ConfigShown, Created,
    CsrsCreated, Deployed, Joined, Labeled, MasterKeyRotated, NodeStatus, OutboundChecked,
    PortCheck, Removed, RepairReport, SysadminCreated, TokenCreated, TokenDeleted, TokenInfo,
    answer,
};

/// The socket's file name inside the data directory.
pub const SOCKET_NAME: &str = "admin.sock";
/// Where the commands look for the data directory when neither `--data-dir` nor
/// `COFFER_DATA_DIR` says.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/coffer";
