//! What the state machine answers for each applied entry.

use coffer_core::ApplyError;
use serde::{Deserialize, Serialize};

/// What applying one log entry produced: whether [`State::apply`](coffer_core::State::apply)
/// accepted the command. Blank and membership entries are always accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResponse {
    /// Accepted, or the deterministic reason every replica refused it.
    pub outcome: Result<(), ApplyError>,
}

impl CommandResponse {
    /// The response of an accepted entry.
    pub fn accepted() -> Self {
        Self { outcome: Ok(()) }
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests {
    use super::*;
    use coffer_core::{AccountId, AppId, GroupId, KeyId, UserId};

    fn round_trip(outcome: Result<(), ApplyError>) -> CommandResponse {
        let response = CommandResponse { outcome };
        let bytes = serde_json::to_vec(&response).expect("encodes");
        serde_json::from_slice(&bytes).expect("decodes")
    }

    #[test]
    fn every_refusal_round_trips() {
        let refusals = [
            ApplyError::AccountNotFound(AccountId::from_u128(1)),
            ApplyError::GroupNotFound(GroupId::from_u128(2)),
            ApplyError::AppNotFound(AppId::from_u128(3)),
            ApplyError::UserNotFound(UserId::from_u128(4)),
            ApplyError::SobjectNotFound(KeyId::from_u128(5)),
            ApplyError::IdTaken(uuid::Uuid::from_u128(6)),
            ApplyError::NameTaken {
                kind: coffer_core::Named::SecurityObject,
                name: "k1".into(),
            },
            ApplyError::GroupNotEmpty(GroupId::from_u128(7)),
            ApplyError::GroupOfOtherAccount(GroupId::from_u128(8)),
            ApplyError::DefaultGroupNotMember(GroupId::from_u128(9)),
            ApplyError::NotRotatable(KeyId::from_u128(10)),
            ApplyError::NoPublicHalf(KeyId::from_u128(11)),
            ApplyError::ClusterAlreadyInitialized,
            ApplyError::ClusterNotInitialized,
            ApplyError::NoPendingCertificates,
            ApplyError::Immutable(coffer_core::Fixed::SobjectMaterial),
        ];
        assert_eq!(round_trip(Ok(())), CommandResponse::accepted());
        for refusal in refusals {
            assert_eq!(round_trip(Err(refusal.clone())).outcome, Err(refusal));
        }
    }
}
