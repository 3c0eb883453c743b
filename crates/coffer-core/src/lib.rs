//! Coffer's domain: the records a cluster keeps, the [`Command`]s that change them, and the
//! deterministic [`State::apply`] every replica runs.
//!
//! Nothing here does I/O, reads a clock or draws randomness: the node serving a request does all
//! of that first (generates ids and key material, seals it under the cluster master key, reads the
//! time) and the command carries the results. Replicas therefore apply identical bytes and reach
//! identical states, and the log never holds plaintext key material — only [`Sealed`] blobs.
//!
//! ```
//! use coffer_core::{Account, AccountId, Command, State, UnixTime};
//!
//! let mut state = State::default();
//! let account = Account::new(AccountId::from_u128(1), "payments", UnixTime(1_700_000_000));
//! let applied = state.apply(&Command::CreateAccount(account));
//! assert!(applied.outcome.is_ok());
//! assert_eq!(state.account(AccountId::from_u128(1)).map(|a| a.name.as_str()), Some("payments"));
//! ```
//!
//! Persistence works record by record: [`Applied::changed`] names the records a command touched,
//! [`State::encode_record`] serializes one, and [`State::load_record`] puts it back, so a store
//! writes only what changed and rebuilds the state from its tables at start-up.

mod authz;
mod command;
mod error;
mod ids;
mod records;
mod state;

pub use authz::{Denied, KeyAccess, permission_for};
pub use command::{Command, Rewrapped, SealedAt, TlsService};
pub use error::{ApplyError, Fixed, Named};
pub use ids::{AccountId, AppId, GroupId, KeyId, SessionId, UserId};
pub use records::{
    Account, AccountRole, App, AppPermission, AuditRetention, CertificateRequest, ClusterInfo,
    Creator, Curve, Group, GroupRole, InstalledCertificates, JoinToken, KeyOperation, KeyOrigin,
    KeyState, MasterKeyVersions, Membership, ObjectType, PendingCertificates, PinnedCertificate,
    PolicyHash, Revocation, RsaEncryptionRule, RsaPolicy, RsaSignatureRule, Sealed,
    ServiceCertificate, Sobject, TlsCertificates, UnixTime, User,
};
pub use state::{Applied, RecordKey, State, Table};
