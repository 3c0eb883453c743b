//! Value codecs shared by every message: byte strings, dates and lenient scalars.
//!
//! - [`Blob`]: bytes as standard padded base64 out; standard or URL-safe, padded or not,
//!   whitespace ignored, in.
//! - [`CompactTime`]: object dates, UTC `YYYYMMDDTHHMMSSZ` (Rs refuses anything else).
//! - [`format_rfc3339`]: audit-log times, `2024-05-01T12:00:00Z`.
//! - [`parse_lenient_bool`], [`deserialize_opt_bool`], [`deserialize_opt_parsed`]: query-string
//!   scalars (`True`/`true`, numbers as text, empty = absent).

mod blob;
mod lenient;
mod time;

pub use blob::Blob;
pub use lenient::{
    deserialize_id_list, deserialize_null_default, deserialize_opt_bool, deserialize_opt_parsed,
    parse_lenient_bool,
};
pub use time::{CompactTime, format_rfc3339};
