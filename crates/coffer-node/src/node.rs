//! The running node: its cluster handle, unsealed secrets and shared services.

use crate::audit::AuditSink;
use crate::error::{ServiceError, ServiceResult};
use crate::keycache::KeyCache;
use crate::session::{SessionActivity, SessionClaims};
use crate::settings::LiveSettings;
use crate::vault::{Purpose, Vault};
use coffer_cluster::Cluster;
use coffer_core::{Command, Sealed};
use coffer_crypto::Secret;

/// Everything a request handler needs, shared by all of them.
pub struct Node {
    /// Replicated state and the way to change it.
    pub cluster: Cluster,
    /// Every stored secret is sealed under the cluster master keys it holds.
    vault: Vault,
    /// Idle-timeout bookkeeping for sessions on this node.
    pub activity: SessionActivity,
    /// Where password hashes run: bounded, so that a flood of logins cannot starve the node.
    pub passwords: crate::password_pool::PasswordPool,
    /// Failed-login backoff per source and per user.
    pub login_backoff: crate::login_backoff::LoginBackoff,
    /// Parsed keys, by kid.
    pub keys: KeyCache,
    /// Where audit records go.
    pub audit: AuditSink,
    /// The cluster's settings, followed as they change.
    pub settings: LiveSettings,
    /// Set on cluster members (absent in the single-node evaluation mode).
    pub membership: Option<Membership>,
    /// The evaluation node's `--allow-signup` (members follow the cluster's setting).
    evaluation_signup: bool,
}

/// What a cluster member knows beyond a single node: who it is and how to reach its peers.
pub struct Membership {
    /// This node's identity.
    pub identity: crate::identity::NodeIdentity,
    /// The client for other members' cluster ports.
    pub peers: std::sync::Arc<dyn crate::peers::PeerLink>,
    /// Read-only mode bookkeeping (R-CLU-7).
    pub availability: crate::availability::Availability,
    /// The join in progress, when this node leads.
    pub join_gate: crate::join_gate::JoinGate,
    /// Why the last periodic replica check failed, until one succeeds (shown by `status`).
    pub repair_failure: std::sync::Mutex<Option<String>>,
    /// Held while this node runs a master key rotation: one at a time.
    pub rotation: tokio::sync::Mutex<()>,
}

impl Node {
    /// A node over a started cluster, with its unsealed master key. Starts following the
    /// cluster's settings, so it must be called inside a Tokio runtime.
    pub fn new(cluster: Cluster, vault: Vault, audit: AuditSink) -> anyhow::Result<Self> {
        Ok(Self {
            settings: LiveSettings::follow(cluster.state()),
            activity: SessionActivity::default(),
            passwords: crate::password_pool::PasswordPool::default(),
            login_backoff: crate::login_backoff::LoginBackoff::default(),
            keys: KeyCache::default(),
            cluster,
            vault,
            audit,
            membership: None,
            evaluation_signup: false,
        })
    }

    /// The same node as a cluster member.
    pub fn with_membership(mut self, membership: Membership) -> Self {
        self.membership = Some(membership);
        self
    }

    /// The same evaluation node, letting anyone register a user.
    pub fn with_evaluation_signup(mut self, open: bool) -> Self {
        self.evaluation_signup = open;
        self
    }

    /// True when anyone may register a user.
    pub fn signup_open(&self) -> bool {
        self.evaluation_signup
            || self
                .cluster
                .state()
                .read()
                .cluster()
                .is_some_and(|cluster| cluster.signup_open)
    }

    /// True while the node serves requests: a member with a leader lease, or in read-only mode.
    pub fn serving(&self) -> bool {
        match &self.membership {
            Some(membership) => membership.availability.unavailable_reason().is_none(),
            None => self.cluster.is_serving(),
        }
    }

    /// Why the node refuses requests, when it does.
    pub fn refusal(&self) -> Option<String> {
        self.membership
            .as_ref()
            .and_then(|m| m.availability.unavailable_reason())
    }

    /// The cluster master key sealed to a joining node's transport key (see
    /// [`Vault::send_to_joiner`]).
    pub fn cmk_for_joiner(
        &self,
        transport_public: &[u8],
        joiner: &str,
    ) -> ServiceResult<coffer_crypto::Envelope> {
        self.vault.send_to_joiner(transport_public, joiner)
    }

    /// The master key version new secrets are sealed under, as the cluster agreed.
    pub fn master_key_version(&self) -> u32 {
        self.cluster.state().read().master_keys().current
    }

    /// The master keys this node holds.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Seals a secret under the current master key for `purpose`.
    pub fn seal(&self, purpose: Purpose<'_>, plaintext: &[u8]) -> ServiceResult<Sealed> {
        self.vault
            .seal(self.master_key_version(), purpose, plaintext)
    }

    /// Opens a secret sealed by [`Node::seal`] for the same purpose.
    pub fn unseal(&self, purpose: Purpose<'_>, sealed: &Sealed) -> ServiceResult<Secret> {
        self.vault.unseal(purpose, sealed)
    }

    /// The keyed hash stored in place of an app secret for authentication, under the current
    /// master key (the secret is sealed under the same version).
    pub fn app_secret_digest(&self, secret: &[u8]) -> ServiceResult<Vec<u8>> {
        self.vault
            .app_secret_digest(self.master_key_version(), secret)
    }

    /// The keyed hash of an app secret under the master key version that sealed `sealed`:
    /// what authentication compares with the stored hash.
    pub fn app_secret_digest_like(&self, sealed: &Sealed, secret: &[u8]) -> ServiceResult<Vec<u8>> {
        let version = sealed
            .key_version()
            .ok_or(ServiceError::Unauthenticated("invalid credentials"))?;
        self.vault.app_secret_digest(version, secret)
    }

    /// A bearer token for `claims`, under the current master key.
    pub fn issue_token(&self, claims: SessionClaims) -> ServiceResult<String> {
        crate::session::issue(&self.vault, self.master_key_version(), claims)
    }

    /// The claims of an authentic bearer token.
    pub fn verify_token(&self, token: &str) -> Option<SessionClaims> {
        crate::session::verify(&self.vault, token)
    }

    /// Proposes a command (through the leader, wherever it is) and waits until it is committed
    /// and applied on this node. In read-only mode it fails at once with a read-only error.
    pub async fn propose(&self, command: Command) -> ServiceResult<()> {
        if let Some(membership) = &self.membership
            && let Some(reason) = membership.availability.read_only_reason()
        {
            return Err(ServiceError::ReadOnly(reason));
        }
        Ok(self.cluster.propose_anywhere(command).await??)
    }
}
