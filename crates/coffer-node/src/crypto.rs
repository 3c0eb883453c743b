//! Cryptographic operations with stored keys.

use super::{convert, sobjects};
use crate::Node;
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::vault::Purpose;
use coffer_api as wire;
use coffer_core::{KeyAccess, KeyId, KeyOperation, ObjectType, Sobject};
use coffer_crypto::{CryptoError, KeyHandle, SignInput, SignatureScheme};
use std::sync::Arc;

/// A key the caller may use for one operation, ready to use.
pub struct UsableKey {
    /// Its record.
    pub record: Sobject,
    /// The parsed key.
    pub handle: Arc<KeyHandle>,
}

/// Where a request names its key: the path (`/keys/{kid}/op`) or the body's `key` descriptor.
pub fn locate(
    path_kid: Option<KeyId>,
    descriptor: Option<wire::SobjectDescriptor>,
) -> ServiceResult<wire::SobjectDescriptor> {
    match (path_kid, descriptor) {
        (Some(kid), _) => Ok(wire::SobjectDescriptor::Kid(kid.uuid())),
        (None, Some(descriptor)) => Ok(descriptor),
        (None, None) => Err(ServiceError::invalid(
            "key is required: give {\"kid\": …} or {\"name\": …}",
        )),
    }
}

/// Finds the key, checks that the calling app may perform `op` with it, and parses it.
pub fn usable(
    node: &Node,
    caller: &Caller,
    key: &wire::SobjectDescriptor,
    op: KeyOperation,
) -> ServiceResult<UsableKey> {
    let app = caller.app()?;
    let record = {
        let state = node.cluster.state();
        let state = state.read();
        let record = sobjects::resolve(&state, caller, key)?;
        let app = state
            .app(app)
            .ok_or(ServiceError::Unauthenticated("invalid credentials"))?;
        app.check(&record, op, crate::now())?;
        record
    };
    let handle = handle(node, &record)?;
    // Counted once the key is found, permitted and parsed: the operation is about to run.
    metrics::counter!(
        "coffer_crypto_operations_total",
        "operation" => format!("{op:?}"),
        "key_type" => format!("{:?}", record.obj_type)
    )
    .increment(1);
    Ok(UsableKey { record, handle })
}

/// The parsed key for a record, from the cache or unsealed now.
pub fn handle(node: &Node, record: &Sobject) -> ServiceResult<Arc<KeyHandle>> {
    let key_type = sobjects::crypto_type(record.obj_type).ok_or_else(|| {
        ServiceError::invalid(format!(
            "{:?} objects cannot be used for cryptography",
            record.obj_type
        ))
    })?;
    node.keys
        .get_or_load(record.id, record.material.is_some(), || {
            match (&record.material, &record.public_key) {
                (Some(sealed), _) => {
                    let material = node.unseal(Purpose::Record(record.id.uuid()), sealed)?;
                    KeyHandle::new(key_type, material.expose())
                        .map_err(|e| ServiceError::Internal(e.into()))
                }
                (None, Some(spki)) => KeyHandle::public_only(key_type, spki)
                    .map_err(|e| ServiceError::Internal(e.into())),
                (None, None) => Err(ServiceError::invalid("the object holds no key")),
            }
        })
}

/// Encrypts with an AES or RSA key.
pub fn encrypt(
    key: &UsableKey,
    request: &wire::EncryptRequest,
) -> ServiceResult<wire::EncryptResponse> {
    check_alg(key, request.alg)?;
    let plain = request.plain.as_bytes();
    let response = match (key.record.obj_type, request.mode) {
        (ObjectType::Rsa, mode) => {
            let padding = rsa_mode(mode)?;
            check_rsa_encryption(key, padding)?;
            let cipher = key
                .handle
                .rsa_encrypt(padding, plain)
                .map_err(input_error)?;
            wire::EncryptResponse {
                kid: Some(key.record.id.uuid()),
                cipher: wire::Blob(cipher),
                iv: None,
                tag: None,
            }
        }
        (_, mode) => {
            let mode = symmetric_mode(mode)?;
            let out = key
                .handle
                .encrypt(
                    mode,
                    bytes(&request.iv),
                    bytes(&request.ad),
                    plain,
                    request.tag_len,
                )
                .map_err(input_error)?;
            wire::EncryptResponse {
                kid: Some(key.record.id.uuid()),
                cipher: wire::Blob(out.cipher),
                iv: out.iv.map(wire::Blob),
                tag: out.tag.map(wire::Blob),
            }
        }
    };
    Ok(response)
}

/// Decrypts with an AES or RSA key. A wrong tag or key is a 400, never garbage.
pub fn decrypt(
    key: &UsableKey,
    request: &wire::DecryptRequest,
) -> ServiceResult<wire::DecryptResponse> {
    if let Some(alg) = request.alg {
        check_alg(key, alg)?;
    }
    let cipher = request.cipher.as_bytes();
    let plain = match key.record.obj_type {
        ObjectType::Rsa => {
            let padding = rsa_mode(request.mode)?;
            check_rsa_encryption(key, padding)?;
            key.handle
                .rsa_decrypt(padding, cipher)
                .map_err(decrypt_error)?
        }
        _ => key
            .handle
            .decrypt(
                symmetric_mode(request.mode)?,
                bytes(&request.iv),
                bytes(&request.ad),
                cipher,
                bytes(&request.tag),
            )
            .map_err(decrypt_error)?,
    };
    Ok(wire::DecryptResponse {
        kid: Some(key.record.id.uuid()),
        plain: wire::Blob(plain.expose().to_vec()),
    })
}

/// Signs a digest or data with an RSA or EC key.
pub fn sign(key: &UsableKey, request: &wire::SignRequest) -> ServiceResult<wire::SignResponse> {
    let hash = convert::digest(request.hash_alg)?;
    let scheme = signature_scheme(key, request.mode)?;
    let signature = key
        .handle
        .sign(scheme, sign_input(&request.hash, &request.data)?, hash)
        .map_err(input_error)?;
    Ok(wire::SignResponse {
        kid: Some(key.record.id.uuid()),
        signature: wire::Blob(signature),
    })
}

/// Verifies a signature; a bad signature is `result: false`, not an error.
pub fn verify(
    key: &UsableKey,
    request: &wire::VerifyRequest,
) -> ServiceResult<wire::VerifyResponse> {
    let hash = convert::digest(request.hash_alg)?;
    let scheme = signature_scheme(key, request.mode)?;
    let input = sign_input(&request.hash, &request.data)?;
    let result = key
        .handle
        .verify(scheme, input, hash, request.signature.as_bytes())
        .map_err(input_error)?;
    Ok(wire::VerifyResponse {
        kid: Some(key.record.id.uuid()),
        result,
    })
}

/// Computes an HMAC; the response carries it as both `mac` and `digest`.
pub fn mac(key: &UsableKey, request: &wire::MacRequest) -> ServiceResult<wire::MacResponse> {
    let alg = convert::digest(request.alg.unwrap_or(wire::DigestAlgorithm::Sha256))?;
    let mac = key
        .handle
        .mac(alg, request.data.as_bytes())
        .map_err(input_error)?;
    Ok(wire::MacResponse {
        kid: Some(key.record.id.uuid()),
        mac: wire::Blob(mac.clone()),
        digest: Some(wire::Blob(mac)),
    })
}

/// Checks an HMAC given in `mac` or the older `digest` field.
pub fn mac_verify(
    key: &UsableKey,
    request: &wire::MacVerifyRequest,
) -> ServiceResult<wire::VerifyResponse> {
    let alg = convert::digest(request.alg.unwrap_or(wire::DigestAlgorithm::Sha256))?;
    let expected = request
        .mac
        .as_ref()
        .or(request.digest.as_ref())
        .ok_or_else(|| ServiceError::invalid("mac is required"))?;
    let result = key
        .handle
        .mac_verify(alg, request.data.as_bytes(), expected.as_bytes())
        .map_err(input_error)?;
    Ok(wire::VerifyResponse {
        kid: Some(key.record.id.uuid()),
        result,
    })
}

/// Hashes data; no key involved.
pub fn digest(request: &wire::DigestRequest) -> ServiceResult<wire::DigestResponse> {
    let alg = convert::digest(request.alg)?;
    Ok(wire::DigestResponse {
        digest: wire::Blob(coffer_crypto::digest(alg, request.data.as_bytes())),
    })
}

/// Encrypts `subject`'s exported value under the wrapping key.
pub fn wrap(
    wrapping: &UsableKey,
    subject_value: &[u8],
    request: &wire::WrapKeyRequest,
) -> ServiceResult<wire::WrapKeyResponse> {
    let inner = wire::EncryptRequest {
        key: None,
        alg: request.alg,
        plain: wire::Blob(subject_value.to_vec()),
        mode: request.mode,
        iv: request.iv.clone(),
        ad: request.ad.clone(),
        tag_len: request.tag_len,
    };
    let out = encrypt(wrapping, &inner)?;
    Ok(wire::WrapKeyResponse {
        wrapped_key: out.cipher,
        iv: out.iv,
        tag: out.tag,
    })
}

/// Decrypts a wrapped key's value under the unwrapping key (a blob: wiped when dropped).
pub fn unwrap(
    unwrapping: &UsableKey,
    request: &wire::UnwrapKeyRequest,
) -> ServiceResult<wire::Blob> {
    let inner = wire::DecryptRequest {
        key: None,
        alg: Some(request.alg),
        cipher: request.wrapped_key.clone(),
        mode: request.mode,
        iv: request.iv.clone(),
        ad: request.ad.clone(),
        tag: request.tag.clone(),
        masked: None,
    };
    let mut decrypted = decrypt(unwrapping, &inner)?;
    Ok(std::mem::take(&mut decrypted.plain))
}

fn check_alg(key: &UsableKey, alg: wire::ObjectType) -> ServiceResult<()> {
    if convert::object_type(alg) != key.record.obj_type {
        return Err(ServiceError::invalid(format!(
            "alg {alg:?} does not match the key's type {:?}",
            key.record.obj_type
        )));
    }
    if !matches!(key.record.obj_type, ObjectType::Aes | ObjectType::Rsa) {
        return Err(ServiceError::invalid(format!(
            "{:?} keys cannot encrypt",
            key.record.obj_type
        )));
    }
    Ok(())
}

fn symmetric_mode(mode: Option<wire::EncryptionMode>) -> ServiceResult<coffer_crypto::CipherMode> {
    match mode {
        Some(wire::EncryptionMode::Symmetric(mode)) => convert::cipher_mode(mode),
        Some(wire::EncryptionMode::Rsa(_)) => Err(ServiceError::invalid(
            "an RSA padding mode was given for a symmetric key",
        )),
        None => Err(ServiceError::invalid("mode is required for symmetric keys")),
    }
}

/// RSA encryption defaults to OAEP with SHA-1, the DSM default.
fn rsa_mode(
    mode: Option<wire::EncryptionMode>,
) -> ServiceResult<coffer_crypto::RsaEncryptionPadding> {
    match mode {
        Some(wire::EncryptionMode::Rsa(padding)) => convert::rsa_padding(padding),
        Some(wire::EncryptionMode::Symmetric(mode)) => Err(ServiceError::invalid(format!(
            "cipher mode {mode:?} does not apply to RSA keys"
        ))),
        None => Ok(coffer_crypto::RsaEncryptionPadding::Oaep(
            coffer_crypto::DigestAlgorithm::Sha1,
        )),
    }
}

/// Refuses a padding the key's RSA policy does not allow.
fn check_rsa_encryption(
    key: &UsableKey,
    padding: coffer_crypto::RsaEncryptionPadding,
) -> ServiceResult<()> {
    let Some(policy) = &key.record.rsa_policy else {
        return Ok(());
    };
    let oaep = match padding {
        coffer_crypto::RsaEncryptionPadding::Pkcs1v15 => None,
        coffer_crypto::RsaEncryptionPadding::Oaep(hash) => convert::policy_hash_of(hash),
    };
    let is_oaep = matches!(padding, coffer_crypto::RsaEncryptionPadding::Oaep(_));
    if (is_oaep && oaep.is_none()) || !policy.allows_encryption(oaep) {
        return Err(ServiceError::invalid(format!(
            "the key's rsa.encryption_policy does not allow {padding:?}"
        )));
    }
    Ok(())
}

/// Refuses a signature scheme the key's RSA policy does not allow.
fn check_rsa_signature(key: &UsableKey, scheme: &SignatureScheme) -> ServiceResult<()> {
    let Some(policy) = &key.record.rsa_policy else {
        return Ok(());
    };
    let pss = match scheme {
        SignatureScheme::RsaPss { mgf_hash } => Some(mgf_hash.and_then(convert::policy_hash_of)),
        _ => None,
    };
    if !policy.allows_signature(pss) {
        return Err(ServiceError::invalid(format!(
            "the key's rsa.signature_policy does not allow {scheme:?}"
        )));
    }
    Ok(())
}

fn signature_scheme(
    key: &UsableKey,
    mode: Option<wire::RsaSignaturePadding>,
) -> ServiceResult<SignatureScheme> {
    let scheme = rsa_or_ec_scheme(key, mode)?;
    if key.record.obj_type == ObjectType::Rsa {
        check_rsa_signature(key, &scheme)?;
    }
    Ok(scheme)
}

fn rsa_or_ec_scheme(
    key: &UsableKey,
    mode: Option<wire::RsaSignaturePadding>,
) -> ServiceResult<SignatureScheme> {
    match (key.record.obj_type, mode) {
        (ObjectType::Rsa, None | Some(wire::RsaSignaturePadding::Pkcs1V15)) => {
            Ok(SignatureScheme::RsaPkcs1v15)
        }
        (
            ObjectType::Rsa,
            Some(wire::RsaSignaturePadding::Pss {
                mgf: wire::Mgf::Mgf1 { hash },
            }),
        ) => Ok(SignatureScheme::RsaPss {
            mgf_hash: Some(convert::digest(hash)?),
        }),
        (ObjectType::Ec, _) => Ok(SignatureScheme::Ecdsa),
        (other, _) => Err(ServiceError::invalid(format!("{other:?} keys cannot sign"))),
    }
}

fn sign_input<'a>(
    hash: &'a Option<wire::Blob>,
    data: &'a Option<wire::Blob>,
) -> ServiceResult<SignInput<'a>> {
    match (hash, data) {
        (Some(hash), None) => Ok(SignInput::Digest(hash.as_bytes())),
        (None, Some(data)) => Ok(SignInput::Data(data.as_bytes())),
        _ => Err(ServiceError::invalid("give exactly one of hash and data")),
    }
}

fn bytes(blob: &Option<wire::Blob>) -> Option<&[u8]> {
    blob.as_ref().map(wire::Blob::as_bytes)
}

/// A refused input (bad IV length, wrong digest length …): its message names the problem.
fn input_error(error: CryptoError) -> ServiceError {
    ServiceError::invalid(error.to_string())
}

/// Decryption failures say nothing about why, so they leak nothing.
fn decrypt_error(error: CryptoError) -> ServiceError {
    match error {
        CryptoError::DecryptFailed => {
            ServiceError::invalid("decryption failed: wrong key, tag, IV or associated data")
        }
        other => input_error(other),
    }
}
