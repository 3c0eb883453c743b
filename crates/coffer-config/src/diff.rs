//! What changes between two configurations (for `sdkms-cluster deploy`). Which code acts on a
//! changed key is the node's business, not this crate's.

use std::fmt;

use serde_json::Value as Json;

use crate::model::ClusterConfig;
use crate::raw::KNOWN_KEYS;

/// One setting that differs between two configurations.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Key path, as in `config.yaml` (`global.sealingKeyPolicy`, `fluentd.advancedSyslog`).
    pub path: String,
    /// The value before, in the JSON form of `config show`; `None` when not set.
    pub old: Option<Json>,
    /// The value after; `None` when no longer set.
    pub new: Option<Json>,
    /// What the operator should know about the setting.
    pub note: Option<&'static str>,
}

/// Notes for settings whose changes need explaining, by key path prefix.
const NOTES: &[(&str, &str)] = &[
    (
        "global.serviceSubnet",
        "accepted for compatibility; it only constrains other settings",
    ),
    (
        "global.podSubnet",
        "accepted for compatibility; it only constrains proxyHeaderConfig",
    ),
];

impl Change {
    fn new(path: String, old: Option<Json>, new: Option<Json>) -> Change {
        let note = NOTES.iter().find(|(p, _)| path.starts_with(p));
        Change {
            note: note.map(|(_, note)| *note),
            path,
            old,
            new,
        }
    }
}

fn show(v: Option<&Json>) -> String {
    v.map_or_else(|| "(not set)".to_owned(), Json::to_string)
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} -> {}",
            self.path,
            show(self.old.as_ref()),
            show(self.new.as_ref())
        )?;
        if let Some(note) = self.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

impl ClusterConfig {
    /// The settings that differ from `self` (the running configuration) to `other` (the one
    /// to deploy), in file order. Lists (`advancedSyslog`, `exclude`, `nwIface`) are compared as
    /// wholes. A changed proxy password is reported although both values show it redacted.
    #[must_use]
    pub fn diff(&self, other: &ClusterConfig) -> Vec<Change> {
        let mut changes = Vec::new();
        compare(
            "",
            Some(&self.to_json()),
            Some(&other.to_json()),
            &mut changes,
        );
        if let (Some(a), Some(b)) = (&self.proxy, &other.proxy)
            && a.url.as_str() != b.url.as_str()
            && a.url.redacted() == b.url.redacted()
        {
            let mut c = Change::new(
                "global.proxy.url".to_owned(),
                Some(Json::from(a.url.redacted())),
                Some(Json::from(b.url.redacted())),
            );
            c.note = Some("the proxy credentials change");
            changes.push(c);
        }
        changes.sort_by_key(|c| order(&c.path));
        changes
    }
}

fn order(path: &str) -> (usize, String) {
    let generic: String = path.chars().filter(|c| !c.is_ascii_digit()).collect();
    let index = KNOWN_KEYS
        .iter()
        .position(|k| *k == generic)
        .unwrap_or(KNOWN_KEYS.len());
    (index, path.to_owned())
}

fn compare(path: &str, old: Option<&Json>, new: Option<&Json>, out: &mut Vec<Change>) {
    match (old, new) {
        (Some(Json::Object(a)), Some(Json::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                compare(&p, a.get(k), b.get(k), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change::new(path.to_owned(), a.cloned(), b.cloned())),
    }
}
