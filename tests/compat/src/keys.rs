//! Request builders for the security objects and crypto calls the tests make.

use anyhow::Context;
use sdkms::api_model::{
    Algorithm, Blob, CipherMode, CryptMode, DecryptRequest, EllipticCurve, EncryptRequest,
    EncryptResponse, KeyOperations, ObjectType, Sobject, SobjectDescriptor, SobjectRequest,
};
use uuid::Uuid;

/// `POST /crypto/v1/keys` body for a key of `obj_type` and `key_size` bits, default ops.
pub fn generate(name: &str, obj_type: ObjectType, key_size: u32) -> SobjectRequest {
    SobjectRequest {
        name: Some(name.to_owned()),
        obj_type: Some(obj_type),
        key_size: Some(key_size),
        ..Default::default()
    }
}

/// `POST /crypto/v1/keys` body for an EC key on `curve`, default ops.
pub fn generate_ec(name: &str, curve: EllipticCurve) -> SobjectRequest {
    SobjectRequest {
        name: Some(name.to_owned()),
        obj_type: Some(ObjectType::Ec),
        elliptic_curve: Some(curve),
        ..Default::default()
    }
}

/// `PUT /crypto/v1/keys` body importing `value` as `obj_type`, default ops.
pub fn import(name: &str, obj_type: ObjectType, value: &[u8]) -> SobjectRequest {
    SobjectRequest {
        name: Some(name.to_owned()),
        obj_type: Some(obj_type),
        value: Some(Blob::from(value.to_vec())),
        ..Default::default()
    }
}

/// The same request with explicit `key_ops`.
pub fn with_ops(request: SobjectRequest, key_ops: KeyOperations) -> SobjectRequest {
    SobjectRequest {
        key_ops: Some(key_ops),
        ..request
    }
}

/// The ops dsm-api.md §5.2 lists as defaults (the CLI asks for exactly these).
pub fn default_ops(obj_type: ObjectType) -> KeyOperations {
    match obj_type {
        ObjectType::Aes | ObjectType::Des | ObjectType::Des3 => {
            KeyOperations::ENCRYPT
                | KeyOperations::DECRYPT
                | KeyOperations::WRAPKEY
                | KeyOperations::UNWRAPKEY
                | KeyOperations::DERIVEKEY
                | KeyOperations::APPMANAGEABLE
        }
        ObjectType::Rsa => {
            KeyOperations::SIGN
                | KeyOperations::VERIFY
                | KeyOperations::ENCRYPT
                | KeyOperations::DECRYPT
                | KeyOperations::WRAPKEY
                | KeyOperations::UNWRAPKEY
                | KeyOperations::APPMANAGEABLE
        }
        ObjectType::Ec => {
            KeyOperations::SIGN | KeyOperations::VERIFY | KeyOperations::APPMANAGEABLE
        }
        ObjectType::Hmac => {
            KeyOperations::MACGENERATE | KeyOperations::MACVERIFY | KeyOperations::APPMANAGEABLE
        }
        _ => KeyOperations::APPMANAGEABLE,
    }
}

/// The `kid` of an object, which every persisted object must carry.
pub fn kid(sobject: &Sobject) -> anyhow::Result<Uuid> {
    sobject
        .kid
        .with_context(|| format!("object without kid: {sobject:?}"))
}

/// Descriptor naming an object by kid.
pub fn by_kid(kid: Uuid) -> SobjectDescriptor {
    SobjectDescriptor::Kid(kid)
}

/// Descriptor naming an object by name.
pub fn by_name(name: &str) -> SobjectDescriptor {
    SobjectDescriptor::Name(name.to_owned())
}

/// Descriptor-form AES encryption of `plain` with `mode`; the server picks the IV.
pub fn aes_encrypt(kid: Uuid, mode: CipherMode, plain: &[u8]) -> EncryptRequest {
    EncryptRequest {
        key: Some(by_kid(kid)),
        alg: Algorithm::Aes,
        plain: Blob::from(plain.to_vec()),
        mode: Some(CryptMode::Symmetric(mode)),
        iv: None,
        ad: None,
        tag_len: if mode == CipherMode::Gcm {
            Some(128)
        } else {
            None
        },
    }
}

/// The descriptor-form decryption undoing `encrypted`.
pub fn aes_decrypt(kid: Uuid, mode: CipherMode, encrypted: &EncryptResponse) -> DecryptRequest {
    DecryptRequest {
        key: Some(by_kid(kid)),
        alg: Some(Algorithm::Aes),
        cipher: encrypted.cipher.clone(),
        mode: Some(CryptMode::Symmetric(mode)),
        iv: encrypted.iv.clone(),
        ad: None,
        tag: encrypted.tag.clone(),
    }
}
