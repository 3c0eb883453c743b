//! Crypto operations: `/crypto/v1/…` (dsm-api.md §6).
//!
//! Each operation exists in path form (`POST /crypto/v1/keys/{kid}/<op>`, body without `key`)
//! and descriptor form (`POST /crypto/v1/<op>`, body with `"key": SobjectDescriptor`); one
//! request type serves both, its `key` is `None` in path form.

mod batch;
mod cipher;
mod derive;
mod mac;
mod mode;
mod sign;
mod wrap;

pub use batch::{
    BatchDecryptRequest, BatchDecryptRequestItem, BatchEncryptRequest, BatchEncryptRequestItem,
    BatchMacRequest, BatchMacVerifyRequest, BatchResponse, BatchResponseItem, BatchSignRequest,
    BatchVerifyRequest,
};
pub use cipher::{
    DecryptFinalRequest, DecryptFinalResponse, DecryptInitRequest, DecryptInitResponse,
    DecryptRequest, DecryptResponse, DecryptUpdateRequest, DecryptUpdateResponse,
    EncryptFinalRequest, EncryptFinalResponse, EncryptInitRequest, EncryptInitResponse,
    EncryptRequest, EncryptResponse, EncryptUpdateRequest, EncryptUpdateResponse,
};
pub use derive::{
    AgreeKeyMechanism, AgreeKeyRequest, DeriveKeyMechanism, DeriveKeyRequest, RandomRequest,
    RandomResponse,
};
pub use mac::{DigestRequest, DigestResponse, MacRequest, MacResponse, MacVerifyRequest};
pub use mode::{EncryptionMode, Mgf, RsaEncryptionPadding, RsaSignaturePadding};
pub use sign::{SignRequest, SignResponse, VerifyRequest, VerifyResponse};
pub use wrap::{UnwrapKeyRequest, WrapKeyRequest, WrapKeyResponse};
