//! Authorization decisions for key use: pure functions over the state.

use crate::records::{App, AppPermission, KeyOperation, KeyState, Sobject, UnixTime};
use serde::{Deserialize, Serialize};

/// Why a principal may not use a key for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Denied {
    /// The key belongs to another account, or to a group the app is not in: as if absent.
    #[error("security object not found")]
    NotVisible,
    /// The app's group permissions do not include the operation.
    #[error("the app lacks the {0:?} permission in the key's group")]
    MissingPermission(AppPermission),
    /// The key's `key_ops` do not include the operation.
    #[error("the key does not allow {0:?}")]
    OperationNotAllowed(KeyOperation),
    /// The key is disabled.
    #[error("the key is disabled")]
    Disabled,
    /// The key is pre-active (its activation date is still to come): nothing may use it.
    #[error("the key is not active yet (pre-active until its activation date)")]
    NotYetActive,
    /// The key is deactivated or compromised: it only decrypts, verifies and unwraps.
    #[error(
        "the key is deactivated or compromised: it only decrypts, verifies and unwraps what it protected"
    )]
    NoLongerActive,
}

/// Decides whether an app may use a key for an operation.
pub trait KeyAccess {
    /// `Ok` when `app` may perform `op` with `key` at `now`.
    fn check(&self, key: &Sobject, op: KeyOperation, now: UnixTime) -> Result<(), Denied>;
}

impl KeyAccess for App {
    fn check(&self, key: &Sobject, op: KeyOperation, now: UnixTime) -> Result<(), Denied> {
        if key.account != self.account {
            return Err(Denied::NotVisible);
        }
        let Some(permissions) = self.groups.get(&key.group) else {
            return Err(Denied::NotVisible);
        };
        let needed = permission_for(op);
        if !permissions.contains(&needed) {
            return Err(Denied::MissingPermission(needed));
        }
        if !key.key_ops.contains(&op) {
            return Err(Denied::OperationNotAllowed(op));
        }
        if !key.enabled {
            return Err(Denied::Disabled);
        }
        // Revoked keys may still open what they sealed and check what they signed.
        match key.state_at(now) {
            KeyState::Active => Ok(()),
            KeyState::Deactivated | KeyState::Compromised
                if matches!(
                    op,
                    KeyOperation::Decrypt
                        | KeyOperation::Verify
                        | KeyOperation::MacVerify
                        | KeyOperation::UnwrapKey
                ) =>
            {
                Ok(())
            }
            KeyState::Deactivated | KeyState::Compromised => Err(Denied::NoLongerActive),
            KeyState::PreActive => Err(Denied::NotYetActive),
        }
    }
}

/// The group permission an app needs for a key operation.
pub fn permission_for(op: KeyOperation) -> AppPermission {
    match op {
        KeyOperation::Sign => AppPermission::Sign,
        KeyOperation::Verify => AppPermission::Verify,
        KeyOperation::Encrypt => AppPermission::Encrypt,
        KeyOperation::Decrypt => AppPermission::Decrypt,
        KeyOperation::WrapKey => AppPermission::WrapKey,
        KeyOperation::UnwrapKey => AppPermission::UnwrapKey,
        KeyOperation::DeriveKey => AppPermission::DeriveKey,
        KeyOperation::AgreeKey => AppPermission::AgreeKey,
        KeyOperation::MacGenerate => AppPermission::MacGenerate,
        KeyOperation::MacVerify => AppPermission::MacVerify,
        KeyOperation::Export => AppPermission::Export,
        KeyOperation::AppManageable => AppPermission::Manage,
    }
}
