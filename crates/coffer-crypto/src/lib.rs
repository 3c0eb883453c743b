//! Cryptography for Coffer, on aws-lc-rs.
//!
//! This crate is the only part of Coffer that touches a cryptographic library. It is
//! synchronous, does no I/O and knows nothing of accounts or security objects: it turns bytes
//! into keys, and keys plus bytes into other bytes.
//!
//! ```
//! use coffer_crypto::{
//!     CipherMode, Curve, DigestAlgorithm, KeyHandle, KeySpec, KeyType, SealingKey, SignInput,
//!     SignatureScheme, generate,
//! };
//!
//! # fn main() -> Result<(), coffer_crypto::CryptoError> {
//! // Generate a key; `material` is its canonical (and export) encoding.
//! let key = generate(KeySpec::Aes { bits: 256 })?;
//!
//! // Seal it at rest under the master key, bound to its id.
//! let master = SealingKey::generate()?;
//! let blob = master.seal(b"kid-42", key.material.expose())?;
//!
//! // Later: unseal, parse once, use many times.
//! let handle = KeyHandle::new(KeyType::Aes, master.unseal(b"kid-42", &blob)?.expose())?;
//! let out = handle.encrypt(CipherMode::Gcm, None, Some(b"header"), b"hello", None)?;
//! let plain = handle.decrypt(
//!     CipherMode::Gcm,
//!     out.iv.as_deref(),
//!     Some(b"header"),
//!     &out.cipher,
//!     out.tag.as_deref(),
//! )?;
//! assert_eq!(plain.expose(), b"hello");
//!
//! // Sign a pre-computed digest with an EC key; verify with the public half only.
//! let ec = generate(KeySpec::Ec(Curve::P256))?;
//! let signer = KeyHandle::new(KeyType::Ec, ec.material.expose())?;
//! let digest = DigestAlgorithm::Sha256.digest(b"message");
//! let sha256 = DigestAlgorithm::Sha256;
//! let sig = signer.sign(SignatureScheme::Ecdsa, SignInput::Digest(&digest), sha256)?;
//! let spki = ec.public_key.as_deref().unwrap_or_default();
//! let verifier = KeyHandle::public_only(KeyType::Ec, spki)?;
//! assert!(verifier.verify(SignatureScheme::Ecdsa, SignInput::Data(b"message"), sha256, &sig)?);
//! # Ok(())
//! # }
//! ```
//!
//! # Public API
//!
//! Every fallible function returns [`Result<T>`](Result) with the single error [`CryptoError`];
//! the signatures below leave that wrapper out.
//! Secret bytes travel as [`Secret`] (zeroized on drop, redacted `Debug`, constant-time `==`,
//! read with [`Secret::expose`]).
//!
//! **Randomness** — [`random::fill`]`(&mut [u8])`, [`random::random_vec`]`(len) -> Vec<u8>`,
//! [`random::random_array`]`::<N>() -> [u8; N]`, [`random::random_secret`]`(len) -> Secret`.
//!
//! **Sealing at rest** — [`SealingKey`] (AES-256-GCM): `generate()`, `from_bytes(&[u8])`,
//! `to_secret() -> Secret`, `seal(aad, plaintext) -> Vec<u8>` producing
//! `nonce(12) || ciphertext || tag(16)` with a random nonce, `unseal(aad, blob) -> Secret`.
//! [`hkdf_sha256`]`(ikm, salt, info, len) -> Secret` derives subkeys.
//!
//! **Hashes and MACs** — [`DigestAlgorithm`] (`Sha1`, `Sha224`, `Sha256`, `Sha384`, `Sha512`,
//! `Sha3_256`, `Sha3_384`, `Sha3_512`) with `output_len()` and `digest(data)`;
//! [`digest`]`(alg, data) -> Vec<u8>`; [`hmac`]`(alg, key, data) -> Vec<u8>` and
//! [`hmac_verify`]`(alg, key, data, mac) -> bool` (full-length tags only, constant time; no
//! HMAC over SHA-3); [`constant_time_eq`]`(a, b) -> bool`.
//!
//! **Key generation and import** — [`KeyType`] (`Aes`, `Hmac`, `Secret`, `Rsa`, `Ec`),
//! [`KeySpec`] (`Aes { bits }`, `Hmac { bits }`, `Secret { bytes }`,
//! `Rsa { bits, public_exponent }`, `Ec(Curve)`), [`Curve`] (`P256`, `P384`, `P521`).
//! [`generate`]`(spec) -> GeneratedKey { material, public_key, key_size_bits, curve }` and
//! [`import`]`(key_type, value) -> ImportedKey { material: Option<Secret>, public_key,
//! key_size_bits, curve }` (`material` is `None` for a public-only import).
//!
//! The canonical stored encoding of `material`, which is also **the export format**, is:
//!
//! | type | encoding |
//! |------|----------|
//! | AES, HMAC, secret | the raw key bytes |
//! | RSA | PKCS#1 `RSAPrivateKey` DER |
//! | EC | RFC 5915 `ECPrivateKey` DER (with curve OID and public key) |
//!
//! `public_key` is always SubjectPublicKeyInfo DER. Import accepts PKCS#8 as well and
//! normalizes it; see [`import`] for everything it accepts.
//!
//! **Using keys** — [`KeyHandle`] is built once per key with
//! [`KeyHandle::new`]`(key_type, material)` or [`KeyHandle::public_only`]`(key_type, spki)`,
//! is `Send + Sync`, and offers:
//!
//! - `encrypt(mode, iv, ad, plain, tag_len_bits) -> SymmetricCiphertext { cipher, iv, tag }`
//!   and `decrypt(mode, iv, ad, cipher, tag) -> Secret` for AES in every [`CipherMode`]
//!   (`Ecb`, `Cbc`, `CbcNoPad`, `Cfb`, `Ofb`, `Ctr`, `Gcm`, `Kw`, `Kwp`);
//! - `rsa_encrypt(padding, plain) -> Vec<u8>` and `rsa_decrypt(padding, cipher) -> Secret`
//!   with [`RsaEncryptionPadding`] (`Pkcs1v15`, `Oaep(hash)`);
//! - `sign(scheme, input, hash) -> Vec<u8>` and `verify(scheme, input, hash, sig) -> bool`
//!   with [`SignatureScheme`] (`RsaPkcs1v15`, `RsaPss { mgf_hash }`, `Ecdsa`) over a
//!   [`SignInput`] (`Data(&[u8])` or a pre-computed `Digest(&[u8])`);
//! - `mac(alg, data) -> Vec<u8>` and `mac_verify(alg, data, mac) -> bool` for HMAC keys;
//! - `key_type()`, `key_size_bits()`, `curve()`, `is_public_only()`, `public_key_spki()`.
//!
//! **TLS bootstrap** — [`tls::bootstrap_ca`]`(common_name) -> CaBundle { cert_pem, key_pem }`
//! and [`tls::issue_server_cert`]`(&ca, dns_names, ip_addrs) -> ServerCert { cert_chain_pem,
//! key_pem }`, ECDSA P-256, PEM for rustls.
//!
//! **Cluster membership** — [`node_csr`]`(name, ip) -> NodeCsr { csr_pem, key_pem }` and
//! [`sign_node_csr`]`(&ca, csr_pem, name, ip) -> chain_pem` for node certificates;
//! [`TransportKey`] / [`seal_to`] move a secret to a node over ephemeral ECDH (P-256).
//!
//! # Limits of the underlying library
//!
//! - GCM: 12-byte IVs and 128-bit tags only.
//! - AES key wrap (KW, KWP): AES-128 and AES-256 keys only.
//! - RSA: 2048 to 8192 bits; exponent 65537 for generated keys. Signing with SHA-256/384/512
//!   only; verification also accepts PKCS#1 v1.5 with SHA-1. PSS uses a salt as long as the
//!   hash and MGF1 with the message hash. OAEP with SHA-1/256/384/512 and an empty label.
//! - ECDSA: any supported hash on any curve (the digest is truncated or zero-extended to the
//!   curve size, exactly as ECDSA prescribes).
//! - No SHA3-224, no HMAC over SHA-3.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod curve;
mod der;
mod digest;
mod ecdsa;
mod error;
mod generate;
mod handle;
mod import;
mod kdf;
mod key_transport;
mod mac;
mod node_cert;
mod password;
pub mod random;
mod rsa;
mod sealing;
mod secret;
mod service_cert;
mod signature;
mod spec;
mod symmetric;
pub mod tls;
mod x509;

pub use curve::Curve;
pub use digest::{DigestAlgorithm, Hasher, digest};
pub use error::{CryptoError, Result};
pub use generate::{GeneratedKey, generate};
pub use handle::KeyHandle;
pub use import::{ImportedKey, import};
pub use kdf::{HKDF_SHA256_MAX_LEN, hkdf_sha256};
pub use key_transport::{Envelope, TransportKey, seal_to};
pub use mac::{constant_time_eq, hmac, hmac_verify};
pub use node_cert::{NodeCsr, node_csr, sign_node_csr};
pub use password::{hash_password, hash_password_with_salt, password_hash_salt, verify_password};
pub use rsa::RsaEncryptionPadding;
pub use sealing::SealingKey;
pub use secret::Secret;
pub use service_cert::{ChainReport, check_chain, key_spki, service_csr, subject_common_name};
pub use signature::{SignInput, SignatureScheme};
pub use spec::{KeySpec, KeyType, RSA_PUBLIC_EXPONENT};
pub use symmetric::{CipherMode, GCM_TAG_BITS, SymmetricCiphertext};
pub use tls::{CaBundle, ServerCert};
pub use x509::{CertificateSummary, certificate_key_id, certificate_summary, chain_key_id};
