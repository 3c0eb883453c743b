//! What enters the Raft log.

use crate::ids::{AccountId, AppId, GroupId, KeyId, SessionId, UserId};
use crate::records::{
    Account, App, AuditRetention, ClusterInfo, Group, InstalledCertificates, JoinToken,
    PendingCertificates, Sealed, Sobject, UnixTime, User,
};
use serde::{Deserialize, Serialize};

/// Where a sealed value lives in the replicated state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SealedAt {
    /// A security object's material.
    SobjectMaterial(KeyId),
    /// An app's secret (with its keyed hash).
    AppSecret(AppId),
    /// The cluster CA's private key.
    ClusterCaKey,
    /// The signing key of the join token with this id.
    JoinTokenKey(String),
    /// The key of a requested service certificate.
    PendingTlsKey(TlsService),
    /// The key of an installed service certificate.
    InstalledTlsKey(TlsService),
}

/// The two services with certificates of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TlsService {
    /// The API (main) domain.
    Main,
    /// The UI (assets) domain.
    Ui,
}

/// One value re-sealed under the current master key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrapped {
    /// Where it lives.
    pub at: SealedAt,
    /// The value it replaces, byte for byte.
    pub old: Sealed,
    /// The same secret under the current master key.
    pub new: Sealed,
    /// For an app secret: its keyed hash under the current master key.
    pub digest: Option<Vec<u8>>,
}

/// One change to the replicated state. Every value in it was decided by the node that served
/// the request (ids, timestamps, sealed material), so applying it is deterministic.
///
/// `Update*` commands carry the whole new record: the serving node reads, modifies and proposes;
/// `apply` re-checks every invariant, so a conflicting concurrent change fails cleanly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(
    clippy::large_enum_variant,
    reason = "a command is built once per write and moved into the log; boxing would buy nothing"
)]
pub enum Command {
    /// Creates the cluster's shared record (first command of a new cluster).
    InitCluster(ClusterInfo),
    /// Replaces the stored `config.yaml`.
    SetConfig {
        /// The new configuration text.
        config_yaml: String,
    },
    /// Adds a join token, dropping tokens that expired before `at`.
    CreateJoinToken {
        /// The token.
        token: JoinToken,
        /// The serving node's clock.
        at: UnixTime,
    },
    /// Deletes a join token: no node can join with it any more.
    DeleteJoinToken {
        /// The token's id.
        id: String,
    },
    /// Records new certificate requests (replacing unfinished ones).
    SetPendingCertificates(PendingCertificates),
    /// Installs signed certificates for the pending requests and clears them.
    InstallCertificates(InstalledCertificates),
    /// Labels a node with its data centre (an empty label removes it).
    SetNodeLabel {
        /// The node's name.
        node: String,
        /// Its data centre.
        dc: String,
    },
    /// Sets how much audit log each node keeps.
    SetAuditRetention(AuditRetention),
    /// Opens or closes self-registration (`POST /sys/v1/users`).
    SetSignup {
        /// True to let anyone register a user.
        open: bool,
    },
    /// Adds an account.
    CreateAccount(Account),
    /// Adds an account and makes an existing user its administrator, in one step, so that no
    /// account is ever left without one.
    CreateAccountWithAdministrator {
        /// The new account.
        account: Account,
        /// The user who becomes its ACCOUNTADMINISTRATOR.
        administrator: UserId,
    },
    /// Replaces an account.
    UpdateAccount(Account),
    /// Deletes an account with its groups, apps and keys, and drops its memberships.
    DeleteAccount(AccountId),
    /// Adds a group.
    CreateGroup(Group),
    /// Replaces a group.
    UpdateGroup(Group),
    /// Deletes an empty group.
    DeleteGroup(GroupId),
    /// Adds an app.
    CreateApp(App),
    /// Replaces an app. Its credentials (sealed secret, its keyed hash, the pinned certificate)
    /// are taken from the command only when `new_credentials` is set (a secret reset, a
    /// certificate pinned); otherwise the stored ones stay, so that an update read before the
    /// master key rotation re-sealed the secret cannot bring the old sealing back.
    UpdateApp {
        /// The app as it should be.
        app: App,
        /// True when the command carries new credentials.
        new_credentials: bool,
    },
    /// Deletes an app.
    DeleteApp(AppId),
    /// Adds a user.
    CreateUser(User),
    /// Replaces a user.
    UpdateUser(User),
    /// Deletes a user.
    DeleteUser(UserId),
    /// Adds a security object.
    CreateSobject(Sobject),
    /// Replaces a security object's metadata. Material never changes for a kid: the stored
    /// material stays, whatever the command carries.
    UpdateSobject(Sobject),
    /// Rotates: `new` takes over the name of `old`, and the two are linked.
    RekeySobject {
        /// The key being replaced.
        old: KeyId,
        /// Its successor.
        new: Sobject,
    },
    /// Deletes a security object.
    DeleteSobject(KeyId),
    /// Drops the private half of an asymmetric key; it keeps only the operations a public key
    /// can perform.
    DropPrivateKey(KeyId),
    /// Ends a session everywhere until its natural expiry.
    RevokeSession {
        /// The session.
        session: SessionId,
        /// When the session would have expired anyway; the record is dropped after.
        until: UnixTime,
        /// The serving node's clock; expired records are pruned against it.
        at: UnixTime,
    },
    /// Makes master key version `to` (the next one) current: every secret sealed from now on
    /// is sealed under it. Refused while an older version is still being re-sealed.
    SwitchMasterKey {
        /// The new version.
        to: u32,
    },
    /// Replaces sealed values with the same secrets sealed under the current master key. Each
    /// item applies only where the stored value is still `old` (a concurrent change wins; the
    /// rotation picks it up on its next pass).
    Rewrap(Vec<Rewrapped>),
    /// Destroys master key `version` (the oldest live one): refused while any value is still
    /// sealed under it. Nodes then drop the key from memory and from disk.
    RetireMasterKey {
        /// The version retired.
        version: u32,
    },
    /// Records when sessions were last used (a node's batched report), so that every node
    /// counts their idle timeout from the latest use anywhere.
    SessionsSeen {
        /// Each session, its last use on the reporting node, and when the record may go.
        seen: Vec<(SessionId, UnixTime, UnixTime)>,
        /// The serving node's clock; expired records are pruned against it.
        at: UnixTime,
    },
    /// Records which account a user session works in.
    SelectAccount {
        /// The session.
        session: SessionId,
        /// The account chosen.
        account: AccountId,
        /// When the record may be dropped.
        until: UnixTime,
        /// The serving node's clock; expired records are pruned against it.
        at: UnixTime,
    },
}
