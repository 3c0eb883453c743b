//! [`Blob`]: a byte string carried as base64 text.

use std::fmt;
use std::ops::{Deref, DerefMut};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::WireError;

/// Bytes on the wire: `plain`, `cipher`, `iv`, `tag`, `value`, `pub_key`, `state`, …
///
/// Serializes as standard-alphabet base64 with `=` padding (Py's `b64decode` silently corrupts
/// URL-safe text and refuses missing padding). Deserializes leniently: either alphabet, padding
/// optional, ASCII whitespace ignored. `Debug` shows only the length, so key material and
/// plaintext never reach a log through it, and the bytes are wiped when it is dropped: a blob
/// is as likely to hold a key or a plaintext as anything else.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Blob(pub Vec<u8>);

impl Drop for Blob {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Blob {
    /// The bytes, taken out of the blob (which is left empty).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }

    /// Wraps bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Blob(bytes.into())
    }

    /// Decodes base64 text with the lenient rules above.
    pub fn from_base64(text: &str) -> Result<Self, WireError> {
        let normalized: String = text
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                other => other,
            })
            .collect();
        LENIENT
            .decode(normalized)
            .map(Blob)
            .map_err(|source| WireError::InvalidBase64 { source })
    }

    /// Encodes as standard padded base64, exactly as it goes on the wire.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Unwraps the bytes (whoever takes them is responsible for wiping them).
    pub fn into_vec(mut self) -> Vec<u8> {
        self.take()
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Self {
        Blob(bytes)
    }
}

impl From<&[u8]> for Blob {
    fn from(bytes: &[u8]) -> Self {
        Blob(bytes.to_vec())
    }
}

impl<const N: usize> From<[u8; N]> for Blob {
    fn from(bytes: [u8; N]) -> Self {
        Blob(bytes.to_vec())
    }
}

impl From<Blob> for Vec<u8> {
    fn from(blob: Blob) -> Self {
        blob.into_vec()
    }
}

impl Deref for Blob {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl DerefMut for Blob {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl AsRef<[u8]> for Blob {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BlobVisitor;

        impl Visitor<'_> for BlobVisitor {
            type Value = Blob;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 string")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Blob, E> {
                // The text itself is not echoed: it may be key material.
                Blob::from_base64(text).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(BlobVisitor)
    }
}

/// Standard alphabet after mapping `-`/`_`; any amount of trailing padding up to canonical;
/// non-zero trailing bits tolerated as Python's decoder does.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decode(json: &str) -> Result<Blob, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn encodes_standard_padded_base64() {
        let blob = Blob::new(vec![0xfb, 0xff, 0xfe, 0x01]);
        assert_eq!(serde_json::to_string(&blob).unwrap(), r#""+//+AQ==""#);
        assert_eq!(serde_json::to_string(&Blob::default()).unwrap(), r#""""#);
    }

    #[test]
    fn decodes_standard_url_safe_unpadded_and_spaced_text() {
        let expected = Blob::new(vec![0xfb, 0xff, 0xfe, 0x01]);
        for text in [
            r#""+//+AQ==""#,
            r#""-__-AQ==""#,
            r#""-__-AQ""#,
            r#""+//+AQ=""#,
            r#"" +//+\nAQ==\r\n""#,
        ] {
            assert_eq!(decode(text).unwrap(), expected, "{text}");
        }
        assert_eq!(decode(r#""""#).unwrap(), Blob::default());
    }

    #[test]
    fn rejects_non_base64_with_a_clear_message() {
        let err = decode(r#""not*base64""#).unwrap_err().to_string();
        assert!(err.contains("invalid base64"), "{err}");
        assert!(
            !err.contains("not*base64"),
            "the text must not be echoed: {err}"
        );
        assert!(decode("12").is_err());
        assert!(
            decode(r#""A""#).is_err(),
            "a single symbol cannot encode a byte"
        );
    }

    #[test]
    fn debug_shows_only_the_length() {
        assert_eq!(
            format!("{:?}", Blob::new(b"secret".to_vec())),
            "Blob(6 bytes)"
        );
    }

    proptest! {
        #[test]
        fn blob_json_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let blob = Blob::new(bytes);
            let json = serde_json::to_string(&blob).unwrap();
            prop_assert_eq!(decode(&json).unwrap(), blob.clone());
            // The same bytes in the URL-safe alphabet without padding decode alike.
            let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(blob.as_bytes());
            prop_assert_eq!(Blob::from_base64(&url).unwrap(), blob);
        }
    }
}
