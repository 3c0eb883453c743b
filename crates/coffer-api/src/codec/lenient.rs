//! Lenient scalar decoding for query strings and `null`-tolerant JSON.
//!
//! The `deserialize_*` functions are meant for `#[serde(default, deserialize_with = "…")]`.
//! They accept the value as text (query strings: `serde_urlencoded`, which axum's `Query` uses,
//! and [`parse_query`](crate::parse_query)) or as the JSON scalar itself, and treat `null` and
//! the empty string as absent.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use crate::WireError;

/// Parses a boolean the way Py (`True`/`False`) and Rs (`true`/`false`) write it: `true` or
/// `false` in any case, or `1`/`0`.
pub fn parse_lenient_bool(text: &str) -> Result<bool, WireError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") || text == "1" {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") || text == "0" {
        Ok(false)
    } else {
        Err(WireError::InvalidBool {
            value: text.to_owned(),
        })
    }
}

/// Deserializes `Option<bool>` from a JSON boolean, `null`, or text for
/// [`parse_lenient_bool`]; the empty string is `None`.
pub fn deserialize_opt_bool<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    struct BoolVisitor;

    impl<'de> Visitor<'de> for BoolVisitor {
        type Value = Option<bool>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean (true/false in any case)")
        }

        fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
            Ok(Some(value))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            match value {
                0 => Ok(Some(false)),
                1 => Ok(Some(true)),
                _ => Err(E::custom(WireError::InvalidBool {
                    value: value.to_string(),
                })),
            }
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            match u64::try_from(value) {
                Ok(value) => self.visit_u64(value),
                Err(_) => Err(E::custom(WireError::InvalidBool {
                    value: value.to_string(),
                })),
            }
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            parse_lenient_bool(text).map(Some).map_err(E::custom)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, inner: D2) -> Result<Self::Value, D2::Error> {
            inner.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(BoolVisitor)
}

/// Deserializes `Option<T>` for any `T: FromStr` (numbers, [`Uuid`], wire enums, sort specs,
/// strings) from text, a JSON number or `null`; the empty string is `None`. Errors name the
/// value that failed.
pub fn deserialize_opt_parsed<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    struct ParsedVisitor<T>(PhantomData<T>);

    impl<'de, T> Visitor<'de> for ParsedVisitor<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or number")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            if text.is_empty() {
                return Ok(None);
            }
            T::from_str(text)
                .map(Some)
                .map_err(|err| E::custom(format!("invalid value `{text}`: {err}")))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            self.visit_str(&value.to_string())
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            self.visit_str(&value.to_string())
        }

        fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
            self.visit_str(if value { "true" } else { "false" })
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, inner: D2) -> Result<Self::Value, D2::Error> {
            inner.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(ParsedVisitor(PhantomData))
}

/// Deserializes `T` with `null` meaning `T::default()` (e.g. a `null` policy list is `[]`).
pub fn deserialize_null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + DeserializeOwned,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Deserializes an optional list of ids given either as a JSON array of UUIDs or as an object
/// keyed by UUID (its values are ignored), as `del_groups` arrives from different clients.
pub fn deserialize_id_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<Uuid>>, D::Error> {
    struct IdsVisitor;

    impl<'de> Visitor<'de> for IdsVisitor {
        type Value = Option<Vec<Uuid>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of UUIDs or an object keyed by UUID")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut ids = Vec::new();
            while let Some(id) = seq.next_element::<Uuid>()? {
                ids.push(id);
            }
            Ok(Some(ids))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut ids = Vec::new();
            while let Some(id) = map.next_key::<Uuid>()? {
                map.next_value::<IgnoredAny>()?;
                ids.push(id);
            }
            Ok(Some(ids))
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, inner: D2) -> Result<Self::Value, D2::Error> {
            inner.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(IdsVisitor)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Flags {
        #[serde(default, deserialize_with = "deserialize_opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "deserialize_opt_parsed")]
        count: Option<u32>,
        #[serde(default, deserialize_with = "deserialize_id_list")]
        ids: Option<Vec<Uuid>>,
    }

    #[test]
    fn booleans_are_case_insensitive() {
        for (text, expected) in [
            ("true", true),
            ("True", true),
            ("TRUE", true),
            ("1", true),
            ("false", false),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(parse_lenient_bool(text).unwrap(), expected, "{text}");
        }
        assert!(parse_lenient_bool("yes please").is_err());
    }

    #[test]
    fn json_scalars_text_and_null_are_accepted() {
        let f: Flags = serde_json::from_str(r#"{"flag":"True","count":"7"}"#).unwrap();
        assert_eq!((f.flag, f.count), (Some(true), Some(7)));
        let f: Flags = serde_json::from_str(r#"{"flag":false,"count":7}"#).unwrap();
        assert_eq!((f.flag, f.count), (Some(false), Some(7)));
        let f: Flags = serde_json::from_str(r#"{"flag":null,"count":null,"ids":null}"#).unwrap();
        assert_eq!((f.flag, f.count, f.ids), (None, None, None));
        let f: Flags = serde_json::from_str(r#"{"flag":"","count":""}"#).unwrap();
        assert_eq!((f.flag, f.count), (None, None));
    }

    #[test]
    fn bad_numbers_name_the_value() {
        let err = serde_json::from_str::<Flags>(r#"{"count":"many"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`many`"), "{err}");
    }

    #[test]
    fn id_lists_come_as_arrays_or_objects() {
        let id = "34e03147-9f71-4be9-9a54-3feda0843393";
        let f: Flags = serde_json::from_str(&format!(r#"{{"ids":["{id}"]}}"#)).unwrap();
        assert_eq!(f.ids.unwrap()[0].to_string(), id);
        let f: Flags =
            serde_json::from_str(&format!(r#"{{"ids":{{"{id}":["ENCRYPT"]}}}}"#)).unwrap();
        assert_eq!(f.ids.unwrap()[0].to_string(), id);
    }
}
