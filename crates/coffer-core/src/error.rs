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
        kind: String,
        /// The name.
        name: String,
    },
    /// The group still holds keys.
    #[error("group {0} still holds security objects")]
    GroupNotEmpty(GroupId),
    /// A record refers to something that is not there or belongs elsewhere.
    #[error("{0}")]
    BadReference(String),
    /// The cluster record does not exist yet, or exists already.
    #[error("{0}")]
    ClusterState(String),
    /// An update tried to change something that never changes.
    #[error("{0} cannot be changed")]
    Immutable(String),
}
