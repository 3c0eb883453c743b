//! App credentials.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Random bytes in a generated app secret when the request does not say (DSM's default).
pub const DEFAULT_SECRET_SIZE: usize = 64;
/// The largest secret size a request may ask for.
pub const MAX_SECRET_SIZE: usize = 512;

/// A new app secret: `size` random bytes as unpadded base64url text, which is header-safe and
/// never contains `:` (the API key is `base64(app_id:secret)`, split at the colon by clients).
pub fn generate_secret(size: usize) -> anyhow::Result<String> {
    let size = size.clamp(16, MAX_SECRET_SIZE);
    Ok(URL_SAFE_NO_PAD.encode(coffer_crypto::random::random_vec(size)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_never_contain_a_colon_and_differ() {
        let a = generate_secret(DEFAULT_SECRET_SIZE).expect("randomness");
        let b = generate_secret(DEFAULT_SECRET_SIZE).expect("randomness");
        assert!(!a.contains(':'));
        assert_ne!(a, b);
        assert_eq!(a.len(), 86);
    }
}
