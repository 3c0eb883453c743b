//! The live-config seam: the cluster's settings as validated values, derived once per change
//! of the replicated state and pushed to every consumer that subscribes.
//!
//! `deploy` and `install_certs` change the replicated state; the state machine announces each
//! change ([`coffer_store::StateHandle::changes`]); one follower task per node reads the
//! cluster record, and when the `config.yaml` text or the installed certificates differ from
//! what it last published, it validates the text once and publishes a new [`Settings`]. A
//! consumer (the API listener's certificate chooser, a future syslog forwarder) holds a
//! [`watch::Receiver`] from [`LiveSettings::subscribe`] and reacts in
//! [`watch::Receiver::changed`]: nothing polls.
//!
//! Adding a consumer of a `config.yaml` key: subscribe, act on the field, and list the key in
//! [`CONSUMERS`] so that `deploy` tells the operator the change is acted on.

use coffer_config::ClusterConfig;
use coffer_core::{InstalledCertificates, State};
use coffer_store::StateHandle;
use std::sync::Arc;
use tokio::sync::watch;

/// Code that acts on some `config.yaml` keys.
#[derive(Debug, PartialEq, Eq)]
pub struct Consumer {
    /// The key path it acts on, or the section: `fluentd` covers `fluentd.advancedSyslog`.
    pub key: &'static str,
    /// What it is, for the operator ("the syslog forwarder").
    pub name: &'static str,
    /// When a change reaches it.
    pub takes_effect: TakesEffect,
}

/// When a consumer acts on a changed key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakesEffect {
    /// As soon as each node takes up the new settings.
    Live,
    /// When each node is upgraded (a node's sealing cannot change under it).
    NextUpgrade,
}

/// Which code acts on which `config.yaml` keys. A key with no entry is stored and shown by
/// `config show`, and nothing in this version acts on it; `deploy` says so.
pub const CONSUMERS: &[Consumer] = &[
    Consumer {
        key: "sdkms.proxyHeaderConfig",
        name: "the API listener's PROXY protocol step",
        takes_effect: TakesEffect::Live,
    },
    Consumer {
        key: "global.proxyHeaderConfig",
        name: "the API listener's PROXY protocol step",
        takes_effect: TakesEffect::Live,
    },
    Consumer {
        key: "global.proxy",
        name: "the outbound HTTP client",
        takes_effect: TakesEffect::Live,
    },
    Consumer {
        key: "sdkms.useLogFilter",
        name: "the log filter",
        takes_effect: TakesEffect::Live,
    },
    Consumer {
        key: "global.useLogFilter",
        name: "the log filter",
        takes_effect: TakesEffect::Live,
    },
];

/// The consumer that acts on the key at `path`, if any.
pub fn consumer_of(path: &str) -> Option<&'static Consumer> {
    consumer_in(CONSUMERS, path)
}

fn consumer_in<'a>(consumers: &'a [Consumer], path: &str) -> Option<&'a Consumer> {
    consumers.iter().find(|consumer| {
        path.strip_prefix(consumer.key)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// The cluster's settings at one point of its history.
#[derive(Debug, PartialEq, Eq)]
pub struct Settings {
    /// Grows by one each time this node publishes new settings (not replicated: each node
    /// counts its own).
    pub version: u64,
    /// The deployed `config.yaml`, as given; empty when none was.
    pub config_yaml: String,
    /// Its validated form; `None` when no configuration was deployed (the single-node
    /// evaluation mode), or when the stored text does not validate under this version (logged).
    pub config: Option<ClusterConfig>,
    /// The installed API and UI certificates, if any.
    pub certificates: Option<InstalledCertificates>,
    /// When this node took these settings up, in Unix milliseconds.
    pub taken_up_at_ms: u64,
}

impl Settings {
    /// The settings `state` holds, numbered `version`.
    fn derive(state: &State, version: u64) -> Self {
        let cluster = state.cluster();
        let config_yaml = cluster.map(|c| c.config_yaml.clone()).unwrap_or_default();
        Self {
            version,
            config: validated(&config_yaml),
            config_yaml,
            certificates: cluster.and_then(|c| c.tls.installed.clone()),
            taken_up_at_ms: crate::now_nanos() / 1_000_000,
        }
    }

    /// True when `state` holds different settings from these.
    fn differs_from(&self, state: &State) -> bool {
        let cluster = state.cluster();
        let config_yaml = cluster.map_or("", |c| c.config_yaml.as_str());
        let certificates = cluster.and_then(|c| c.tls.installed.as_ref());
        self.config_yaml != config_yaml || self.certificates.as_ref() != certificates
    }
}

fn validated(config_yaml: &str) -> Option<ClusterConfig> {
    if config_yaml.is_empty() {
        return None;
    }
    match ClusterConfig::from_yaml(config_yaml) {
        Ok(validated) => Some(validated.config),
        Err(errors) => {
            tracing::error!(%errors, "the deployed config.yaml does not validate; its settings are not applied");
            None
        }
    }
}

/// This node's current settings and the way to follow them. Cloning is cheap.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    current: watch::Receiver<Arc<Settings>>,
}

impl LiveSettings {
    /// Derives the settings `state` holds now and starts the task that follows its changes.
    /// The task ends when every [`LiveSettings`] and receiver is dropped. Call it inside a
    /// Tokio runtime.
    pub fn follow(state: StateHandle) -> Self {
        let changes = state.changes();
        let first = Settings::derive(&state.read(), 1);
        let (publisher, current) = watch::channel(Arc::new(first));
        tokio::spawn(follow(state, changes, publisher));
        Self { current }
    }

    /// The settings in force now.
    pub fn current(&self) -> Arc<Settings> {
        self.current.borrow().clone()
    }

    /// A receiver that wakes at every new [`Settings`]; its current value is marked seen.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Settings>> {
        let mut receiver = self.current.clone();
        receiver.mark_unchanged();
        receiver
    }
}

/// Publishes new settings after each change of `state` that alters them.
async fn follow(
    state: StateHandle,
    mut changes: watch::Receiver<u64>,
    publisher: watch::Sender<Arc<Settings>>,
) {
    loop {
        tokio::select! {
            () = publisher.closed() => return,
            changed = changes.changed() => if changed.is_err() { return },
        }
        let next = {
            let state = state.read();
            let current = publisher.borrow().clone();
            current
                .differs_from(&state)
                .then(|| Settings::derive(&state, current.version + 1))
        };
        if let Some(next) = next {
            tracing::info!(version = next.version, "cluster settings changed");
            publisher.send_replace(Arc::new(next));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_cluster::Cluster;
    use coffer_core::{ClusterInfo, Command};
    use std::time::Duration;

    const CONFIG: &str =
        "global:\n  attestation: null\n  externalLoadBalancer: true\n  clusterIp: dummy\n";

    async fn cluster(dir: &tempfile::TempDir) -> Cluster {
        let store = coffer_store::Store::open(&dir.path().join("store.redb")).expect("a store");
        Cluster::start_single(store, 1, "127.0.0.1:1".into())
            .await
            .expect("a cluster")
    }

    async fn next(receiver: &mut watch::Receiver<Arc<Settings>>) -> Arc<Settings> {
        tokio::time::timeout(Duration::from_secs(10), receiver.changed())
            .await
            .expect("new settings in time")
            .expect("the publisher lives");
        receiver.borrow_and_update().clone()
    }

    #[test]
    fn a_consumer_covers_its_key_and_the_keys_under_it_only() {
        let consumers = [Consumer {
            key: "fluentd",
            name: "the syslog forwarder",
            takes_effect: TakesEffect::Live,
        }];
        let found = |path| consumer_in(&consumers, path).map(|c| c.name);
        assert_eq!(found("fluentd"), Some("the syslog forwarder"));
        assert_eq!(
            found("fluentd.advancedSyslog"),
            Some("the syslog forwarder")
        );
        assert_eq!(found("fluentdx"), None);
        assert_eq!(found("sdkms.useLogFilter"), None);
    }

    #[test]
    fn the_template_says_whether_any_setting_is_acted_on() {
        let example = include_str!("../../../config.yaml.example");
        assert_eq!(
            example.contains("but it does not act on them yet"),
            CONSUMERS.is_empty(),
            "config.yaml.example must tell operators which settings this version acts on"
        );
    }

    #[tokio::test]
    async fn a_deployed_config_reaches_a_subscriber_validated_and_other_writes_do_not() {
        let dir = tempfile::tempdir().expect("a directory");
        let cluster = cluster(&dir).await;
        let live = LiveSettings::follow(cluster.state());
        assert_eq!(live.current().config, None, "no cluster record yet");
        let mut subscriber = live.subscribe();

        let info = ClusterInfo {
            config_yaml: CONFIG.into(),
            ..ClusterInfo::default()
        };
        cluster
            .propose(Command::InitCluster(info))
            .await
            .expect("proposed")
            .expect("applied");
        let first = next(&mut subscriber).await;
        assert_eq!(first.version, 2);
        let config = first.config.as_ref().expect("a validated config");
        assert!(!config.use_log_filter);

        // A write that leaves the settings alone publishes nothing.
        let label = Command::SetNodeLabel {
            node: "n".into(),
            dc: "dc1".into(),
        };
        cluster
            .propose(label)
            .await
            .expect("proposed")
            .expect("applied");
        let changed = format!("{CONFIG}sdkms:\n  useLogFilter: true\n");
        cluster
            .propose(Command::SetConfig {
                config_yaml: changed.clone(),
            })
            .await
            .expect("proposed")
            .expect("applied");
        let second = next(&mut subscriber).await;
        assert_eq!(
            second.version, 3,
            "the label write was not a settings change"
        );
        assert_eq!(second.config_yaml, changed);
        assert!(second.config.as_ref().expect("validated").use_log_filter);
        assert_eq!(live.current(), second);
        cluster.shutdown().await.expect("shut down");
    }
}
