//! The running node: its cluster handle, unsealed secrets and shared services.

pub(crate) mod dev;
pub(crate) mod keycache;
pub(crate) mod seal;

use crate::audit::AuditSink;
use crate::http::error::{ApiError, ApiResult};
use crate::session::{SessionActivity, SessionKeys};
use coffer_cluster::Cluster;
use coffer_core::{Command, Sealed, UnixTime};
use coffer_crypto::{DigestAlgorithm, SealingKey, Secret};
use keycache::KeyCache;
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Everything a request handler needs, shared by all of them.
pub(crate) struct Node {
    /// Replicated state and the way to change it.
    pub(crate) cluster: Cluster,
    /// The cluster master key, unsealed; every stored secret is sealed under it.
    cmk: SealingKey,
    /// Issues and checks bearer tokens.
    pub(crate) sessions: SessionKeys,
    /// Idle-timeout bookkeeping for sessions on this node.
    pub(crate) activity: SessionActivity,
    /// Key for the keyed hash of app secrets.
    app_secret_key: Secret,
    /// Parsed keys, by kid.
    pub(crate) keys: KeyCache,
    /// Where audit records go.
    pub(crate) audit: AuditSink,
    /// Set on cluster members (absent in the single-node evaluation mode).
    pub(crate) membership: Option<Membership>,
}

/// What a cluster member knows beyond a single node: who it is and how to reach its peers.
pub(crate) struct Membership {
    /// This node's identity.
    pub(crate) identity: crate::daemon::identity::NodeIdentity,
    /// HTTPS client for the cluster port of peers (mutual TLS with the node certificate).
    pub(crate) peers: reqwest::Client,
    /// Read-only mode bookkeeping (R-CLU-7).
    pub(crate) availability: crate::daemon::availability::Availability,
    /// The join in progress, when this node leads.
    pub(crate) join_gate: crate::daemon::join::JoinGate,
    /// Why the last periodic replica check failed, until one succeeds (shown by `status`).
    pub(crate) repair_failure: std::sync::Mutex<Option<String>>,
}

impl Node {
    /// A node over a started cluster, with its unsealed master key.
    pub(crate) fn new(cluster: Cluster, cmk: SealingKey, audit: AuditSink) -> anyhow::Result<Self> {
        let derive = |info: &str| {
            coffer_crypto::hkdf_sha256(cmk.to_secret().expose(), b"coffer", info.as_bytes(), 32)
        };
        Ok(Self {
            sessions: SessionKeys::new(derive("session-mac-v1")?),
            app_secret_key: derive("app-secret-digest-v1")?,
            activity: SessionActivity::default(),
            keys: KeyCache::default(),
            cluster,
            cmk,
            audit,
            membership: None,
        })
    }

    /// The same node as a cluster member.
    pub(crate) fn with_membership(mut self, membership: Membership) -> Self {
        self.membership = Some(membership);
        self
    }

    /// True while the node serves requests: a member with a leader lease, or in read-only mode.
    pub(crate) fn serving(&self) -> bool {
        match &self.membership {
            Some(membership) => membership.availability.unavailable_reason().is_none(),
            None => self.cluster.is_serving(),
        }
    }

    /// Why the node refuses requests, when it does.
    pub(crate) fn refusal(&self) -> Option<String> {
        self.membership
            .as_ref()
            .and_then(|m| m.availability.unavailable_reason())
    }

    /// The cluster master key, for handing to a joining node (sealed to its transport key).
    pub(crate) fn cmk_secret(&self) -> Secret {
        self.cmk.to_secret()
    }

    /// Seals a secret under the master key, bound to the id of the record that holds it.
    pub(crate) fn seal(&self, owner: Uuid, plaintext: &[u8]) -> ApiResult<Sealed> {
        self.cmk
            .seal(owner.as_bytes(), plaintext)
            .map(Sealed)
            .map_err(|e| ApiError::Internal(e.into()))
    }

    /// Opens a secret sealed by [`Node::seal`] for the same owner.
    pub(crate) fn unseal(&self, owner: Uuid, sealed: &Sealed) -> ApiResult<Secret> {
        self.cmk
            .unseal(owner.as_bytes(), &sealed.0)
            .map_err(|e| ApiError::Internal(e.into()))
    }

    /// The keyed hash stored in place of an app secret for authentication.
    pub(crate) fn app_secret_digest(&self, secret: &[u8]) -> ApiResult<Vec<u8>> {
        coffer_crypto::hmac(
            DigestAlgorithm::Sha256,
            self.app_secret_key.expose(),
            secret,
        )
        .map_err(|e| ApiError::Internal(e.into()))
    }

    /// Proposes a command (through the leader, wherever it is) and waits until it is committed
    /// and applied on this node. In read-only mode it fails at once with a read-only error.
    pub(crate) async fn propose(&self, command: Command) -> ApiResult<()> {
        if let Some(membership) = &self.membership
            && let Some(reason) = membership.availability.read_only_reason()
        {
            return Err(ApiError::ReadOnly(reason));
        }
        self.cluster
            .propose_anywhere(command)
            .await?
            .map_err(ApiError::from)
    }
}

/// The node's clock, in whole seconds.
pub(crate) fn now() -> UnixTime {
    UnixTime(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// The node's clock, in nanoseconds.
pub(crate) fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
