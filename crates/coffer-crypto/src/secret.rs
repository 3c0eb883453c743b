//! [`Secret`]: owned secret bytes that are wiped on drop and never printed.

use core::fmt;

use zeroize::Zeroizing;

use crate::mac::constant_time_eq;

/// Secret bytes: key material, decrypted plaintext, private keys in PEM.
///
/// The buffer is zeroized when dropped, `Debug` prints only the length, and equality is
/// checked in constant time. Use [`Secret::expose`] to read the bytes.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<Zeroizing<Vec<u8>>> for Secret {
    fn from(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([redacted; {} bytes])", self.0.len())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.expose(), other.expose())
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_bytes() {
        let secret = Secret::from_slice(b"hunter2");
        let printed = format!("{secret:?}");
        assert_eq!(printed, "Secret([redacted; 7 bytes])");
        assert!(!printed.contains("hunter2"));
    }

    #[test]
    fn expose_returns_the_original_bytes() {
        let secret = Secret::new(vec![1, 2, 3]);
        assert_eq!(secret.expose(), &[1, 2, 3]);
        assert_eq!(secret.len(), 3);
        assert!(!secret.is_empty());
        assert!(Secret::default().is_empty());
    }

    #[test]
    fn secrets_compare_by_content() {
        assert_eq!(Secret::from_slice(b"abc"), Secret::from_slice(b"abc"));
        assert_ne!(Secret::from_slice(b"abc"), Secret::from_slice(b"abd"));
        assert_ne!(Secret::from_slice(b"abc"), Secret::from_slice(b"abcd"));
    }
}
