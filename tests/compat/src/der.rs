//! Just enough DER to check the structure of exported keys and public keys.

use anyhow::{bail, ensure};

/// DER tag of SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// DER tag of INTEGER.
pub const INTEGER: u8 = 0x02;
/// DER tag of OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// DER tag of BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// DER tag of OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;

/// Content bytes of the OID rsaEncryption (1.2.840.113549.1.1.1).
pub const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// Content bytes of the OID id-ecPublicKey (1.2.840.10045.2.1).
pub const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// Content bytes of the OID prime256v1 / NIST P-256 (1.2.840.10045.3.1.7).
pub const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// Content bytes of the OID secp384r1 / NIST P-384 (1.3.132.0.34).
pub const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// Content bytes of the OID secp521r1 / NIST P-521 (1.3.132.0.35).
pub const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// The (single-byte) tag.
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
}

/// Reads one element from the front of `input`; returns it and the rest.
pub fn read(input: &[u8]) -> anyhow::Result<(Tlv<'_>, &[u8])> {
    ensure!(input.len() >= 2, "truncated DER element");
    let tag = input[0];
    let (length, header) = match input[1] {
        short @ 0..=0x7f => (usize::from(short), 2),
        0x81..=0x84 => {
            let count = usize::from(input[1] & 0x7f);
            ensure!(input.len() >= 2 + count, "truncated DER length");
            let length = input[2..2 + count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (length, 2 + count)
        }
        other => bail!("unsupported DER length byte {other:#x}"),
    };
    ensure!(
        input.len() >= header + length,
        "DER element longer than its input"
    );
    Ok((
        Tlv {
            tag,
            content: &input[header..header + length],
        },
        &input[header + length..],
    ))
}

/// Reads exactly one element spanning all of `input`.
pub fn read_all(input: &[u8]) -> anyhow::Result<Tlv<'_>> {
    let (tlv, rest) = read(input)?;
    ensure!(
        rest.is_empty(),
        "{} trailing bytes after DER element",
        rest.len()
    );
    Ok(tlv)
}

/// The elements inside a constructed element's content.
pub fn children(content: &[u8]) -> anyhow::Result<Vec<Tlv<'_>>> {
    let mut items = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (tlv, next) = read(rest)?;
        items.push(tlv);
        rest = next;
    }
    Ok(items)
}

/// The parts of a SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spki {
    /// Content of the algorithm OID.
    pub algorithm: Vec<u8>,
    /// Content of the parameter OID (the curve for EC keys), if any.
    pub parameter: Option<Vec<u8>>,
    /// The public key bits (for RSA, a DER RSAPublicKey; for EC, the point).
    pub key: Vec<u8>,
}

/// Splits a SubjectPublicKeyInfo into its parts.
pub fn spki(der: &[u8]) -> anyhow::Result<Spki> {
    let outer = read_all(der)?;
    ensure!(outer.tag == SEQUENCE, "SPKI is not a SEQUENCE");
    let parts = children(outer.content)?;
    ensure!(parts.len() == 2, "SPKI has {} parts, not 2", parts.len());
    ensure!(parts[0].tag == SEQUENCE, "SPKI algorithm is not a SEQUENCE");
    let algorithm = children(parts[0].content)?;
    ensure!(
        !algorithm.is_empty() && algorithm[0].tag == OID,
        "SPKI algorithm has no OID"
    );
    let parameter = algorithm
        .get(1)
        .filter(|p| p.tag == OID)
        .map(|p| p.content.to_vec());
    ensure!(parts[1].tag == BIT_STRING, "SPKI key is not a BIT STRING");
    let bits = parts[1].content;
    ensure!(bits.first() == Some(&0), "SPKI BIT STRING has unused bits");
    Ok(Spki {
        algorithm: algorithm[0].content.to_vec(),
        parameter,
        key: bits[1..].to_vec(),
    })
}

/// The unsigned big-endian value of an INTEGER's content (leading zero removed).
pub fn unsigned(content: &[u8]) -> &[u8] {
    match content {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    }
}
