//! `deploy`, `config show` and `config watch`: the cluster's `config.yaml`.
//!
//! A new file is validated as a whole before anything is stored (every error names its key
//! path and line); the text goes into the replicated state, and every node derives the
//! validated values from it once per change ([`crate::settings`]).

use crate::error::{ServiceError, ServiceResult};
use crate::node::Node;
use crate::settings::{Consumer, LiveSettings, Settings, consumer_of};
use coffer_config::{Change, ClusterConfig, Warning};
use coffer_core::Command;
use std::sync::Arc;
use std::time::Duration;

/// How long a deploy waits for this node to publish the settings it just stored.
const PUBLISH_DEADLINE: Duration = Duration::from_secs(10);

/// The longest `config watch` wait a caller may ask for.
pub const MAX_WATCH: Duration = Duration::from_secs(600);

/// What a deploy changes (or would change).
#[derive(Debug)]
pub struct Deployment {
    /// True when nothing was stored.
    pub dry_run: bool,
    /// Every changed setting, with the code that acts on it.
    pub changes: Vec<SettingChange>,
    /// What is accepted in the new file but probably not meant.
    pub warnings: Vec<Warning>,
    /// Whether each member took it up (empty for a dry run).
    pub take_ups: Vec<TakeUp>,
}

/// Whether one member took a deployed configuration up.
#[derive(Debug)]
pub struct TakeUp {
    /// The member's name.
    pub node: String,
    /// When it took it up (Unix milliseconds), or why that is not known.
    pub outcome: Result<u64, String>,
}

/// The cluster-port route that asks a member when it took a configuration up.
pub const TAKE_UP_ROUTE: &str = "/node/settings-taken-up";
/// How long a member waits for a configuration before it answers that it has not.
const TAKE_UP_WAIT: Duration = Duration::from_secs(10);

/// What `deploy` asks a member: the SHA-256 (hex) of the deployed text.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct TakeUpQuestion {
    /// SHA-256 of the `config.yaml` text, hex.
    pub config_sha256: String,
}

/// A member's answer: when it took the configuration up, or `None` if it has not (within
/// the wait).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct TakeUpAnswer {
    /// Unix milliseconds.
    pub taken_up_at_ms: Option<u64>,
}

/// A member's side of [`TAKE_UP_ROUTE`]: waits (bounded) until this node's settings hold the
/// configuration whose hash is asked for.
pub async fn taken_up(settings: LiveSettings, question: TakeUpQuestion) -> TakeUpAnswer {
    let mut receiver = settings.subscribe();
    let matches = |settings: &Settings| sha256_hex(&settings.config_yaml) == question.config_sha256;
    if matches(&settings.current()) {
        return TakeUpAnswer {
            taken_up_at_ms: Some(settings.current().taken_up_at_ms),
        };
    }
    let waited = tokio::time::timeout(TAKE_UP_WAIT, receiver.wait_for(|s| matches(s))).await;
    TakeUpAnswer {
        taken_up_at_ms: match waited {
            Ok(Ok(settings)) => Some(settings.taken_up_at_ms),
            _ => None,
        },
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(coffer_crypto::digest(
        coffer_crypto::DigestAlgorithm::Sha256,
        text.as_bytes(),
    ))
}

/// Asks every member when it took `config_yaml` up (this node included).
async fn take_ups(node: &Node, config_yaml: &str) -> Vec<TakeUp> {
    let question = TakeUpQuestion {
        config_sha256: sha256_hex(config_yaml),
    };
    let mut take_ups = Vec::new();
    for (id, info, _) in node.cluster.members() {
        let outcome = if id == node.cluster.node_id() {
            Ok(node.settings.current().taken_up_at_ms)
        } else if let Some(membership) = &node.membership {
            let answer: Result<TakeUpAnswer, _> = crate::peers::post_json(
                membership.peers.as_ref(),
                &info.cluster_addr,
                TAKE_UP_ROUTE,
                &question,
                TAKE_UP_WAIT + Duration::from_secs(5),
            )
            .await;
            match answer {
                Ok(TakeUpAnswer {
                    taken_up_at_ms: Some(at),
                }) => Ok(at),
                Ok(TakeUpAnswer {
                    taken_up_at_ms: None,
                }) => Err(format!(
                    "has not taken it up after {} s",
                    TAKE_UP_WAIT.as_secs()
                )),
                Err(error) => Err(format!("did not answer: {error}")),
            }
        } else {
            continue;
        };
        take_ups.push(TakeUp {
            node: info.name.clone(),
            outcome,
        });
    }
    take_ups
}

/// One changed setting and what acts on it.
#[derive(Debug)]
pub struct SettingChange {
    /// The key, its old and new values, and advice for the operator.
    pub change: Change,
    /// The code that acts on this key when a node's settings change; `None`: the value is
    /// stored and shown, and nothing in this version acts on it.
    pub consumer: Option<&'static Consumer>,
}

/// Validates `config_yaml`, or explains every problem in it.
pub fn validate(config_yaml: &str) -> ServiceResult<coffer_config::Validated> {
    ClusterConfig::from_yaml(config_yaml).map_err(ServiceError::InvalidConfig)
}

/// `deploy --config FILE --stage DEPLOY [--dry-run]`: validates the file, reports each changed
/// key, and (unless a dry run) stores it for the whole cluster. Returns once this node
/// publishes the new settings to its consumers.
pub async fn deploy(node: &Node, config_yaml: String, dry_run: bool) -> ServiceResult<Deployment> {
    let next = validate(&config_yaml)?;
    let current = node.settings.current();
    let changes = match &current.config {
        Some(current) => current.diff(&next.config),
        None => Vec::new(),
    };
    let changes = changes
        .into_iter()
        .map(|change| SettingChange {
            consumer: consumer_of(&change.path),
            change,
        })
        .collect();
    let mut take_ups = Vec::new();
    if !dry_run {
        node.propose(Command::SetConfig {
            config_yaml: config_yaml.clone(),
        })
        .await?;
        published(&node.settings, &config_yaml).await?;
        tracing::info!("configuration deployed");
        take_ups = self::take_ups(node, &config_yaml).await;
    }
    Ok(Deployment {
        dry_run,
        changes,
        warnings: next.warnings,
        take_ups,
    })
}

/// Waits until this node's settings hold `config_yaml`.
async fn published(settings: &LiveSettings, config_yaml: &str) -> ServiceResult<()> {
    let mut receiver = settings.subscribe();
    let wait = receiver.wait_for(|settings| settings.config_yaml == config_yaml);
    match tokio::time::timeout(PUBLISH_DEADLINE, wait).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err(ServiceError::internal(anyhow::anyhow!(
            "the settings follower stopped"
        ))),
        Err(_) => Err(ServiceError::Unavailable(format!(
            "the configuration is stored, but this node did not take it up within {}s",
            PUBLISH_DEADLINE.as_secs()
        ))),
    }
}

/// `config show`: the settings in force on this node.
pub fn show(node: &Node) -> Arc<Settings> {
    node.settings.current()
}

/// `config watch`: waits until this node's settings are newer than version `after`, for at
/// most `timeout` (capped at [`MAX_WATCH`]), and returns them. Takes the settings handle, not
/// the node, so a waiting watch does not keep a stopped node alive.
pub async fn watch(
    settings: LiveSettings,
    after: u64,
    timeout: Duration,
) -> ServiceResult<Arc<Settings>> {
    let timeout = timeout.min(MAX_WATCH);
    let mut receiver = settings.subscribe();
    let wait = receiver.wait_for(|settings| settings.version > after);
    match tokio::time::timeout(timeout, wait).await {
        Ok(Ok(settings)) => Ok(settings.clone()),
        Ok(Err(_)) => Err(ServiceError::Unavailable("the node stopped".into())),
        Err(_) => Err(ServiceError::Unavailable(format!(
            "the settings did not change within {}s (still version {})",
            timeout.as_secs(),
            settings.current().version
        ))),
    }
}
