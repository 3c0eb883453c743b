//! Checks of the exact wire formats of dsm-api.md §1 on raw JSON.

use anyhow::{Context, ensure};
use serde_json::Value;

/// `YYYYMMDDTHHMMSSZ`, e.g. `20170101T000000Z`.
pub fn is_compact_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 16
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'T'
        && bytes[9..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'Z'
}

/// Lower-case hyphenated UUID.
pub fn is_lower_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
        })
}

/// Standard-alphabet base64 with `=` padding.
pub fn is_padded_b64(text: &str) -> bool {
    text.len().is_multiple_of(4)
        && text.trim_end_matches('=').len() + 2 >= text.len()
        && text
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// RFC 3339 date-time, e.g. `2024-05-01T12:00:00Z` or with fractions and an offset.
pub fn is_rfc3339(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    let head = digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && (bytes[10] == b'T' || bytes[10] == b't')
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19);
    if !head {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if count == 0 {
            return false;
        }
        rest = &fraction[count..];
    }
    rest == "Z"
        || rest == "z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes()[3] == b':')
}

/// Checks a security object as JSON: the fields the Rust client requires (§5.3), the date and
/// id formats, the `rsa` policies, and that `value` is absent (`allow_value` only for export).
pub fn check_sobject(object: &Value, allow_value: bool) -> anyhow::Result<()> {
    let map = object
        .as_object()
        .with_context(|| format!("a security object must be a JSON object: {object}"))?;
    for field in [
        "acct_id",
        "created_at",
        "lastused_at",
        "creator",
        "enabled",
        "key_ops",
        "obj_type",
        "origin",
        "public_only",
        "kid",
        "name",
        "group_id",
    ] {
        ensure!(
            map.get(field).is_some_and(|v| !v.is_null()),
            "security object lacks {field}: {object}"
        );
    }
    for field in ["acct_id", "kid", "group_id"] {
        let id = map[field].as_str().unwrap_or_default();
        ensure!(is_lower_uuid(id), "{field} {id:?} is not a lower-case UUID");
    }
    for field in [
        "created_at",
        "lastused_at",
        "activation_date",
        "deactivation_date",
        "compromise_date",
    ] {
        if let Some(date) = map.get(field).filter(|v| !v.is_null()) {
            let date = date.as_str().unwrap_or_default();
            ensure!(
                is_compact_date(date),
                "{field} {date:?} is not YYYYMMDDTHHMMSSZ"
            );
        }
    }
    let creator = map["creator"]
        .as_object()
        .context("creator must be an object")?;
    ensure!(
        creator.len() == 1
            && creator.iter().all(|(k, v)| {
                ["app", "user", "plugin"].contains(&k.as_str())
                    && v.as_str().is_some_and(is_lower_uuid)
            }),
        "creator must be {{\"app\"|\"user\"|\"plugin\": uuid}}: {}",
        map["creator"]
    );
    ensure!(map["enabled"].is_boolean(), "enabled must be a boolean");
    ensure!(
        map["public_only"].is_boolean(),
        "public_only must be a boolean"
    );
    ensure!(map["key_ops"].is_array(), "key_ops must be an array");
    if let Some(rsa) = map.get("rsa").filter(|v| !v.is_null()) {
        for field in ["encryption_policy", "signature_policy"] {
            ensure!(
                rsa.get(field).is_some_and(Value::is_array),
                "rsa.{field} must be an array: {rsa}"
            );
        }
    }
    if let Some(pub_key) = map.get("pub_key").filter(|v| !v.is_null()) {
        ensure!(
            pub_key.as_str().is_some_and(is_padded_b64),
            "pub_key must be padded standard base64"
        );
    }
    if !allow_value {
        ensure!(
            map.get("value").is_none_or(Value::is_null),
            "value must only appear in export responses: {object}"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised() {
        assert!(is_compact_date("20170101T000000Z"));
        assert!(!is_compact_date("2017-01-01T00:00:00Z"));
        assert!(is_lower_uuid("0d8f6b1e-7a0b-4c55-9d2e-1f3a5b7c9d0e"));
        assert!(!is_lower_uuid("0D8F6B1E-7A0B-4C55-9D2E-1F3A5B7C9D0E"));
        assert!(is_padded_b64("+/+/"));
        assert!(is_padded_b64("YQ=="));
        assert!(!is_padded_b64("YQ"));
        assert!(!is_padded_b64("-_-_"));
        assert!(is_rfc3339("2024-05-01T12:00:00Z"));
        assert!(is_rfc3339("2024-05-01T12:00:00.125+02:00"));
        assert!(!is_rfc3339("20240501T120000Z"));
    }
}
