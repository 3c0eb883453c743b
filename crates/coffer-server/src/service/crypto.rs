//! Cryptographic operations with stored keys.

use super::{convert, sobjects};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::node::Node;
use coffer_api as wire;
use coffer_core::{KeyAccess, KeyId, KeyOperation, ObjectType, Sobject};
use coffer_crypto::{CryptoError, KeyHandle, SignInput, SignatureScheme};
use std::sync::Arc;

/// A key the caller may use for one operation, ready to use.
pub(crate) struct UsableKey {
    /// Its record.
    pub(crate) record: Sobject,
    /// The parsed key.
    pub(crate) handle: Arc<KeyHandle>,
}

/// Where a request names its key: the path (`/keys/{kid}/op`) or the body's `key` descriptor.
pub(crate) fn locate(
    path_kid: Option<KeyId>,
    descriptor: Option<wire::SobjectDescriptor>,
) -> ApiResult<wire::SobjectDescriptor> {
    match (path_kid, descriptor) {
        (Some(kid), _) => Ok(wire::SobjectDescriptor::Kid(kid.uuid())),
        (None, Some(descriptor)) => Ok(descriptor),
        (None, None) => Err(ApiError::bad_request(
            "key is required: give {\"kid\": …} or {\"name\": …}",
        )),
    }
}

/// Finds the key, checks that the calling app may perform `op` with it, and parses it.
pub(crate) fn usable(
    node: &Node,
    caller: &Caller,
    key: &wire::SobjectDescriptor,
    op: KeyOperation,
) -> ApiResult<UsableKey> {
    let app = caller.app()?;
    let record = {
        let state = node.cluster.state();
        let state = state.read();
        let record = sobjects::resolve(&state, caller, key)?;
        let app = state
            .app(app)
            .ok_or(ApiError::Unauthorized("invalid credentials"))?;
        app.check(&record, op)?;
        record
    };
    let handle = handle(node, &record)?;
    Ok(UsableKey { record, handle })
}

/// The parsed key for a record, from the cache or unsealed now.
pub(crate) fn handle(node: &Node, record: &Sobject) -> ApiResult<Arc<KeyHandle>> {
    let key_type = sobjects::crypto_type(record.obj_type).ok_or_else(|| {
        ApiError::bad_request(format!(
            "{:?} objects cannot be used for cryptography",
            record.obj_type
        ))
    })?;
    node.keys
        .get_or_load(record.id, || match (&record.material, &record.public_key) {
            (Some(sealed), _) => {
                let material = node.unseal(record.id.uuid(), sealed)?;
                KeyHandle::new(key_type, material.expose())
                    .map_err(|e| ApiError::Internal(e.into()))
            }
            (None, Some(spki)) => {
                KeyHandle::public_only(key_type, spki).map_err(|e| ApiError::Internal(e.into()))
            }
            (None, None) => Err(ApiError::bad_request("the object holds no key")),
        })
}

/// Encrypts with an AES or RSA key.
pub(crate) fn encrypt(
    key: &UsableKey,
    request: &wire::EncryptRequest,
) -> ApiResult<wire::EncryptResponse> {
    check_alg(key, request.alg)?;
    let plain = request.plain.as_bytes();
    let response = match (key.record.obj_type, request.mode) {
        (ObjectType::Rsa, mode) => {
            let padding = rsa_mode(mode)?;
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
pub(crate) fn decrypt(
    key: &UsableKey,
    request: &wire::DecryptRequest,
) -> ApiResult<wire::DecryptResponse> {
    if let Some(alg) = request.alg {
        check_alg(key, alg)?;
    }
    let cipher = request.cipher.as_bytes();
    let plain = match key.record.obj_type {
        ObjectType::Rsa => key
            .handle
            .rsa_decrypt(rsa_mode(request.mode)?, cipher)
            .map_err(decrypt_error)?,
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
pub(crate) fn sign(key: &UsableKey, request: &wire::SignRequest) -> ApiResult<wire::SignResponse> {
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
pub(crate) fn verify(
    key: &UsableKey,
    request: &wire::VerifyRequest,
) -> ApiResult<wire::VerifyResponse> {
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
pub(crate) fn mac(key: &UsableKey, request: &wire::MacRequest) -> ApiResult<wire::MacResponse> {
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
pub(crate) fn mac_verify(
    key: &UsableKey,
    request: &wire::MacVerifyRequest,
) -> ApiResult<wire::VerifyResponse> {
    let alg = convert::digest(request.alg.unwrap_or(wire::DigestAlgorithm::Sha256))?;
    let expected = request
        .mac
        .as_ref()
        .or(request.digest.as_ref())
        .ok_or_else(|| ApiError::bad_request("mac is required"))?;
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
pub(crate) fn digest(request: &wire::DigestRequest) -> ApiResult<wire::DigestResponse> {
    let alg = convert::digest(request.alg)?;
    Ok(wire::DigestResponse {
        digest: wire::Blob(coffer_crypto::digest(alg, request.data.as_bytes())),
    })
}

/// Encrypts `subject`'s exported value under the wrapping key.
pub(crate) fn wrap(
    wrapping: &UsableKey,
    subject_value: &[u8],
    request: &wire::WrapKeyRequest,
) -> ApiResult<wire::WrapKeyResponse> {
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

/// Decrypts a wrapped key's value under the unwrapping key.
pub(crate) fn unwrap(
    unwrapping: &UsableKey,
    request: &wire::UnwrapKeyRequest,
) -> ApiResult<Vec<u8>> {
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
    Ok(decrypt(unwrapping, &inner)?.plain.0)
}

fn check_alg(key: &UsableKey, alg: wire::ObjectType) -> ApiResult<()> {
    if convert::object_type(alg) != key.record.obj_type {
        return Err(ApiError::bad_request(format!(
            "alg {alg:?} does not match the key's type {:?}",
            key.record.obj_type
        )));
    }
    if !matches!(key.record.obj_type, ObjectType::Aes | ObjectType::Rsa) {
        return Err(ApiError::bad_request(format!(
            "{:?} keys cannot encrypt",
            key.record.obj_type
        )));
    }
    Ok(())
}

fn symmetric_mode(mode: Option<wire::EncryptionMode>) -> ApiResult<coffer_crypto::CipherMode> {
    match mode {
        Some(wire::EncryptionMode::Symmetric(mode)) => convert::cipher_mode(mode),
        Some(wire::EncryptionMode::Rsa(_)) => Err(ApiError::bad_request(
            "an RSA padding mode was given for a symmetric key",
        )),
        None => Err(ApiError::bad_request("mode is required for symmetric keys")),
    }
}

/// RSA encryption defaults to OAEP with SHA-1, the DSM default.
fn rsa_mode(mode: Option<wire::EncryptionMode>) -> ApiResult<coffer_crypto::RsaEncryptionPadding> {
    match mode {
        Some(wire::EncryptionMode::Rsa(padding)) => convert::rsa_padding(padding),
        Some(wire::EncryptionMode::Symmetric(mode)) => Err(ApiError::bad_request(format!(
            "cipher mode {mode:?} does not apply to RSA keys"
        ))),
        None => Ok(coffer_crypto::RsaEncryptionPadding::Oaep(
            coffer_crypto::DigestAlgorithm::Sha1,
        )),
    }
}

fn signature_scheme(
    key: &UsableKey,
    mode: Option<wire::RsaSignaturePadding>,
) -> ApiResult<SignatureScheme> {
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
        (other, _) => Err(ApiError::bad_request(format!("{other:?} keys cannot sign"))),
    }
}

fn sign_input<'a>(
    hash: &'a Option<wire::Blob>,
    data: &'a Option<wire::Blob>,
) -> ApiResult<SignInput<'a>> {
    match (hash, data) {
        (Some(hash), None) => Ok(SignInput::Digest(hash.as_bytes())),
        (None, Some(data)) => Ok(SignInput::Data(data.as_bytes())),
        _ => Err(ApiError::bad_request("give exactly one of hash and data")),
    }
}

fn bytes(blob: &Option<wire::Blob>) -> Option<&[u8]> {
    blob.as_ref().map(wire::Blob::as_bytes)
}

/// A refused input (bad IV length, wrong digest length …): its message names the problem.
fn input_error(error: CryptoError) -> ApiError {
    ApiError::bad_request(error.to_string())
}

/// Decryption failures say nothing about why, so they leak nothing.
fn decrypt_error(error: CryptoError) -> ApiError {
    match error {
        CryptoError::DecryptFailed => {
            ApiError::bad_request("decryption failed: wrong key, tag, IV or associated data")
        }
        other => input_error(other),
    }
}
