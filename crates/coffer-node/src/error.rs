//! `ServiceError`: every way a use case can fail, in the node's vocabulary.
//!
//! Each edge maps it to its own wire form exactly once: the DSM API to an HTTP status and a
//! short text, the admin socket to an `AdminError`, the cluster port to a refusal. The texts
//! here are what a client or an operator reads; internal detail stays in the `Internal`
//! variant's source, for the log.

use coffer_cluster::ClusterError;
use coffer_core::{ApplyError, Denied};
use std::fmt;

/// A use case that did not happen, and why. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Malformed or unacceptable input; the text names the field and what is wrong with it.
    #[error("{0}")]
    Invalid(String),
    /// A `config.yaml` that does not validate; the text lists every problem with its key path
    /// and line.
    #[error("{0}")]
    InvalidConfig(coffer_config::ConfigErrors),
    /// Missing, wrong or expired credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such object, or none the caller may see.
    #[error("{}", kind.not_found(id))]
    NotFound {
        /// What was looked for.
        kind: ObjectKind,
        /// Its id, as the caller gave it.
        id: String,
    },
    /// A uniqueness clash or a state that forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// The replicated state refused the command.
    #[error("{0}")]
    Refused(ApplyError),
    /// The node lost the cluster's quorum but serves reads (R-CLU-7); writes are refused.
    #[error(
        "the node is read-only: {0}; reads and crypto operations still work, writes resume when the quorum returns"
    )]
    ReadOnly(String),
    /// The node cannot serve right now (not a member, shutting down, removed).
    #[error("{0}")]
    Unavailable(String),
    /// The cluster could not take the write (no leader reachable, timed out).
    #[error("the cluster cannot take writes right now: {0}")]
    Cluster(#[from] ClusterError),
    /// Too much work of this kind is waiting, or the caller failed too often; retrying after
    /// `retry_after` may work. Refused before any costly work was done.
    #[error("{what}; retry in {} s", retry_after.as_secs().max(1))]
    Busy {
        /// What is overloaded or backing off.
        what: &'static str,
        /// How long to wait before retrying.
        retry_after: std::time::Duration,
    },
    /// A fault on our side; the caller is told only that, the source goes to the log.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The kinds of object a lookup can miss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// An account.
    Account,
    /// A group.
    Group,
    /// An app.
    App,
    /// A user or sysadmin.
    User,
    /// A user's membership of the caller's account.
    AccountMember,
    /// A security object (a key, a secret, a certificate).
    SecurityObject,
}

impl ObjectKind {
    fn not_found(self, id: &str) -> NotFoundText<'_> {
        NotFoundText { kind: self, id }
    }
}

struct NotFoundText<'a> {
    kind: ObjectKind,
    id: &'a str,
}

impl fmt::Display for NotFoundText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match self.kind {
            ObjectKind::Account => write!(f, "account {id} not found"),
            ObjectKind::Group => write!(f, "group {id} not found"),
            ObjectKind::App => write!(f, "app {id} not found"),
            ObjectKind::User => write!(f, "user {id} not found"),
            ObjectKind::AccountMember => write!(f, "user {id} is not a member of this account"),
            // The id is not repeated: a probe must not learn whether the object exists.
            ObjectKind::SecurityObject => f.write_str("security object not found"),
        }
    }
}

impl ServiceError {
    /// Invalid input, from anything printable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// A security object that does not exist or that the caller may not see (one answer for
    /// both).
    pub fn key_not_found() -> Self {
        Self::not_found(ObjectKind::SecurityObject, "")
    }

    /// An object of `kind` that the caller cannot see.
    pub fn not_found(kind: ObjectKind, id: impl fmt::Display) -> Self {
        Self::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    /// A fault on our side.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }
}

/// The class of a failure: what an edge needs to choose its wire form (an HTTP status, an
/// exit code) without knowing every variant's detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request was wrong; retrying it unchanged fails again.
    Invalid,
    /// Credentials are missing or wrong.
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// The object is not there, or not visible to the caller.
    NotFound,
    /// The object's current state forbids the change.
    Conflict,
    /// The node serves reads only.
    ReadOnly,
    /// The node or the cluster cannot serve right now; retrying later may work.
    Unavailable,
    /// Refused to bound the work: too many waiting, or the caller failed too often.
    Busy,
    /// A fault on our side.
    Internal,
}

impl ServiceError {
    /// The class of this failure.
    pub fn failure(&self) -> Failure {
        match self {
            Self::Invalid(_) | Self::InvalidConfig(_) => Failure::Invalid,
            Self::Unauthenticated(_) => Failure::Unauthenticated,
            Self::Forbidden(_) => Failure::Forbidden,
            Self::NotFound { .. } => Failure::NotFound,
            Self::Conflict(_) => Failure::Conflict,
            Self::Refused(refusal) => match refusal {
                ApplyError::AccountNotFound(_)
                | ApplyError::GroupNotFound(_)
                | ApplyError::AppNotFound(_)
                | ApplyError::UserNotFound(_)
                | ApplyError::SobjectNotFound(_) => Failure::NotFound,
                ApplyError::NameTaken { .. }
                | ApplyError::IdTaken(_)
                | ApplyError::GroupNotEmpty(_) => Failure::Conflict,
                _ => Failure::Invalid,
            },
            Self::ReadOnly(_) => Failure::ReadOnly,
            Self::Unavailable(_) | Self::Cluster(_) => Failure::Unavailable,
            Self::Busy { .. } => Failure::Busy,
            Self::Internal(_) => Failure::Internal,
        }
    }
}

impl From<ApplyError> for ServiceError {
    fn from(refusal: ApplyError) -> Self {
        match refusal {
            // One answer whether the object is missing or hidden: the id is not repeated.
            ApplyError::SobjectNotFound(_) => Self::key_not_found(),
            refusal => Self::Refused(refusal),
        }
    }
}

impl From<Denied> for ServiceError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NotVisible => Self::key_not_found(),
            Denied::Disabled | Denied::NotYetActive | Denied::NoLongerActive => {
                Self::Invalid(denied.to_string())
            }
            Denied::MissingPermission(_) | Denied::OperationNotAllowed(_) => {
                Self::Forbidden(denied.to_string())
            }
        }
    }
}

impl From<ServiceError> for coffer_admin::AdminError {
    fn from(error: ServiceError) -> Self {
        let hint = match &error {
            ServiceError::InvalidConfig(_) => {
                Some("fix config.yaml and run the command again; nothing was changed".to_owned())
            }
            _ => None,
        };
        coffer_admin::AdminError {
            message: error.to_string(),
            hint,
        }
    }
}

/// The result type of use cases.
pub type ServiceResult<T> = Result<T, ServiceError>;
