//! DSM wire types exactly as the official clients send and expect them.
//!
//! Coffer speaks the Fortanix DSM REST API to the Rust `sdkms` crate, the Python `sdkms`
//! package and `sdkms-cli`. This crate holds that API's JSON shapes and nothing else: serde
//! types, no domain logic, no crypto, no I/O. The server maps them to its own domain types, so
//! a wire-format change is one diff here. The reference is `shared/reference/dsm-api.md`.
//!
//! # Rules every type follows
//!
//! - **`null` ≡ absent**: every optional request member is `Option` with `#[serde(default)]`.
//! - **Unknown members are ignored**, never rejected (the CLI posts stray keys).
//! - **Answers omit `None` members**, except those a client requires to be present.
//! - **Bytes** are [`Blob`]: standard padded base64 out, lenient in.
//! - **Object dates** are [`CompactTime`] (`YYYYMMDDTHHMMSSZ`); audit times are RFC 3339.
//! - **Enums** ([`enums`]) emit Rs's exact spelling, accept any case, and reject unknown values
//!   with an error naming the value.
//! - **Queries** deserialize with axum's `Query` (serde_urlencoded) or [`parse_query`].
//!
//! # Map
//!
//! | module | endpoints |
//! |---|---|
//! | [`codec`] | shared value codecs: [`Blob`], [`CompactTime`], lenient scalars |
//! | [`query`] | [`parse_query`], [`SortSpec`] |
//! | [`enums`] | the §5.3 enums, permissions and roles |
//! | [`version`] | `GET /sys/v1/version` |
//! | [`session`] | `/sys/v1/session/*` |
//! | [`account`] | `/sys/v1/accounts` |
//! | [`group`] | `/sys/v1/groups` |
//! | [`app`] | `/sys/v1/apps` |
//! | [`user`] | `/sys/v1/users` |
//! | [`sobject`] | `/crypto/v1/keys…` |
//! | [`crypto`] | encrypt, decrypt, sign, verify, MAC, digest, wrap, derive, batch |
//! | [`audit`] | `GET /sys/v1/logs` |
//!
//! # Example
//!
//! ```
//! use coffer_api::{CipherMode, EncryptRequest, EncryptionMode, ObjectType, SobjectDescriptor};
//!
//! // What the CLI posts to /crypto/v1/encrypt, nulls and all.
//! let req: EncryptRequest = serde_json::from_str(
//!     r#"{"key":{"name":"payments-aes"},"alg":"AES","plain":"aGVsbG8=","mode":"CBC","iv":null}"#,
//! )?;
//! assert_eq!(req.key, Some(SobjectDescriptor::Name("payments-aes".into())));
//! assert_eq!(req.alg, ObjectType::Aes);
//! assert_eq!(req.mode, Some(EncryptionMode::Symmetric(CipherMode::Cbc)));
//! assert_eq!(req.plain.as_bytes(), b"hello");
//! # Ok::<(), serde_json::Error>(())
//! ```

#[macro_use]
mod macros;

pub mod account;
pub mod app;
pub mod audit;
pub mod codec;
pub mod crypto;
pub mod enums;
mod error;
pub mod group;
pub mod principal;
pub mod query;
pub mod session;
pub mod sobject;
pub mod user;
pub mod version;

pub use account::{
    Account, AccountAuthType, AccountRequest, AccountState, AuthConfig, AuthConfigPassword,
    GetAccountParams, NotificationPref, ObjectCounts, SubscriptionType,
};
pub use app::{
    App, AppAuthType, AppCredential, AppCredentialResponse, AppGroups, AppGroupsRequest,
    AppRequest, GetAppParams, ListAppsParams, ResetSecretRequest, TrustAnchor,
};
pub use audit::{
    AuditActionType, AuditActorType, AuditLogEntry, AuditLogHit, AuditLogsQuery, AuditLogsResponse,
    AuditSeverity, ResponseTime,
};
pub use codec::{Blob, CompactTime, format_rfc3339};
pub use crypto::{
    AgreeKeyMechanism, AgreeKeyRequest, BatchDecryptRequest, BatchDecryptRequestItem,
    BatchEncryptRequest, BatchEncryptRequestItem, BatchMacRequest, BatchMacVerifyRequest,
    BatchResponse, BatchResponseItem, BatchSignRequest, BatchVerifyRequest, DecryptFinalRequest,
    DecryptFinalResponse, DecryptInitRequest, DecryptInitResponse, DecryptRequest, DecryptResponse,
    DecryptUpdateRequest, DecryptUpdateResponse, DeriveKeyMechanism, DeriveKeyRequest,
    DigestRequest, DigestResponse, EncryptFinalRequest, EncryptFinalResponse, EncryptInitRequest,
    EncryptInitResponse, EncryptRequest, EncryptResponse, EncryptUpdateRequest,
    EncryptUpdateResponse, EncryptionMode, MacRequest, MacResponse, MacVerifyRequest, Mgf,
    RandomRequest, RandomResponse, RsaEncryptionPadding, RsaSignaturePadding, SignRequest,
    SignResponse, UnwrapKeyRequest, VerifyRequest, VerifyResponse, WrapKeyRequest, WrapKeyResponse,
};
pub use enums::{
    AppPermission, CipherMode, DigestAlgorithm, EllipticCurve, KeyFormat, KeyOperations,
    ObjectOrigin, ObjectType, RevocationReasonCode, SobjectState, UserAccountFlag, UserGroupRole,
};
pub use error::WireError;
pub use group::{Group, GroupRequest};
pub use principal::Principal;
pub use query::{SortOrder, SortSpec, parse_query};
pub use session::{AuthResponse, SelectAccountRequest, SelectAccountResponse};
pub use sobject::{
    GetSobjectParams, KcvResponse, KeyLinks, ListSobjectsParams, MgfPolicy, ObjectDigestRequest,
    ObjectDigestResponse, PersistTransientKeyRequest, RevocationReason, RevokeRequest,
    RsaEncryptionPaddingPolicy, RsaEncryptionPolicy, RsaOptions, RsaSignaturePaddingPolicy,
    RsaSignaturePolicy, Sobject, SobjectDescriptor, SobjectEncoding, SobjectRequest,
};
pub use user::{
    ChangePasswordRequest, ConfirmEmailRequest, ConfirmEmailResponse, ForgotPasswordRequest,
    GroupRoleEntry, ListUsersParams, ProcessInviteRequest, ResetPasswordRequest, SignupRequest,
    U2fDevice, User, UserAccounts, UserRequest,
};
pub use version::{ServerMode, VersionResponse};
