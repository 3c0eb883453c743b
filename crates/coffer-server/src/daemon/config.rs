//! `deploy` and `config show`: the cluster's `config.yaml`.
//!
//! The file is validated as a whole before anything is applied (every error names its key path
//! and line); the text is stored in replicated state, so every node reads the same
//! configuration from one typed place ([`effective`]).

use super::{admin_error, ok};
use coffer_admin::{AdminError, ConfigChange, ConfigShown, Deployed};
use coffer_config::ClusterConfig;
use coffer_core::Command;
use coffer_node::Node;
use std::sync::Arc;

/// Validates `text`, or explains every problem in it.
pub(crate) fn validate(text: &str) -> Result<coffer_config::Validated, AdminError> {
    ClusterConfig::from_yaml(text).map_err(|errors| {
        admin_error(
            errors.to_string(),
            Some("fix config.yaml and run the command again; nothing was changed"),
        )
    })
}

/// The configuration in force on this node's state.
pub(crate) fn effective(node: &Node) -> Option<ClusterConfig> {
    let text = node
        .cluster
        .state()
        .read()
        .cluster()
        .map(|c| c.config_yaml.clone())?;
    ClusterConfig::from_yaml(&text)
        .ok()
        .map(|validated| validated.config)
}

/// `deploy --config FILE --stage DEPLOY [--dry-run]`.
pub(crate) async fn deploy(
    node: Arc<Node>,
    config_yaml: String,
    dry_run: bool,
) -> Result<serde_json::Value, AdminError> {
    let next = validate(&config_yaml)?;
    let warnings = next.warnings.iter().map(ToString::to_string).collect();
    let changes = match effective(&node) {
        Some(current) => current.diff(&next.config),
        None => ClusterConfig::from_yaml("{}")
            .map(|v| v.config.diff(&next.config))
            .unwrap_or_default(),
    };
    let changes = changes
        .into_iter()
        .map(|c| ConfigChange {
            path: c.path,
            old: c.old,
            new: c.new,
            live: c.live,
            note: c.note.map(str::to_owned),
        })
        .collect();
    if !dry_run {
        node.propose(Command::SetConfig { config_yaml })
            .await
            .map_err(|e| admin_error(format!("could not apply the configuration: {e}"), None))?;
        tracing::info!("configuration deployed");
    }
    ok(&Deployed {
        dry_run,
        changes,
        warnings,
    })
}

/// `config show`.
pub(crate) async fn show(node: Arc<Node>) -> Result<serde_json::Value, AdminError> {
    let text = node
        .cluster
        .state()
        .read()
        .cluster()
        .map(|c| c.config_yaml.clone())
        .unwrap_or_default();
    let effective = ClusterConfig::from_yaml(&text)
        .map(|v| v.config.to_json())
        .unwrap_or(serde_json::Value::Null);
    ok(&ConfigShown {
        config_yaml: text,
        effective,
    })
}
