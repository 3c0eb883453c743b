//! Just enough DER to move RSA private keys between PKCS#8 and PKCS#1.
//!
//! aws-lc reads PKCS#1 `RSAPrivateKey` but writes RSA private keys only as PKCS#8, and its
//! decrypting key reads only PKCS#8. The two encodings differ by a fixed wrapper, which this
//! module adds and removes.

use zeroize::Zeroizing;

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// `AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }`.
const RSA_ALGORITHM_ID: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// The contents of the rsaEncryption OID.
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Splits one TLV off the front of `input`: `(tag, contents, rest)`.
///
/// Only single-byte tags and definite lengths in minimal form (at most four length bytes) are
/// accepted, as DER requires.
fn split_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len_bytes, after) = rest.split_at(count);
        rest = after;
        if len_bytes[0] == 0 {
            return None;
        }
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return None;
        }
        len
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// Reads `tag` off the front of `input`, returning its contents and the rest.
fn take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, contents, rest) = split_tlv(input)?;
    (found == tag).then_some((contents, rest))
}

/// The PKCS#1 `RSAPrivateKey` inside an RSA PKCS#8 `PrivateKeyInfo`, or `None` if `pkcs8` is
/// not one.
pub(crate) fn rsa_pkcs8_to_pkcs1(pkcs8: &[u8]) -> Option<&[u8]> {
    let (info, trailing) = take(pkcs8, TAG_SEQUENCE)?;
    if !trailing.is_empty() {
        return None;
    }
    let (version, rest) = take(info, TAG_INTEGER)?;
    if version != [0] && version != [1] {
        return None;
    }
    let (algorithm, rest) = take(rest, TAG_SEQUENCE)?;
    let (oid, params) = take(algorithm, TAG_OID)?;
    if oid != RSA_OID || !(params.is_empty() || params == [0x05, 0x00]) {
        return None;
    }
    let (private_key, _attributes) = take(rest, TAG_OCTET_STRING)?;
    Some(private_key)
}

fn header_len(len: usize) -> usize {
    match len {
        0..=0x7f => 2,
        0x80..=0xff => 3,
        0x100..=0xffff => 4,
        0x1_0000..=0xff_ffff => 5,
        _ => 6,
    }
}

fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        // `len < 0x80`, so the cast cannot truncate.
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = &bytes[skip..];
    // At most `size_of::<usize>()` bytes, so the cast cannot truncate.
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Wraps a PKCS#1 `RSAPrivateKey` in a PKCS#8 v1 `PrivateKeyInfo`.
pub(crate) fn rsa_pkcs1_to_pkcs8(pkcs1: &[u8]) -> Zeroizing<Vec<u8>> {
    let version = [TAG_INTEGER, 0x01, 0x00];
    let octet_len = header_len(pkcs1.len()) + pkcs1.len();
    let body_len = version.len() + RSA_ALGORITHM_ID.len() + octet_len;
    let mut out = Zeroizing::new(Vec::with_capacity(header_len(body_len) + body_len));
    push_header(&mut out, TAG_SEQUENCE, body_len);
    out.extend_from_slice(&version);
    out.extend_from_slice(RSA_ALGORITHM_ID);
    push_header(&mut out, TAG_OCTET_STRING, pkcs1.len());
    out.extend_from_slice(pkcs1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_then_unwrapping_returns_the_input() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x1234, 0x1_0000] {
            let inner: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let pkcs8 = rsa_pkcs1_to_pkcs8(&inner);
            assert_eq!(
                rsa_pkcs8_to_pkcs1(&pkcs8),
                Some(inner.as_slice()),
                "len {len}"
            );
        }
    }

    #[test]
    fn long_lengths_are_encoded_minimally() {
        let pkcs8 = rsa_pkcs1_to_pkcs8(&[0u8; 0x80]);
        // Octet string header: 04 81 80.
        let pos = 3 + 3 + RSA_ALGORITHM_ID.len();
        assert_eq!(&pkcs8[pos..pos + 3], &[0x04, 0x81, 0x80]);
        assert_eq!(&pkcs8[..3], &[0x30, 0x81, 0x95]);
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut pkcs8 = rsa_pkcs1_to_pkcs8(b"key").to_vec();
        pkcs8.push(0);
        assert_eq!(rsa_pkcs8_to_pkcs1(&pkcs8), None);
    }

    #[test]
    fn other_algorithms_are_rejected() {
        let mut pkcs8 = rsa_pkcs1_to_pkcs8(b"key").to_vec();
        // Change the last OID byte (rsaEncryption -> 1.2.840.113549.1.1.2).
        pkcs8[2 + 3 + 12] = 0x02;
        assert_eq!(rsa_pkcs8_to_pkcs1(&pkcs8), None);
    }

    #[test]
    fn non_minimal_lengths_and_truncation_are_rejected() {
        assert_eq!(split_tlv(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]), None);
        assert_eq!(split_tlv(&[0x04, 0x82, 0x00, 0x90]), None);
        assert_eq!(split_tlv(&[0x04, 0x05, 1, 2]), None);
        assert_eq!(split_tlv(&[0x1f, 0x01, 0x00]), None);
        assert_eq!(
            split_tlv(&[0x04, 0x02, 1, 2, 9]),
            Some((0x04, &[1u8, 2][..], &[9u8][..]))
        );
    }
}
