//! Why a command was refused. Refusals are deterministic, so every replica refuses alike.

use crate::ids::{AccountId, AppId, GroupId, KeyId, UserId};
use serde::{Deserialize, Serialize};

/// A command that `State::apply` refused; the state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// No such account.
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    /// No such group.
    #[error("group {0} not found")]
    GroupNotFound(GroupId),
    /// No such app.
    #[error("app {0} not found")]
    AppNotFound(AppId),
    /// No such user.
    #[error("user {0} not found")]
    UserNotFound(UserId),
    /// No such security object.
    #[error("security object {0} not found")]
    SobjectNotFound(KeyId),
    /// The id is already in use.
    #[error("an object with id {0} already exists")]
    IdTaken(uuid::Uuid),
    /// The name is already in use where it must be unique.
    #[error("{kind} named {name:?} already exists")]
    NameTaken {
        /// What kind of object clashed.
        kind: Named,
        /// The name.
        name: String,
    },
    /// The group still holds keys.
    #[error("group {0} still holds security objects")]
    GroupNotEmpty(GroupId),
    /// The group belongs to another account than the record that names it.
    #[error("group {0} belongs to another account")]
    GroupOfOtherAccount(GroupId),
    /// An app's default group is not one of its groups.
    #[error("default group {0} is not one of the app's groups")]
    DefaultGroupNotMember(GroupId),
    /// The key was rotated already, or belongs to another account than its replacement.
    #[error("security object {0} cannot be rotated")]
    NotRotatable(KeyId),
    /// Only the private half of a key pair can be dropped, keeping the public one.
    #[error("security object {0} has no public half to keep")]
    NoPublicHalf(KeyId),
    /// The cluster record is created by the first command of a cluster, once.
    #[error("the cluster is already initialized")]
    ClusterAlreadyInitialized,
    /// A cluster command came before the cluster record.
    #[error("the cluster is not initialized")]
    ClusterNotInitialized,
    /// Certificates can be installed only for pending requests.
    #[error("no certificate requests are pending; run get_csrs first")]
    NoPendingCertificates,
    /// An update tried to change something that never changes.
    #[error("{0} cannot be changed")]
    Immutable(Fixed),
    /// A secret sealed under a master key version that is destroyed or not yet current.
    #[error(
        "a secret is sealed under master key version {version}, which is not live (live: {live})"
    )]
    DeadMasterKey {
        /// The value's version.
        version: u32,
        /// The live versions, as text.
        live: String,
    },
    /// A setting outside its bounds.
    #[error("{0}")]
    OutOfRange(String),
    /// A master key step out of order.
    #[error("master key rotation: {0}")]
    MasterKeyStep(String),
}

/// The kinds of object whose names must be unique.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Named {
    /// Account names are unique in the cluster.
    Account,
    /// Group names are unique in their account.
    Group,
    /// App names are unique in their account.
    App,
    /// User emails are unique in the cluster.
    User,
    /// Key names are unique in their account.
    SecurityObject,
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Account => "an account",
            Self::Group => "a group",
            Self::App => "an app",
            Self::User => "a user",
            Self::SecurityObject => "a security object",
        })
    }
}

/// What an update may never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fixed {
    /// An account's creation time.
    AccountCreationTime,
    /// The account a group belongs to.
    GroupAccount,
    /// The account an app belongs to.
    AppAccount,
    /// The account a security object belongs to.
    SobjectAccount,
    /// A security object's key material.
    SobjectMaterial,
}

impl std::fmt::Display for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::AccountCreationTime => "an account's creation time",
            Self::GroupAccount => "a group's account",
            Self::AppAccount => "an app's account",
            Self::SobjectAccount => "a security object's account",
            Self::SobjectMaterial => "a security object's material",
        })
    }
}
