//! The snapshot byte format (version 2). All integers are big-endian.
//!
//! ```text
//! magic        8 bytes   b"COFSNAP\0"
//! version      u32       2 (1 is still read)
//! header_len   u32
//! header       JSON      {"last_applied": LogId | null, "membership": StoredMembership}
//! count        u64       number of records
//! count × record:
//!   key        17 bytes  RecordKey::to_bytes(), strictly increasing
//!   len        u32
//!   value      len bytes State::encode_record output
//! ```
//!
//! The records are exactly the rows of the `records` table; node-local tables are never
//! included. The header repeats the snapshot's metadata so the receiver can check that the bytes
//! belong to the metadata it was given.
//!
//! Version 2 differs from version 1 only in the membership's node values: version 1 carried
//! openraft's `BasicNode` (`{"addr": …}`), version 2 carries [`NodeInfo`](crate::NodeInfo),
//! which also decodes the old form. Version 1 is therefore still read; builds that only know
//! version 1 refuse version 2 cleanly.

use crate::error::SnapshotFormatError;
use crate::type_config::{LogId, StoredMembership};
use coffer_core::RecordKey;
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"COFSNAP\0";
const VERSION: u32 = 2;
/// Versions this build decodes.
const READABLE_VERSIONS: [u32; 2] = [1, 2];
const KEY_LEN: usize = 17;

/// What the header says about the state in the snapshot.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) last_applied: Option<LogId>,
    pub(crate) membership: StoredMembership,
}

/// Writes a snapshot record by record.
pub(crate) struct Encoder {
    out: Vec<u8>,
    count_at: usize,
    count: u64,
}

impl Encoder {
    pub(crate) fn new(header: &Header) -> Result<Self, SnapshotFormatError> {
        let header = serde_json::to_vec(header).map_err(SnapshotFormatError::Header)?;
        let mut out = Vec::with_capacity(MAGIC.len() + 16 + header.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&len_u32(header.len())?.to_be_bytes());
        out.extend_from_slice(&header);
        let count_at = out.len();
        out.extend_from_slice(&0u64.to_be_bytes());
        Ok(Self {
            out,
            count_at,
            count: 0,
        })
    }

    /// Appends one record; callers pass keys in increasing order (the records table's order).
    pub(crate) fn record(
        &mut self,
        key: &[u8; KEY_LEN],
        value: &[u8],
    ) -> Result<(), SnapshotFormatError> {
        let len = len_u32(value.len())?;
        self.out.extend_from_slice(key);
        self.out.extend_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(value);
        self.count += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out[self.count_at..self.count_at + 8].copy_from_slice(&self.count.to_be_bytes());
        self.out
    }
}

/// A decoded snapshot; record values borrow from the input.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub(crate) header: Header,
    pub(crate) records: Vec<(RecordKey, &'a [u8])>,
}

/// Parses and checks a whole snapshot: magic, version, lengths, key validity and order, no
/// trailing bytes. Record values are not decoded here.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, SnapshotFormatError> {
    let mut input = Reader { bytes };
    if input.take(MAGIC.len())? != MAGIC {
        return Err(SnapshotFormatError::BadMagic);
    }
    let version = input.u32()?;
    if !READABLE_VERSIONS.contains(&version) {
        return Err(SnapshotFormatError::UnsupportedVersion(version));
    }
    let header_len = input.u32()? as usize;
    let header =
        serde_json::from_slice(input.take(header_len)?).map_err(SnapshotFormatError::Header)?;
    let count = input.u64()?;
    let mut records = Vec::new();
    let mut previous: Option<&[u8]> = None;
    for _ in 0..count {
        let raw = input.take(KEY_LEN)?;
        let key = RecordKey::from_bytes(raw)
            .filter(|_| previous.is_none_or(|p| p < raw))
            .ok_or_else(|| SnapshotFormatError::BadKey { key: raw.to_vec() })?;
        previous = Some(raw);
        let len = input.u32()? as usize;
        records.push((key, input.take(len)?));
    }
    if !input.bytes.is_empty() {
        return Err(SnapshotFormatError::TrailingBytes(input.bytes.len()));
    }
    Ok(Decoded { header, records })
}

/// A length field; a value of 4 GiB or more cannot be written.
fn len_u32(len: usize) -> Result<u32, SnapshotFormatError> {
    u32::try_from(len).map_err(|_| SnapshotFormatError::TooLarge(len))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotFormatError> {
        if self.bytes.len() < n {
            return Err(SnapshotFormatError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, SnapshotFormatError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(buf))
    }

    fn u64(&mut self) -> Result<u64, SnapshotFormatError> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(buf))
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
mod tests {
    use super::*;
    use coffer_core::Table;

    fn key(n: u128) -> [u8; KEY_LEN] {
        RecordKey::new(Table::Accounts, coffer_core::AccountId::from_u128(n).uuid()).to_bytes()
    }

    fn sample() -> Vec<u8> {
        let header = Header {
            last_applied: None,
            membership: StoredMembership::default(),
        };
        let mut encoder = Encoder::new(&header).expect("header encodes");
        encoder.record(&key(1), b"{\"a\":1}").expect("record fits");
        encoder.record(&key(2), b"").expect("record fits");
        encoder.finish()
    }

    #[test]
    fn records_round_trip_in_order() {
        let bytes = sample();
        let decoded = decode(&bytes).expect("snapshot decodes");
        assert_eq!(decoded.header.last_applied, None);
        let keys: Vec<[u8; KEY_LEN]> = decoded.records.iter().map(|(k, _)| k.to_bytes()).collect();
        assert_eq!(keys, vec![key(1), key(2)]);
        assert_eq!(decoded.records[0].1, b"{\"a\":1}");
        assert_eq!(decoded.records[1].1, b"");
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = sample();
        for end in 0..bytes.len() {
            assert!(
                decode(&bytes[..end]).is_err(),
                "a snapshot cut at {end} bytes was accepted"
            );
        }
    }

    #[test]
    fn trailing_bytes_and_bad_magic_are_rejected() {
        let mut bytes = sample();
        bytes.push(0);
        assert!(matches!(
            decode(&bytes),
            Err(SnapshotFormatError::TrailingBytes(1))
        ));
        let mut bytes = sample();
        bytes[0] = b'X';
        assert!(matches!(decode(&bytes), Err(SnapshotFormatError::BadMagic)));
    }

    #[test]
    fn version_1_is_still_read_and_unknown_versions_are_rejected() {
        let mut bytes = sample();
        bytes[8..12].copy_from_slice(&1u32.to_be_bytes());
        assert!(decode(&bytes).is_ok());
        bytes[8..12].copy_from_slice(&3u32.to_be_bytes());
        assert!(matches!(
            decode(&bytes),
            Err(SnapshotFormatError::UnsupportedVersion(3))
        ));
    }

    #[test]
    fn out_of_order_keys_are_rejected() {
        let header = Header {
            last_applied: None,
            membership: StoredMembership::default(),
        };
        let mut encoder = Encoder::new(&header).expect("header encodes");
        encoder.record(&key(2), b"{}").expect("record fits");
        encoder.record(&key(1), b"{}").expect("record fits");
        assert!(matches!(
            decode(&encoder.finish()),
            Err(SnapshotFormatError::BadKey { .. })
        ));
    }
}
