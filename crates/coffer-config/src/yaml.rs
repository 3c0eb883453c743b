//! A YAML document as a tree of [`Node`]s that remember where they were written.
//!
//! `config.yaml` is first read into this generic tree (with serde-saphyr, which records the
//! line and column of every node) so that nothing about its contents can make reading fail:
//! unknown keys, wrong types and bad values all survive to be reported together, each with its
//! line. Only a file that is not YAML at all fails here, with [`ConfigError::Syntax`].

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned};

use crate::error::ConfigError;

/// One YAML node and its position (1-based line and column; 0 when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Line of the node's first character.
    pub line: u32,
    /// Column of the node's first character.
    pub column: u32,
}

/// The contents of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing at all after the colon.
    Null,
    /// `true` or `false` (YAML 1.1 spellings such as `yes` stay strings).
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string, quoted or plain.
    Str(String),
    /// A sequence (`- a` items or `[a, b]`).
    Seq(Vec<Node>),
    /// A mapping, keys in file order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The string, if this node is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this node is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The node as a mapping key: scalars as they were written, other nodes described.
    #[must_use]
    pub fn key_text(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Seq(_) => "[…]".to_owned(),
            Value::Map(_) => "{…}".to_owned(),
        }
    }
}

/// Shows a node the way error messages quote it: strings in double quotes, other scalars bare,
/// collections by kind (`a list`, `a mapping`).
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Null => f.write_str("an empty value"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Seq(_) => f.write_str("a list"),
            Value::Map(_) => f.write_str("a mapping"),
        }
    }
}

/// Parses one YAML document into a [`Node`] tree.
///
/// YAML 1.1 booleans (`yes`, `on`, `y`) are read as strings, so `localntp: yes` is reported as
/// "not true or false" instead of being silently taken as `true`. Duplicate keys, anchors that
/// expand without bound, and several documents in one file are syntax errors.
///
/// # Errors
/// [`ConfigError::Syntax`] with the line and column where the parser gave up.
pub fn parse(text: &str) -> Result<Node, ConfigError> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|err| {
        let err = err.without_snippet();
        let (line, column) = err
            .location()
            .map_or((0, 0), |l| (clamp(l.line()), clamp(l.column())));
        // The message may quote the input: keep it on one line, free of control characters.
        let message = serde_saphyr::DefaultMessageFormatter
            .format_message(err)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        ConfigError::Syntax {
            line,
            column,
            message,
        }
    })
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            line: clamp(spanned.referenced.line()),
            column: clamp(spanned.referenced.column()),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i128::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom("integer too large"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        String::from_utf8(v.to_vec())
            .map(Value::Str)
            .map_err(|_| E::custom("binary value is not UTF-8"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lines_and_columns() {
        let node = parse("global:\n  podSubnet: 10.244.0.0/16\n").unwrap();
        let Value::Map(top) = &node.value else {
            panic!("not a map")
        };
        let Value::Map(global) = &top[0].1.value else {
            panic!("not a map")
        };
        let (key, value) = &global[0];
        assert_eq!((key.line, key.column), (2, 3));
        assert_eq!(value.as_str(), Some("10.244.0.0/16"));
        assert_eq!(value.line, 2);
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let node = parse("a: yes\nb: true\n").unwrap();
        let Value::Map(top) = &node.value else {
            panic!("not a map")
        };
        assert_eq!(top[0].1.as_str(), Some("yes"));
        assert_eq!(top[1].1.value, Value::Bool(true));
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse("global:\n  a: [1, 2\n  b: 3\n").unwrap_err();
        let ConfigError::Syntax { line, column, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!((*line, *column), (3, 4));
        assert!(
            err.to_string()
                .starts_with("not valid YAML at line 3, column 4: "),
            "{err}"
        );
    }

    #[test]
    fn duplicate_keys_are_syntax_errors() {
        let err = parse("global:\n  localntp: true\n  localntp: false\n").unwrap_err();
        assert!(
            matches!(err, ConfigError::Syntax { line: 3, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn empty_document_is_null() {
        assert!(parse("").unwrap().is_null());
        assert!(parse("# nothing\n").unwrap().is_null());
    }
}
