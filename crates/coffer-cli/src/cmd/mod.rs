//! One module per subcommand: its clap arguments and its `run()`.

pub(crate) mod audit_retention;
pub(crate) mod check_network;
pub(crate) mod check_outbound;
pub(crate) mod create;
pub(crate) mod deploy;
pub(crate) mod join;
pub(crate) mod label;
pub(crate) mod metrics;
pub(crate) mod remove;
pub(crate) mod repair;
pub(crate) mod reset;
pub(crate) mod rotate;
pub(crate) mod signup;
pub(crate) mod status;
pub(crate) mod sysadmin;
pub(crate) mod token;

use serde_json::Value;

/// Text for an `ok` payload whose shape the protocol leaves open: nothing for `null` or an
/// empty object, a string as a line, anything else as indented JSON.
pub(crate) fn render_details(payload: &Value) -> String {
    match payload {
        Value::Null => String::new(),
        Value::Object(map) if map.is_empty() => String::new(),
        Value::String(text) if text.is_empty() => String::new(),
        Value::String(text) => format!("{text}\n"),
        other => serde_json::to_string_pretty(other)
            .map(|json| json + "\n")
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn open_payloads_print_only_what_they_carry() {
        assert_eq!(render_details(&Value::Null), "");
        assert_eq!(render_details(&json!({})), "");
        assert_eq!(render_details(&json!("done")), "done\n");
        assert_eq!(
            render_details(&json!({"removed": 2})),
            "{\n  \"removed\": 2\n}\n"
        );
    }
}
