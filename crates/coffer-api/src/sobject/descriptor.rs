//! [`SobjectDescriptor`]: names one key by `kid`, `name` or `transient_key`.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::codec::Blob;

/// A key descriptor, used by `/keys/info`, `/keys/export` and the `key` of every
/// `/crypto/v1/<op>` body: `{"kid":"<uuid>"}`, `{"name":"<name>"}` or
/// `{"transient_key":"<b64>"}`.
///
/// Rs writes it as an externally tagged enum (the same JSON); Py omits unset members; either
/// may send the others as `null`. Exactly one non-null member is required; other keys are
/// ignored.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SobjectDescriptor {
    /// By key id.
    Kid(Uuid),
    /// By name (unique per account).
    Name(String),
    /// A transient key blob.
    TransientKey(Blob),
}

impl Serialize for SobjectDescriptor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            SobjectDescriptor::Kid(kid) => map.serialize_entry("kid", kid)?,
            SobjectDescriptor::Name(name) => map.serialize_entry("name", name)?,
            SobjectDescriptor::TransientKey(blob) => map.serialize_entry("transient_key", blob)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SobjectDescriptor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DescriptorVisitor;

        impl<'de> Visitor<'de> for DescriptorVisitor {
            type Value = SobjectDescriptor;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a key descriptor: {"kid":…}, {"name":…} or {"transient_key":…}"#)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found: Option<SobjectDescriptor> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let member = match key.as_str() {
                        "kid" => map
                            .next_value::<Option<Uuid>>()?
                            .map(SobjectDescriptor::Kid),
                        "name" => map
                            .next_value::<Option<String>>()?
                            .map(SobjectDescriptor::Name),
                        "transient_key" => map
                            .next_value::<Option<Blob>>()?
                            .map(SobjectDescriptor::TransientKey),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                    };
                    if let Some(member) = member {
                        if found.is_some() {
                            return Err(de::Error::custom(
                                "key descriptor names more than one of `kid`, `name`, `transient_key`",
                            ));
                        }
                        found = Some(member);
                    }
                }
                found.ok_or_else(|| {
                    de::Error::custom("key descriptor needs one of `kid`, `name`, `transient_key`")
                })
            }
        }

        deserializer.deserialize_map(DescriptorVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KID: &str = "0d8f6f4e-5a7c-4bd4-9f0e-2a1b3c4d5e6f";

    fn parse(json: &str) -> Result<SobjectDescriptor, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn descriptors_by_kid_name_and_transient_key() {
        let kid = parse(&format!(r#"{{"kid":"{KID}"}}"#)).unwrap();
        assert_eq!(kid, SobjectDescriptor::Kid(KID.parse().unwrap()));
        assert_eq!(
            serde_json::to_string(&kid).unwrap(),
            format!(r#"{{"kid":"{KID}"}}"#)
        );
        assert_eq!(
            parse(r#"{"name":"k1"}"#).unwrap(),
            SobjectDescriptor::Name("k1".into())
        );
        assert_eq!(
            parse(r#"{"transient_key":"AAEC"}"#).unwrap(),
            SobjectDescriptor::TransientKey(Blob::new(vec![0, 1, 2]))
        );
    }

    #[test]
    fn null_members_and_unknown_keys_are_ignored() {
        let parsed = parse(r#"{"kid":null,"name":"k1","transient_key":null,"x":1}"#).unwrap();
        assert_eq!(parsed, SobjectDescriptor::Name("k1".into()));
    }

    #[test]
    fn zero_or_two_members_are_refused() {
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"kid":null}"#).is_err());
        let err = parse(&format!(r#"{{"kid":"{KID}","name":"k1"}}"#)).unwrap_err();
        assert!(err.to_string().contains("more than one"), "{err}");
        assert!(parse(r#"{"kid":"not-a-uuid"}"#).is_err());
    }
}
