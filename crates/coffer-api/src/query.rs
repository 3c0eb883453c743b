//! Query strings: [`parse_query`] and the shared [`SortSpec`].
//!
//! # Choice
//!
//! Every parameter struct in this crate (`ListSobjectsParams`, `AuditLogsQuery`, …) is a plain
//! serde struct whose fields all use the lenient `deserialize_opt_*` functions of
//! [`codec`](crate::codec). That makes the same structs work two ways:
//!
//! - with axum's `Query<T>` extractor (it decodes with `serde_urlencoded`), and
//! - with [`parse_query`], for a raw query string taken from the URI.
//!
//! Either way: an empty query or a bare `?` is fine (Rs appends `?` with no parameters), `+` is
//! a space, `%XX` is decoded (a malformed escape is kept literally, since Rs does not
//! percent-encode values), booleans are case-insensitive (`True`, `true`), an empty value is
//! absent, and unknown parameters are ignored.

use std::fmt;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::WireError;

/// Parses a raw query string (with or without the leading `?`) into a parameter struct.
///
/// When a parameter repeats, the last occurrence wins.
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, WireError> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    let mut pairs: Vec<(String, String)> = Vec::new();
    for segment in raw.split('&').filter(|segment| !segment.is_empty()) {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        let key = decode_component(key);
        let value = decode_component(value);
        match pairs.iter_mut().find(|(existing, _)| *existing == key) {
            Some(pair) => pair.1 = value,
            None => pairs.push((key, value)),
        }
    }
    T::deserialize(MapDeserializer::<_, ValueError>::new(pairs.into_iter())).map_err(|err| {
        WireError::InvalidQuery {
            message: err.to_string(),
        }
    })
}

wire_enum! {
    /// Direction of a `sort` parameter.
    pub enum SortOrder {
        /// `asc`, the default.
        Ascending = "asc",
        /// `desc`.
        Descending = "desc",
    }
}

/// A `sort` parameter: a property name and a direction, written `kid:asc`, `name:desc` or just
/// `kid` (ascending). Rs always sends `kid:asc` (keys), `app_id:asc` (apps), `user_id:asc`
/// (users).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SortSpec {
    /// The property, e.g. `kid`, `name`, `app_id`, `user_id`.
    pub field: String,
    /// The direction.
    pub order: SortOrder,
}

impl SortSpec {
    /// Ascending by `field`.
    pub fn ascending(field: impl Into<String>) -> Self {
        SortSpec {
            field: field.into(),
            order: SortOrder::Ascending,
        }
    }
}

impl fmt::Display for SortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.field, self.order)
    }
}

impl FromStr for SortSpec {
    type Err = WireError;

    fn from_str(text: &str) -> Result<Self, WireError> {
        let invalid = || WireError::InvalidSort {
            value: text.to_owned(),
        };
        let (field, order) = match text.split_once(':') {
            Some((field, order)) => (field, order.parse().map_err(|_| invalid())?),
            None => (text, SortOrder::Ascending),
        };
        let field = field.trim();
        if field.is_empty() {
            return Err(invalid());
        }
        Ok(SortSpec {
            field: field.to_owned(),
            order,
        })
    }
}

impl Serialize for SortSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SortSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte;
/// anything else (including a malformed escape) stays as it is. Invalid UTF-8 is replaced.
fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: &u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_decode_plus_and_percent_escapes() {
        assert_eq!(decode_component("my+key%20name"), "my key name");
        assert_eq!(decode_component("a%2Bb%3d"), "a+b=");
        assert_eq!(decode_component("100%"), "100%");
        assert_eq!(decode_component("%zz%4"), "%zz%4");
        assert_eq!(decode_component("caf%C3%A9"), "café");
    }

    #[test]
    fn repeated_parameters_keep_the_last_value() {
        #[derive(Debug, serde::Deserialize)]
        struct Page {
            #[serde(default, deserialize_with = "crate::codec::deserialize_opt_parsed")]
            limit: Option<u32>,
        }
        let page: Page = parse_query("limit=1&limit=2&other=x").unwrap();
        assert_eq!(page.limit, Some(2));
        let page: Page = parse_query("?&&").unwrap();
        assert_eq!(page.limit, None);
    }

    #[test]
    fn sort_specs_parse_with_and_without_direction() {
        assert_eq!(
            "kid:asc".parse::<SortSpec>().unwrap(),
            SortSpec::ascending("kid")
        );
        assert_eq!(
            "name".parse::<SortSpec>().unwrap(),
            SortSpec::ascending("name")
        );
        let desc = "name:DESC".parse::<SortSpec>().unwrap();
        assert_eq!(
            (desc.field.as_str(), desc.order),
            ("name", SortOrder::Descending)
        );
        assert_eq!(desc.to_string(), "name:desc");
        assert!("kid:sideways".parse::<SortSpec>().is_err());
        assert!(":asc".parse::<SortSpec>().is_err());
    }
}
