//! Mapping between the DSM wire types and Coffer's domain types. A wire-format change is a
//! change here and nowhere else.

use crate::error::ServiceError;
use coffer_api as wire;
use coffer_core::{
    Creator, Curve, KeyOperation, KeyOrigin, KeyState, ObjectType, Sobject, UnixTime,
};

/// A wire object type as a domain one.
pub fn object_type(t: wire::ObjectType) -> ObjectType {
    match t {
        wire::ObjectType::Aes => ObjectType::Aes,
        wire::ObjectType::Des => ObjectType::Des,
        wire::ObjectType::Des3 => ObjectType::Des3,
        wire::ObjectType::Rsa => ObjectType::Rsa,
        wire::ObjectType::Ec => ObjectType::Ec,
        wire::ObjectType::Opaque => ObjectType::Opaque,
        wire::ObjectType::Hmac => ObjectType::Hmac,
        wire::ObjectType::Secret => ObjectType::Secret,
        wire::ObjectType::Certificate => ObjectType::Certificate,
    }
}

/// A domain object type as a wire one.
pub fn wire_object_type(t: ObjectType) -> wire::ObjectType {
    match t {
        ObjectType::Aes => wire::ObjectType::Aes,
        ObjectType::Des => wire::ObjectType::Des,
        ObjectType::Des3 => wire::ObjectType::Des3,
        ObjectType::Rsa => wire::ObjectType::Rsa,
        ObjectType::Ec => wire::ObjectType::Ec,
        ObjectType::Opaque => wire::ObjectType::Opaque,
        ObjectType::Hmac => wire::ObjectType::Hmac,
        ObjectType::Secret => wire::ObjectType::Secret,
        ObjectType::Certificate => wire::ObjectType::Certificate,
    }
}

/// A wire curve as a domain one; curves Coffer does not implement are a 400.
pub fn curve(c: wire::EllipticCurve) -> Result<Curve, ServiceError> {
    match c {
        wire::EllipticCurve::NistP256 => Ok(Curve::NistP256),
        wire::EllipticCurve::NistP384 => Ok(Curve::NistP384),
        wire::EllipticCurve::NistP521 => Ok(Curve::NistP521),
        other => Err(ServiceError::invalid(format!(
            "elliptic curve {other:?} is not supported; use NistP256, NistP384 or NistP521"
        ))),
    }
}

/// A domain curve as a wire one.
pub fn wire_curve(c: Curve) -> wire::EllipticCurve {
    match c {
        Curve::NistP256 => wire::EllipticCurve::NistP256,
        Curve::NistP384 => wire::EllipticCurve::NistP384,
        Curve::NistP521 => wire::EllipticCurve::NistP521,
    }
}

/// A domain curve as the crypto library's.
pub fn crypto_curve(c: Curve) -> coffer_crypto::Curve {
    match c {
        Curve::NistP256 => coffer_crypto::Curve::P256,
        Curve::NistP384 => coffer_crypto::Curve::P384,
        Curve::NistP521 => coffer_crypto::Curve::P521,
    }
}

/// The crypto library's curve as a domain one.
pub fn curve_from_crypto(c: coffer_crypto::Curve) -> Curve {
    match c {
        coffer_crypto::Curve::P256 => Curve::NistP256,
        coffer_crypto::Curve::P384 => Curve::NistP384,
        coffer_crypto::Curve::P521 => Curve::NistP521,
    }
}

/// Wire key operations as domain ones; `HIGHVOLUME` is accepted and has no effect.
pub fn key_ops(ops: &[wire::KeyOperations]) -> std::collections::BTreeSet<KeyOperation> {
    ops.iter()
        .filter_map(|op| {
            Some(match op {
                wire::KeyOperations::Sign => KeyOperation::Sign,
                wire::KeyOperations::Verify => KeyOperation::Verify,
                wire::KeyOperations::Encrypt => KeyOperation::Encrypt,
                wire::KeyOperations::Decrypt => KeyOperation::Decrypt,
                wire::KeyOperations::WrapKey => KeyOperation::WrapKey,
                wire::KeyOperations::UnwrapKey => KeyOperation::UnwrapKey,
                wire::KeyOperations::DeriveKey => KeyOperation::DeriveKey,
                wire::KeyOperations::AgreeKey => KeyOperation::AgreeKey,
                wire::KeyOperations::MacGenerate => KeyOperation::MacGenerate,
                wire::KeyOperations::MacVerify => KeyOperation::MacVerify,
                wire::KeyOperations::Export => KeyOperation::Export,
                wire::KeyOperations::AppManageable => KeyOperation::AppManageable,
                wire::KeyOperations::HighVolume => return None,
            })
        })
        .collect()
}

fn wire_key_op(op: KeyOperation) -> wire::KeyOperations {
    match op {
        KeyOperation::Sign => wire::KeyOperations::Sign,
        KeyOperation::Verify => wire::KeyOperations::Verify,
        KeyOperation::Encrypt => wire::KeyOperations::Encrypt,
        KeyOperation::Decrypt => wire::KeyOperations::Decrypt,
        KeyOperation::WrapKey => wire::KeyOperations::WrapKey,
        KeyOperation::UnwrapKey => wire::KeyOperations::UnwrapKey,
        KeyOperation::DeriveKey => wire::KeyOperations::DeriveKey,
        KeyOperation::AgreeKey => wire::KeyOperations::AgreeKey,
        KeyOperation::MacGenerate => wire::KeyOperations::MacGenerate,
        KeyOperation::MacVerify => wire::KeyOperations::MacVerify,
        KeyOperation::Export => wire::KeyOperations::Export,
        KeyOperation::AppManageable => wire::KeyOperations::AppManageable,
    }
}

/// A wire digest algorithm as the crypto library's.
pub fn digest(alg: wire::DigestAlgorithm) -> Result<coffer_crypto::DigestAlgorithm, ServiceError> {
    use coffer_crypto::DigestAlgorithm as D;
    match alg {
        wire::DigestAlgorithm::Sha1 => Ok(D::Sha1),
        wire::DigestAlgorithm::Sha256 => Ok(D::Sha256),
        wire::DigestAlgorithm::Sha384 => Ok(D::Sha384),
        wire::DigestAlgorithm::Sha512 => Ok(D::Sha512),
        wire::DigestAlgorithm::Sha3_256 => Ok(D::Sha3_256),
        wire::DigestAlgorithm::Sha3_384 => Ok(D::Sha3_384),
        wire::DigestAlgorithm::Sha3_512 => Ok(D::Sha3_512),
        other => Err(ServiceError::invalid(format!(
            "digest algorithm {other:?} is not supported"
        ))),
    }
}

/// A wire cipher mode as the crypto library's.
pub fn cipher_mode(mode: wire::CipherMode) -> Result<coffer_crypto::CipherMode, ServiceError> {
    use coffer_crypto::CipherMode as M;
    match mode {
        wire::CipherMode::Ecb => Ok(M::Ecb),
        wire::CipherMode::Cbc => Ok(M::Cbc),
        wire::CipherMode::CbcNoPad => Ok(M::CbcNoPad),
        wire::CipherMode::Cfb => Ok(M::Cfb),
        wire::CipherMode::Ofb => Ok(M::Ofb),
        wire::CipherMode::Ctr => Ok(M::Ctr),
        wire::CipherMode::Gcm => Ok(M::Gcm),
        wire::CipherMode::Kw => Ok(M::Kw),
        wire::CipherMode::Kwp => Ok(M::Kwp),
        other => Err(ServiceError::invalid(format!(
            "cipher mode {other:?} is not supported"
        ))),
    }
}

/// A wire RSA encryption padding as the crypto library's.
pub fn rsa_padding(
    padding: wire::RsaEncryptionPadding,
) -> Result<coffer_crypto::RsaEncryptionPadding, ServiceError> {
    match padding {
        wire::RsaEncryptionPadding::Pkcs1V15 => Ok(coffer_crypto::RsaEncryptionPadding::Pkcs1v15),
        wire::RsaEncryptionPadding::Oaep {
            mgf: wire::Mgf::Mgf1 { hash },
        } => Ok(coffer_crypto::RsaEncryptionPadding::Oaep(digest(hash)?)),
    }
}

/// The RSA policy of a request's `rsa` options. A hash a policy cannot be held to (SHA-3 for
/// MGF1) is refused rather than stored unenforced.
pub fn rsa_policy(options: &wire::RsaOptions) -> Result<coffer_core::RsaPolicy, ServiceError> {
    use coffer_core::{RsaEncryptionRule as E, RsaSignatureRule as S};
    let encryption = options
        .encryption_policy
        .iter()
        .map(|rule| {
            Ok(match rule.padding {
                None => E::Any,
                Some(wire::RsaEncryptionPaddingPolicy::Pkcs1V15 {}) => E::Pkcs1v15,
                Some(wire::RsaEncryptionPaddingPolicy::Oaep { mgf }) => {
                    E::Oaep(mgf_hash(mgf, "rsa.encryption_policy")?)
                }
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    let signature = options
        .signature_policy
        .iter()
        .map(|rule| {
            Ok(match rule.padding {
                None => S::Any,
                Some(wire::RsaSignaturePaddingPolicy::Pkcs1V15 {}) => S::Pkcs1v15,
                Some(wire::RsaSignaturePaddingPolicy::Pss { mgf }) => {
                    S::Pss(mgf_hash(mgf, "rsa.signature_policy")?)
                }
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    Ok(coffer_core::RsaPolicy {
        encryption,
        signature,
    })
}

fn mgf_hash(
    mgf: Option<wire::MgfPolicy>,
    field: &str,
) -> Result<Option<coffer_core::PolicyHash>, ServiceError> {
    let Some(wire::MgfPolicy::Mgf1 { hash: Some(hash) }) = mgf else {
        return Ok(None);
    };
    policy_hash(hash).map(Some).ok_or_else(|| {
        ServiceError::invalid(format!("{field}: MGF1 with {hash:?} is not supported"))
    })
}

/// The policy form of a digest, for the four MGF1 can use.
pub fn policy_hash(alg: wire::DigestAlgorithm) -> Option<coffer_core::PolicyHash> {
    use coffer_core::PolicyHash as H;
    match alg {
        wire::DigestAlgorithm::Sha1 => Some(H::Sha1),
        wire::DigestAlgorithm::Sha256 => Some(H::Sha256),
        wire::DigestAlgorithm::Sha384 => Some(H::Sha384),
        wire::DigestAlgorithm::Sha512 => Some(H::Sha512),
        _ => None,
    }
}

/// The policy form of a crypto digest, for the four MGF1 can use.
pub fn policy_hash_of(alg: coffer_crypto::DigestAlgorithm) -> Option<coffer_core::PolicyHash> {
    use coffer_core::PolicyHash as H;
    use coffer_crypto::DigestAlgorithm as D;
    match alg {
        D::Sha1 => Some(H::Sha1),
        D::Sha256 => Some(H::Sha256),
        D::Sha384 => Some(H::Sha384),
        D::Sha512 => Some(H::Sha512),
        _ => None,
    }
}

/// The wire `rsa` options of an RSA key: its size and the policy it is held to (a key with no
/// stored policy allows any padding, shown as one unconstrained rule in each list).
fn wire_rsa_options(key: &Sobject) -> wire::RsaOptions {
    use coffer_core::{PolicyHash as H, RsaEncryptionRule as E, RsaSignatureRule as S};
    let hash = |hash: Option<H>| {
        hash.map(|hash| wire::MgfPolicy::Mgf1 {
            hash: Some(match hash {
                H::Sha1 => wire::DigestAlgorithm::Sha1,
                H::Sha256 => wire::DigestAlgorithm::Sha256,
                H::Sha384 => wire::DigestAlgorithm::Sha384,
                H::Sha512 => wire::DigestAlgorithm::Sha512,
            }),
        })
    };
    let (encryption, signature) = match &key.rsa_policy {
        Some(policy) => (policy.encryption.clone(), policy.signature.clone()),
        None => (vec![E::Any], vec![S::Any]),
    };
    wire::RsaOptions {
        key_size: key.key_size,
        public_exponent: Some(coffer_crypto::RSA_PUBLIC_EXPONENT),
        encryption_policy: encryption
            .into_iter()
            .map(|rule| wire::RsaEncryptionPolicy {
                padding: match rule {
                    E::Any => None,
                    E::Pkcs1v15 => Some(wire::RsaEncryptionPaddingPolicy::Pkcs1V15 {}),
                    E::Oaep(required) => Some(wire::RsaEncryptionPaddingPolicy::Oaep {
                        mgf: hash(required),
                    }),
                },
            })
            .collect(),
        signature_policy: signature
            .into_iter()
            .map(|rule| wire::RsaSignaturePolicy {
                padding: match rule {
                    S::Any => None,
                    S::Pkcs1v15 => Some(wire::RsaSignaturePaddingPolicy::Pkcs1V15 {}),
                    S::Pss(required) => Some(wire::RsaSignaturePaddingPolicy::Pss {
                        mgf: hash(required),
                    }),
                },
            })
            .collect(),
    }
}

/// Formats a time for the wire.
pub fn time(t: UnixTime) -> wire::CompactTime {
    wire::CompactTime::saturating_from_unix_seconds(t.0)
}

/// A creator as a wire principal.
pub fn principal(creator: Creator) -> wire::Principal {
    match creator {
        Creator::User(user) => wire::Principal::User(user.uuid()),
        Creator::App(app) => wire::Principal::App(app.uuid()),
    }
}

/// A security object as the clients see it; `value` only for export (and for the types whose
/// value is always shown: opaque objects and certificates).
pub fn sobject(key: &Sobject, value: Option<Vec<u8>>) -> wire::Sobject {
    let links = (key.replacement.is_some() || key.replaced.is_some()).then(|| wire::KeyLinks {
        replacement: key.replacement.map(|k| k.uuid()),
        replaced: key.replaced.map(|k| k.uuid()),
    });
    let revocation = key.revocation.as_ref();
    wire::Sobject {
        kid: Some(key.id.uuid()),
        name: key.name.clone(),
        description: key.description.clone(),
        acct_id: key.account.uuid(),
        group_id: Some(key.group.uuid()),
        creator: principal(key.creator),
        obj_type: wire_object_type(key.obj_type),
        key_size: key.key_size,
        elliptic_curve: key.curve.map(wire_curve),
        key_ops: key.key_ops.iter().copied().map(wire_key_op).collect(),
        enabled: key.enabled,
        state: Some(match key.state_at(crate::now()) {
            KeyState::PreActive => wire::SobjectState::PreActive,
            KeyState::Active => wire::SobjectState::Active,
            KeyState::Deactivated => wire::SobjectState::Deactivated,
            KeyState::Compromised => wire::SobjectState::Compromised,
        }),
        origin: match key.origin {
            KeyOrigin::Generated => wire::ObjectOrigin::FortanixHsm,
            KeyOrigin::External => wire::ObjectOrigin::External,
        },
        created_at: time(key.created_at),
        lastused_at: wire::CompactTime::saturating_from_unix_seconds(0),
        activation_date: key.activation_date.map(time),
        deactivation_date: key.deactivation_date.map(time),
        compromise_date: revocation.and_then(|r| r.compromise_date).map(time),
        revocation_reason: None,
        never_exportable: Some(key.never_exportable),
        public_only: key.public_only(),
        compliant_with_policies: Some(true),
        deterministic_signatures: None,
        custom_metadata: (!key.custom_metadata.is_empty()).then(|| key.custom_metadata.clone()),
        rsa: (key.obj_type == ObjectType::Rsa).then(|| wire_rsa_options(key)),
        pub_key: key.public_key.clone().map(wire::Blob),
        value: value.map(wire::Blob),
        transient_key: None,
        links,
        kcv: None,
    }
}
