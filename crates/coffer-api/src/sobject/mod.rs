//! Security objects: `/crypto/v1/keys…` (dsm-api.md §5).
//!
//! [`Sobject`] is every answer that describes a key; [`SobjectRequest`] creates, imports,
//! updates and rotates; [`SobjectDescriptor`] names a key in bodies; [`ListSobjectsParams`] and
//! [`GetSobjectParams`] are the queries.

mod descriptor;
mod params;
mod rsa;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::{Blob, CompactTime};
use crate::enums::{
    DigestAlgorithm, EllipticCurve, KeyOperations, ObjectOrigin, ObjectType, RevocationReasonCode,
    SobjectState,
};
use crate::principal::Principal;

pub use descriptor::SobjectDescriptor;
pub use params::{GetSobjectParams, ListSobjectsParams, SobjectEncoding};
pub use rsa::{
    MgfPolicy, RsaEncryptionPaddingPolicy, RsaEncryptionPolicy, RsaOptions,
    RsaSignaturePaddingPolicy, RsaSignaturePolicy,
};

/// A security object as every key endpoint returns it.
///
/// The fields Rs requires are plain (never skipped): `acct_id`, `created_at`, `lastused_at`
/// (use [`CompactTime::EPOCH`] for never-used), `creator`, `enabled`, `key_ops`, `obj_type`,
/// `origin`, `public_only`. Every optional field is omitted when `None`. `value` belongs only in
/// export answers (and on OPAQUE/CERTIFICATE objects).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sobject {
    /// Key id; absent only for transient keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// Name, unique per account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Owning account.
    pub acct_id: Uuid,
    /// Owning group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// Who created it.
    pub creator: Principal,
    /// Object type.
    pub obj_type: ObjectType,
    /// Size in bits (omitted for EC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    /// Curve of an EC key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elliptic_curve: Option<EllipticCurve>,
    /// Allowed operations.
    pub key_ops: Vec<KeyOperations>,
    /// Whether crypto operations are allowed.
    pub enabled: bool,
    /// Lifecycle state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SobjectState>,
    /// Generated, imported or transient.
    pub origin: ObjectOrigin,
    /// Creation time.
    pub created_at: CompactTime,
    /// Last use; `19700101T000000Z` when never used.
    pub lastused_at: CompactTime,
    /// When it became (or becomes) active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_date: Option<CompactTime>,
    /// When it stops (or stopped) being active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivation_date: Option<CompactTime>,
    /// When it was compromised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromise_date: Option<CompactTime>,
    /// Why it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<RevocationReason>,
    /// True if EXPORT was never granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_exportable: Option<bool>,
    /// True when only the public half is held.
    pub public_only: bool,
    /// Whether the object meets the account's key policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliant_with_policies: Option<bool>,
    /// Whether ECDSA signatures are deterministic (RFC 6979).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deterministic_signatures: Option<bool>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// RSA options; when present both policy arrays are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsa: Option<RsaOptions>,
    /// Public key, DER SubjectPublicKeyInfo (RSA, EC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_key: Option<Blob>,
    /// Key material: export answers, OPAQUE and CERTIFICATE objects only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Blob>,
    /// The transient key blob of a transient object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transient_key: Option<Blob>,
    /// Rotation links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<KeyLinks>,
    /// Key checksum value (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kcv: Option<String>,
}

/// Rotation links of an object: `{"replacement":uuid?,"replaced":uuid?}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLinks {
    /// The object that replaced this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Uuid>,
    /// The object this one replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<Uuid>,
}

/// Body of `POST /crypto/v1/keys` (generate), `PUT /crypto/v1/keys` (import),
/// `PATCH /crypto/v1/keys/{kid}` (update) and `POST /crypto/v1/keys/rekey` (rotate).
///
/// Every member is optional and `null` means absent; members Coffer does not implement
/// (`fpe`, `dsa`, `bls`, `rotation_policy`, `publish_public_key`, …) are ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SobjectRequest {
    /// Name (required to create; names the key to rotate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Object type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obj_type: Option<ObjectType>,
    /// Size in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    /// Curve for EC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elliptic_curve: Option<EllipticCurve>,
    /// RSA public exponent (deprecated; see `rsa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_exponent: Option<u32>,
    /// RSA options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsa: Option<RsaOptions>,
    /// Allowed operations: absent = server default, `[]` = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<KeyOperations>>,
    /// Group; absent = the app's default group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Key material to import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Blob>,
    /// Enabled (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Create a transient key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transient: Option<bool>,
    /// Initial state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SobjectState>,
    /// Activation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_date: Option<CompactTime>,
    /// Deactivation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivation_date: Option<CompactTime>,
    /// Deterministic ECDSA signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deterministic_signatures: Option<bool>,
}

/// Why an object was revoked: the body of `POST /crypto/v1/keys/{kid}/revoke` and the
/// `revocation_reason` of an [`Sobject`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationReason {
    /// Reason code.
    pub code: RevocationReasonCode,
    /// Free text for the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the compromise happened (the clients' spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromise_occurance_date: Option<CompactTime>,
}

/// `POST /crypto/v1/keys/{kid}/revoke` body.
pub type RevokeRequest = RevocationReason;

/// `POST /crypto/v1/keys/persist` body: store a transient key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersistTransientKeyRequest {
    /// Name of the new object.
    pub name: String,
    /// The transient key blob.
    pub transient_key: Blob,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// Allowed operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<KeyOperations>>,
    /// Initial state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SobjectState>,
    /// Activation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_date: Option<CompactTime>,
    /// Deactivation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivation_date: Option<CompactTime>,
}

/// `POST /crypto/v1/keys/digest` body: hash a key's material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectDigestRequest {
    /// The key.
    pub key: SobjectDescriptor,
    /// The hash.
    pub alg: DigestAlgorithm,
}

/// `POST /crypto/v1/keys/digest` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectDigestResponse {
    /// The key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Uuid>,
    /// The digest.
    pub digest: Blob,
}

/// `POST /crypto/v1/keys/kcv` answer (the body is a [`SobjectDescriptor`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KcvResponse {
    /// The key.
    pub kid: Uuid,
    /// Key checksum value (hex).
    pub kcv: String,
}

#[cfg(test)]
mod tests;
