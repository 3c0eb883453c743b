//! The records a cluster stores. These are domain types; the DSM wire shapes live elsewhere and
//! are mapped to these at the HTTP edge.

use crate::ids::{AccountId, AppId, GroupId, KeyId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Seconds since the Unix epoch, UTC. Read by the serving node and carried in commands.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(pub u64);

/// A secret encrypted under the cluster master key (AES-256-GCM, the owning record's id as
/// associated data). Only the serving node can open it; the state machine sees only which
/// version of the master key sealed it: the first four bytes, big-endian, then the AES-GCM blob.
/// Empty where a record holds no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(pub Vec<u8>);

impl Sealed {
    /// The version of the master key this value is sealed under; `None` when empty (or too
    /// short to say).
    pub fn key_version(&self) -> Option<u32> {
        let prefix: [u8; 4] = self.0.get(..4)?.try_into().ok()?;
        Some(u32::from_be_bytes(prefix))
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}

/// Which versions of the cluster master key are alive. A new version becomes `current` (every
/// new secret is sealed under it) before the old one's values are re-sealed; then the old one
/// is retired and destroyed on every node. Values sealed under any version up to
/// `retired_through` are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterKeyVersions {
    /// New secrets are sealed under this version.
    pub current: u32,
    /// Every version up to this one is destroyed (0: none).
    pub retired_through: u32,
}

impl Default for MasterKeyVersions {
    fn default() -> Self {
        Self {
            current: 1,
            retired_through: 0,
        }
    }
}

impl MasterKeyVersions {
    /// True for a version whose key nodes still hold.
    pub fn is_live(self, version: u32) -> bool {
        version > self.retired_through && version <= self.current
    }

    /// True while values of an older version are still being re-sealed.
    pub fn rotating(self) -> bool {
        self.current > self.retired_through + 1
    }
}

/// Who created a group or a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Creator {
    /// A user (or sysadmin).
    User(UserId),
    /// An application.
    App(AppId),
}

/// A tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Display name; unique across the cluster.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// A disabled account refuses every request of its principals.
    pub enabled: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Caller-defined string pairs.
    pub custom_metadata: BTreeMap<String, String>,
}

impl Account {
    /// An enabled account with no description or metadata.
    pub fn new(id: AccountId, name: impl Into<String>, created_at: UnixTime) -> Self {
        Self {
            id,
            name: name.into(),
            description: None,
            enabled: true,
            created_at,
            custom_metadata: BTreeMap::new(),
        }
    }
}

/// A group of keys inside an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// The owning account.
    pub account: AccountId,
    /// Display name; unique within the account.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Who created it.
    pub creator: Creator,
}

/// What an app may do with the keys of one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs, reason = "the names are the DSM permission names")]
pub enum AppPermission {
    Sign,
    Verify,
    Encrypt,
    Decrypt,
    WrapKey,
    UnwrapKey,
    DeriveKey,
    MacGenerate,
    MacVerify,
    Export,
    Manage,
    AgreeKey,
    MaskDecrypt,
}

impl AppPermission {
    /// Every permission; what an app gets in a group when none are listed.
    pub const ALL: [AppPermission; 13] = [
        Self::Sign,
        Self::Verify,
        Self::Encrypt,
        Self::Decrypt,
        Self::WrapKey,
        Self::UnwrapKey,
        Self::DeriveKey,
        Self::MacGenerate,
        Self::MacVerify,
        Self::Export,
        Self::Manage,
        Self::AgreeKey,
        Self::MaskDecrypt,
    ];
}

/// An application principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// Its id; the first half of its API key.
    pub id: AppId,
    /// The owning account.
    pub account: AccountId,
    /// Display name; unique within the account.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Free-form type tag (`default` unless the caller says otherwise).
    pub app_type: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// Who created it.
    pub creator: Creator,
    /// A disabled app cannot authenticate.
    pub enabled: bool,
    /// The groups it belongs to, and what it may do in each.
    pub groups: BTreeMap<GroupId, BTreeSet<AppPermission>>,
    /// The group new keys go to when a request names none.
    pub default_group: Option<GroupId>,
    /// The API secret, sealed so that administrators can read it back (as DSM allows). Empty
    /// for an app that authenticates with a client certificate.
    pub secret: Sealed,
    /// A keyed hash of the secret: authentication compares against this without unsealing.
    /// Empty for an app that authenticates with a client certificate.
    pub secret_digest: Vec<u8>,
    /// The client certificate the app authenticates with instead of a secret (DSM's
    /// `Certificate` apps), when it has one.
    #[serde(default)]
    pub client_certificate: Option<PinnedCertificate>,
    /// Grows by one each time the app's credentials change or it is disabled (a new secret,
    /// another certificate, `enabled` turned off); sessions started under an older generation
    /// are refused, also once the app is enabled again. Set by the state machine, whatever a
    /// command carries.
    #[serde(default)]
    pub credential_generation: u64,
}

/// A client certificate pinned to an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedCertificate {
    /// SHA-256 of the DER.
    pub fingerprint: [u8; 32],
    /// The certificate, DER.
    pub der: Vec<u8>,
}

impl App {
    /// The pinned client certificate's SHA-256 fingerprint and DER, for an app that
    /// authenticates with one.
    pub fn certificate(&self) -> Option<(&[u8; 32], &[u8])> {
        self.client_certificate
            .as_ref()
            .map(|c| (&c.fingerprint, c.der.as_slice()))
    }

    /// Makes the app authenticate with the certificate `der` (whose SHA-256 is `fingerprint`)
    /// instead of a secret; any secret stops working.
    pub fn pin_certificate(&mut self, fingerprint: &[u8; 32], der: &[u8]) {
        self.client_certificate = Some(PinnedCertificate {
            fingerprint: *fingerprint,
            der: der.to_vec(),
        });
        self.secret = Sealed(Vec::new());
        self.secret_digest = Vec::new();
    }
}

/// A user's role in an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AccountRole {
    /// Manages everything in the account.
    Administrator,
    /// Works in the groups they belong to.
    Member,
    /// Reads everything, changes nothing.
    Auditor,
}

/// A user's role in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GroupRole {
    /// Manages the group's keys and apps.
    Administrator,
    /// Reads the group's keys and logs.
    Auditor,
}

/// A user's place in one account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Roles in the account (DSM allows more than one).
    pub roles: BTreeSet<AccountRole>,
    /// Groups of this account the user belongs to.
    pub groups: BTreeMap<GroupId, GroupRole>,
}

/// A user (or sysadmin) principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Login name; unique across the cluster, compared case-insensitively.
    pub email: String,
    /// argon2id PHC string of the password.
    pub password_hash: String,
    /// Sysadmins administer the whole cluster.
    pub sysadmin: bool,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: UnixTime,
    /// The accounts the user belongs to.
    pub memberships: BTreeMap<AccountId, Membership>,
    /// Grows by one each time the user's credentials change (a new password); sessions
    /// started under an older generation are refused. Set by the state machine, whatever a
    /// command carries.
    #[serde(default)]
    pub credential_generation: u64,
}

/// The type of a security object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs, reason = "the names are the DSM object types")]
pub enum ObjectType {
    Aes,
    Des,
    Des3,
    Rsa,
    Ec,
    Opaque,
    Hmac,
    Secret,
    Certificate,
}

/// An elliptic curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs, reason = "the names are the NIST curve names")]
pub enum Curve {
    NistP256,
    NistP384,
    NistP521,
}

/// An operation a key allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs, reason = "the names are the DSM key operation names")]
pub enum KeyOperation {
    Sign,
    Verify,
    Encrypt,
    Decrypt,
    WrapKey,
    UnwrapKey,
    DeriveKey,
    AgreeKey,
    MacGenerate,
    MacVerify,
    Export,
    AppManageable,
}

impl KeyOperation {
    /// What a key can still do once its private half is gone: the operations of the public
    /// key, and its management.
    pub const WITHOUT_PRIVATE_HALF: [KeyOperation; 4] = [
        KeyOperation::Verify,
        KeyOperation::Encrypt,
        KeyOperation::WrapKey,
        KeyOperation::AppManageable,
    ];
}

/// The lifecycle state of a security object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Not yet usable.
    PreActive,
    /// Usable.
    Active,
    /// Revoked for an ordinary reason; only decrypt/verify remain meaningful.
    Deactivated,
    /// Revoked because it was compromised.
    Compromised,
}

/// Where a key's material came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyOrigin {
    /// Generated by Coffer.
    Generated,
    /// Imported (or unwrapped) from outside.
    External,
}

/// Why and when a key was revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// DSM revocation reason code, as sent.
    pub code: String,
    /// Free text.
    pub message: Option<String>,
    /// When the compromise happened, for `KeyCompromise`.
    pub compromise_date: Option<UnixTime>,
}

/// A security object: a key, secret or certificate, with its material sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sobject {
    /// Its id (`kid`).
    pub id: KeyId,
    /// The owning account.
    pub account: AccountId,
    /// The group it lives in.
    pub group: GroupId,
    /// Name, unique within the account; a replaced key loses its name to its successor.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Key type.
    pub obj_type: ObjectType,
    /// Size in bits (RSA modulus, symmetric key length); `None` for EC.
    pub key_size: Option<u32>,
    /// Curve, for EC keys.
    pub curve: Option<Curve>,
    /// Operations the key allows.
    pub key_ops: BTreeSet<KeyOperation>,
    /// A disabled key refuses every operation.
    pub enabled: bool,
    /// Lifecycle state.
    pub state: KeyState,
    /// Generated or imported.
    pub origin: KeyOrigin,
    /// Creation time.
    pub created_at: UnixTime,
    /// Who created it.
    pub creator: Creator,
    /// Caller-defined string pairs.
    pub custom_metadata: BTreeMap<String, String>,
    /// SubjectPublicKeyInfo DER, for asymmetric keys.
    pub public_key: Option<Vec<u8>>,
    /// The private or secret material, sealed; `None` for public-only objects.
    pub material: Option<Sealed>,
    /// True when EXPORT has never been granted.
    pub never_exportable: bool,
    /// When it became active.
    pub activation_date: Option<UnixTime>,
    /// When it was (or will be) deactivated.
    pub deactivation_date: Option<UnixTime>,
    /// Revocation details, once revoked.
    pub revocation: Option<Revocation>,
    /// The key that replaced this one at rotation.
    pub replacement: Option<KeyId>,
    /// The key this one replaced.
    pub replaced: Option<KeyId>,
    /// Which paddings an RSA key allows; `None`: any.
    #[serde(default)]
    pub rsa_policy: Option<RsaPolicy>,
}

/// Which paddings an RSA key allows (DSM's `rsa.encryption_policy` and `signature_policy`): an
/// operation is allowed when one rule of its list matches; an empty list allows none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaPolicy {
    /// Rules for encryption, decryption, wrapping and unwrapping.
    pub encryption: Vec<RsaEncryptionRule>,
    /// Rules for signing and verifying.
    pub signature: Vec<RsaSignatureRule>,
}

/// One allowed RSA encryption padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RsaEncryptionRule {
    /// Any padding.
    Any,
    /// OAEP, with this MGF1 hash when one is named.
    Oaep(Option<PolicyHash>),
    /// PKCS#1 v1.5.
    Pkcs1v15,
}

/// One allowed RSA signature padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RsaSignatureRule {
    /// Any padding.
    Any,
    /// PSS, with this MGF1 hash when one is named.
    Pss(Option<PolicyHash>),
    /// PKCS#1 v1.5.
    Pkcs1v15,
}

/// A hash an RSA policy can require of MGF1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyHash {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl RsaPolicy {
    /// True when some rule allows encrypting with this padding: PKCS#1 v1.5 (`None`) or OAEP
    /// with this hash.
    pub fn allows_encryption(&self, oaep: Option<PolicyHash>) -> bool {
        self.encryption.iter().any(|rule| match (rule, oaep) {
            (RsaEncryptionRule::Any, _) | (RsaEncryptionRule::Pkcs1v15, None) => true,
            (RsaEncryptionRule::Oaep(required), Some(used)) => {
                required.is_none_or(|required| required == used)
            }
            _ => false,
        })
    }

    /// True when some rule allows signing with this padding: PKCS#1 v1.5 (`None`) or PSS with
    /// this MGF1 hash (`Some(None)`: PSS, hash unnamed).
    pub fn allows_signature(&self, pss: Option<Option<PolicyHash>>) -> bool {
        self.signature.iter().any(|rule| match (rule, pss) {
            (RsaSignatureRule::Any, _) | (RsaSignatureRule::Pkcs1v15, None) => true,
            (RsaSignatureRule::Pss(required), Some(used)) => {
                required.is_none_or(|required| Some(required) == used)
            }
            _ => false,
        })
    }
}

impl Sobject {
    /// The key's state at `now`, as KMIP reckons it: a compromised key stays compromised;
    /// otherwise it is pre-active until its activation date and deactivated from its
    /// deactivation date on, whatever its stored state says.
    pub fn state_at(&self, now: UnixTime) -> KeyState {
        if self.state == KeyState::Compromised {
            return KeyState::Compromised;
        }
        if self.deactivation_date.is_some_and(|date| date <= now) {
            return KeyState::Deactivated;
        }
        if self.activation_date.is_some_and(|date| date > now) {
            return KeyState::PreActive;
        }
        self.state
    }

    /// True when only the public half is held.
    pub fn public_only(&self) -> bool {
        self.material.is_none()
    }
}

/// What the whole cluster shares about itself: its CA, its configuration, join tokens and
/// data-centre labels. One record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// Random id, fixed at creation.
    pub cluster_id: uuid::Uuid,
    /// The cluster CA certificate (PEM); node-to-node TLS trusts only it.
    pub ca_cert_pem: String,
    /// The CA private key (PKCS#8 PEM), sealed under the cluster master key.
    pub ca_key: Option<Sealed>,
    /// The operator's `config.yaml`, as given.
    pub config_yaml: String,
    /// Join tokens by their public id.
    pub tokens: BTreeMap<String, JoinToken>,
    /// Data-centre label of each node, by node name.
    pub dc_labels: BTreeMap<String, String>,
    /// When the cluster was created.
    pub created_at: UnixTime,
    /// The API and UI certificates requested (`get_csrs`) and installed (`install_certs`).
    #[serde(default)]
    pub tls: TlsCertificates,
    /// Which master key versions are alive (`sdkms-cluster rotate --cmk` moves them on).
    #[serde(default)]
    pub master_keys: MasterKeyVersions,
    /// Anyone may register a user (`POST /sys/v1/users`); off unless `sdkms-cluster signup
    /// enable` turned it on.
    #[serde(default)]
    pub signup_open: bool,
    /// How long each node keeps its audit log (`sdkms-cluster audit-retention`).
    #[serde(default)]
    pub audit_retention: AuditRetention,
}

/// How much audit log each node keeps: records older than `max_age_days`, and the oldest
/// beyond `max_records`, are deleted in the background.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRetention {
    /// Days a record is kept.
    pub max_age_days: u32,
    /// Records kept at most, per node.
    pub max_records: u64,
}

impl AuditRetention {
    /// The bounds [`AuditRetention::max_age_days`] may take.
    pub const AGE_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
    /// The bounds [`AuditRetention::max_records`] may take.
    pub const RECORDS: std::ops::RangeInclusive<u64> = 100..=1_000_000_000;
}

impl Default for AuditRetention {
    /// A year, and two million records (about a gigabyte) per node.
    fn default() -> Self {
        Self {
            max_age_days: 365,
            max_records: 2_000_000,
        }
    }
}

/// The cluster's service certificates: one for the API (main) domain, one for the UI (assets)
/// domain. The private keys are made by the cluster and kept sealed under the master key, so
/// every node can serve them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsCertificates {
    /// Requested and waiting for signed certificates.
    pub pending: Option<PendingCertificates>,
    /// Installed and served.
    pub installed: Option<InstalledCertificates>,
}

/// What `get_csrs` asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCertificates {
    /// Made with `get_csrs --rotate` (then `install_certs --rotate` is required, and vice versa).
    pub rotate: bool,
    /// The cluster's name.
    pub cluster_name: String,
    /// The API service's request.
    pub main: CertificateRequest,
    /// The UI service's request.
    pub ui: CertificateRequest,
    /// When it was made.
    pub created_at: UnixTime,
    /// Names of the mutual-TLS interface (also among `main.names`): connections for them are
    /// asked for a client certificate, with which apps authenticate.
    #[serde(default)]
    pub mtls_names: Vec<String>,
}

/// One service's certificate request and its sealed key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRequest {
    /// The domain the service answers on.
    pub domain: String,
    /// Every DNS name requested (the domain first, then the SANs).
    pub names: Vec<String>,
    /// The CSR, PEM.
    pub csr_pem: String,
    /// The private key (PKCS#8 PEM), sealed.
    pub key: Sealed,
}

/// Installed service certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledCertificates {
    /// The API service's.
    pub main: ServiceCertificate,
    /// The UI service's.
    pub ui: ServiceCertificate,
    /// When they were installed.
    pub installed_at: UnixTime,
    /// Names of the mutual-TLS interface (also among `main.names`), as requested.
    #[serde(default)]
    pub mtls_names: Vec<String>,
}

/// One service's certificate chain and sealed key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCertificate {
    /// The domain.
    pub domain: String,
    /// Every DNS name the certificate holds.
    pub names: Vec<String>,
    /// The chain, leaf first, PEM.
    pub chain_pem: String,
    /// The private key (PKCS#8 PEM), sealed.
    pub key: Sealed,
}

/// A join token (`id.secret`). Only a hash of the secret is kept for checking it, and the key
/// that signs the cluster CA for joiners is kept sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinToken {
    /// The public half.
    pub id: String,
    /// SHA-256 of the secret half.
    pub verifier: Vec<u8>,
    /// HMAC key derived from the secret, sealed; signs the cluster CA for joiners.
    pub signing_key: Sealed,
    /// Creation time.
    pub created_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_rules_allow_what_they_name_and_an_empty_list_allows_nothing() {
        let policy = RsaPolicy {
            encryption: vec![RsaEncryptionRule::Oaep(Some(PolicyHash::Sha256))],
            signature: vec![RsaSignatureRule::Pss(None), RsaSignatureRule::Pkcs1v15],
        };
        assert!(policy.allows_encryption(Some(PolicyHash::Sha256)));
        assert!(!policy.allows_encryption(Some(PolicyHash::Sha1)));
        assert!(!policy.allows_encryption(None), "PKCS#1 v1.5 is not named");
        assert!(policy.allows_signature(Some(Some(PolicyHash::Sha512))));
        assert!(policy.allows_signature(None));
        let closed = RsaPolicy {
            encryption: vec![],
            signature: vec![],
        };
        assert!(!closed.allows_encryption(Some(PolicyHash::Sha256)));
        assert!(!closed.allows_signature(None));
        let open = RsaPolicy {
            encryption: vec![RsaEncryptionRule::Any],
            signature: vec![RsaSignatureRule::Any],
        };
        assert!(open.allows_encryption(None) && open.allows_signature(Some(None)));
    }

    fn app() -> App {
        App {
            id: AppId::from_u128(1),
            account: AccountId::from_u128(2),
            name: "x".into(),
            description: None,
            app_type: "default".into(),
            created_at: UnixTime(0),
            creator: Creator::User(UserId::from_u128(3)),
            enabled: true,
            groups: BTreeMap::new(),
            default_group: None,
            secret: Sealed([&[0, 0, 0, 1][..], &[1; 40]].concat()),
            secret_digest: vec![2; 32],
            client_certificate: None,
            credential_generation: 0,
        }
    }

    #[test]
    fn a_pinned_certificate_replaces_the_secret_and_reads_back() {
        let mut app = app();
        assert_eq!(
            app.certificate(),
            None,
            "a secret's keyed hash is no certificate"
        );
        app.pin_certificate(&[7; 32], b"DER");
        assert_eq!(app.certificate(), Some((&[7; 32], &b"DER"[..])));
        assert!(app.secret.0.is_empty());
        assert!(app.secret_digest.is_empty());
        let stored = serde_json::to_vec(&app).expect("encodes");
        let read: App = serde_json::from_slice(&stored).expect("decodes");
        assert_eq!(read.certificate(), app.certificate());
    }

    #[test]
    fn certificate_requests_stored_before_mutual_tls_read_back_without_interfaces() {
        let old = serde_json::json!({
            "rotate": false,
            "cluster_name": "c",
            "main": {"domain": "a", "names": ["a"], "csr_pem": "", "key": []},
            "ui": {"domain": "b", "names": ["b"], "csr_pem": "", "key": []},
            "created_at": 0,
        });
        let pending: PendingCertificates = serde_json::from_value(old).expect("decodes");
        assert!(pending.mtls_names.is_empty());
    }
}
