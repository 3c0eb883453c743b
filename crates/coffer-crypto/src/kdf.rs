//! HKDF (RFC 5869).

use aws_lc_rs::hkdf;

use crate::error::{CryptoError, Result};
use crate::secret::Secret;

/// The most HKDF-SHA-256 can produce: 255 blocks of 32 bytes.
pub const HKDF_SHA256_MAX_LEN: usize = 255 * 32;

struct OutputLen(usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA-256: extracts from `ikm` with `salt`, then expands to `len` bytes bound to `info`.
///
/// # Errors
/// [`CryptoError::InvalidInput`] unless `1 <= len <= 8160`.
pub fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8], len: usize) -> Result<Secret> {
    if len == 0 || len > HKDF_SHA256_MAX_LEN {
        return Err(CryptoError::invalid_input(format!(
            "HKDF-SHA-256 output must be 1 to {HKDF_SHA256_MAX_LEN} bytes"
        )));
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let info = [info];
    let okm = prk
        .expand(&info, OutputLen(len))
        .map_err(|_| CryptoError::OperationFailed)?;
    let mut out = Secret::new(vec![0u8; len]);
    okm.fill(out.expose_mut())
        .map_err(|_| CryptoError::OperationFailed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_has_the_requested_length() {
        assert_eq!(hkdf_sha256(b"ikm", b"salt", b"info", 42).unwrap().len(), 42);
        assert_eq!(
            hkdf_sha256(b"ikm", b"", b"", HKDF_SHA256_MAX_LEN)
                .unwrap()
                .len(),
            8160
        );
    }

    #[test]
    fn different_info_gives_different_keys() {
        let a = hkdf_sha256(b"ikm", b"salt", b"a", 32).unwrap();
        let b = hkdf_sha256(b"ikm", b"salt", b"b", 32).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn zero_or_oversized_lengths_are_refused() {
        assert!(matches!(
            hkdf_sha256(b"i", b"s", b"", 0),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            hkdf_sha256(b"i", b"s", b"", HKDF_SHA256_MAX_LEN + 1),
            Err(CryptoError::InvalidInput(_))
        ));
    }
}
