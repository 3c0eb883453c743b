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
        })
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

    /// Proposes a command and waits until it is committed and applied on this node.
    pub(crate) async fn propose(&self, command: Command) -> ApiResult<()> {
        self.cluster.propose(command).await?.map_err(ApiError::from)
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
