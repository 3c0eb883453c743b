//! The one error type of this crate.

/// A value that could not be turned into (or out of) its wire form.
///
/// Inside serde these surface as `serde::de::Error::custom` messages; the variants exist for the
/// plain parsing functions (`FromStr`, [`parse_query`](crate::parse_query), …).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// A byte string was not base64 in either alphabet.
    #[error("invalid base64: {source}")]
    InvalidBase64 {
        /// What the decoder refused.
        #[source]
        source: base64::DecodeError,
    },
    /// A date was not `YYYYMMDDTHHMMSSZ` or named an impossible day or time.
    #[error("invalid date/time `{value}`: expected UTC `YYYYMMDDTHHMMSSZ`")]
    InvalidCompactTime {
        /// The text received.
        value: String,
    },
    /// A date lies before 1970-01-01 or after 9999-12-31T23:59:59Z.
    #[error("date/time out of range: {detail}")]
    CompactTimeOutOfRange {
        /// Which bound was crossed.
        detail: String,
    },
    /// A string is not one of the spellings an enum accepts.
    #[error("unknown {kind} `{value}`")]
    UnknownEnumValue {
        /// The enum's name, e.g. `DigestAlgorithm`.
        kind: &'static str,
        /// The text received.
        value: String,
    },
    /// A boolean was not `true`/`false` in any case (nor `1`/`0`).
    #[error("invalid boolean `{value}`")]
    InvalidBool {
        /// The text received.
        value: String,
    },
    /// A `sort` parameter was not `field` or `field:asc|desc`.
    #[error("invalid sort `{value}`: expected `field` or `field:asc|desc`")]
    InvalidSort {
        /// The text received.
        value: String,
    },
    /// A query string did not fit the parameter struct.
    #[error("invalid query: {message}")]
    InvalidQuery {
        /// The deserializer's explanation (names the parameter and value).
        message: String,
    },
}
