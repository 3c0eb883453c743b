//! The admin socket's `deploy`, `config show` and `config watch`: the node's config use cases
//! ([`coffer_node::config`]) in the admin protocol's words.

use coffer_admin::{AdminError, ChangeEffect, ConfigChange, ConfigShown, Deployed};
use coffer_node::Node;
use coffer_node::config::{self, SettingChange};
use coffer_node::settings::{Settings, TakesEffect};
use std::sync::Arc;
use std::time::Duration;

/// `deploy --config FILE --stage DEPLOY [--dry-run]`.
pub(crate) async fn deploy(
    node: Arc<Node>,
    config_yaml: String,
    dry_run: bool,
) -> Result<Deployed, AdminError> {
    let deployment = config::deploy(&node, config_yaml, dry_run).await?;
    Ok(Deployed {
        dry_run: deployment.dry_run,
        changes: deployment.changes.into_iter().map(change).collect(),
        warnings: deployment
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect(),
        nodes: deployment
            .take_ups
            .into_iter()
            .map(|take_up| (take_up.node, take_up.outcome))
            .collect(),
    })
}

fn change(SettingChange { change, consumer }: SettingChange) -> ConfigChange {
    ConfigChange {
        path: change.path,
        old: change.old,
        new: change.new,
        effect: match consumer {
            Some(consumer) => match consumer.takes_effect {
                TakesEffect::Live => ChangeEffect::ActedOn {
                    consumer: consumer.name.to_owned(),
                },
                TakesEffect::NextUpgrade => ChangeEffect::AtNextUpgrade {
                    consumer: consumer.name.to_owned(),
                },
            },
            None => ChangeEffect::StoredOnly,
        },
        note: change.note.map(str::to_owned),
    }
}

/// `config show`.
pub(crate) async fn show(node: Arc<Node>) -> Result<ConfigShown, AdminError> {
    Ok(shown(&config::show(&node)))
}

/// `config watch --after VERSION`.
pub(crate) async fn watch(
    node: Arc<Node>,
    after: u64,
    timeout_secs: u64,
) -> Result<ConfigShown, AdminError> {
    let settings = node.settings.clone();
    drop(node);
    let settings = config::watch(settings, after, Duration::from_secs(timeout_secs)).await?;
    Ok(shown(&settings))
}

fn shown(settings: &Settings) -> ConfigShown {
    ConfigShown {
        version: settings.version,
        config_yaml: settings.config_yaml.clone(),
        effective: settings.config.as_ref().map_or(
            serde_json::Value::Null,
            coffer_config::ClusterConfig::to_json,
        ),
    }
}
