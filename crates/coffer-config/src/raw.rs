//! Stage 1: `config.yaml` sorted into its sections and keys, values still as written.
//!
//! [`RawConfig`] mirrors the file: the sections `global`, `sdkms`, `keepalived` and `fluentd`
//! with the guide's key names. Every known key found in the file becomes a [`Field`] that keeps
//! its key path, its line and its [`Node`]; nothing is interpreted yet, so a bad value never
//! stops the rest of the file from being read. Keys that are not known are collected as
//! [`UnknownKey`]s (with the closest known key), and structural mistakes (a section that is not
//! a mapping, `advancedSyslog` that is not a list) as errors for stage 2 to report.

use crate::error::{ConfigError, Problem};
use crate::suggest;
use crate::yaml::{self, Node, Value};

/// A known key found in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Key path as written, e.g. `global.podSubnet` or `fluentd.advancedSyslog[1].port`.
    pub path: String,
    /// Line of the key (of the item, for list items).
    pub line: u32,
    /// The value.
    pub node: Node,
}

impl Field {
    /// An [`ConfigError::Invalid`] about this field's value.
    #[must_use]
    pub fn invalid(&self, problem: Problem) -> ConfigError {
        self.invalid_value(self.node.to_string(), problem)
    }

    /// An [`ConfigError::Invalid`] about part of this field's value (`found`, quoted for the
    /// message by the caller).
    #[must_use]
    pub fn invalid_value(&self, found: String, problem: Problem) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            line: self.line,
            found,
            problem,
        }
    }
}

/// A key that is not part of `config.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// Key path as written.
    pub path: String,
    /// Line of the key.
    pub line: u32,
    /// The known key path closest to it, if any is close.
    pub suggestion: Option<String>,
}

/// `config.yaml` after stage 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawConfig {
    /// The `global` section.
    pub global: RawGlobal,
    /// The `sdkms` section.
    pub sdkms: RawSdkms,
    /// The `keepalived` section.
    pub keepalived: RawKeepalived,
    /// The `fluentd` section.
    pub fluentd: RawFluentd,
    /// Keys that are not part of `config.yaml`, in file order.
    pub unknown: Vec<UnknownKey>,
    /// Structural mistakes: a section, `proxy`, a syslog list or entry of the wrong kind.
    pub structure_errors: Vec<ConfigError>,
}

/// The `global` section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawGlobal {
    /// Line of the `global:` key.
    pub line: Option<u32>,
    /// `clusterIp`: with an external load balancer, a placeholder.
    pub cluster_ip: Option<Field>,
    /// `externalLoadBalancer`.
    pub external_load_balancer: Option<Field>,
    /// `attestation`: absent, `null`, a URL or host name, or `{url: …}`.
    pub attestation: Option<RawAttestation>,
    /// `serviceSubnet`.
    pub service_subnet: Option<Field>,
    /// `podSubnet`.
    pub pod_subnet: Option<Field>,
    /// `proxy`.
    pub proxy: Option<RawProxy>,
    /// `sealingKeyPolicy`.
    pub sealing_key_policy: Option<Field>,
    /// `localntp`.
    pub localntp: Option<Field>,
    /// `useLogFilter` (its home is `sdkms`; accepted here too).
    pub use_log_filter: Option<Field>,
    /// `proxyHeaderConfig` (its home is `sdkms`; accepted here too).
    pub proxy_header_config: Option<Field>,
}

/// `global.attestation`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAttestation {
    /// The key and its whole value.
    pub field: Field,
    /// `url`, when the value is a mapping.
    pub url: Option<Field>,
}

/// `global.proxy`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawProxy {
    /// The key and its whole value.
    pub field: Field,
    /// `url`.
    pub url: Option<Field>,
    /// `exclude`: a list, or one comma-separated string.
    pub exclude: Option<Field>,
}

/// The `sdkms` section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawSdkms {
    /// Line of the `sdkms:` key.
    pub line: Option<u32>,
    /// `clusterIp`: the address clients use, held by the built-in load balancer.
    pub cluster_ip: Option<Field>,
    /// `useLogFilter`.
    pub use_log_filter: Option<Field>,
    /// `proxyHeaderConfig`.
    pub proxy_header_config: Option<Field>,
}

/// The `keepalived` section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawKeepalived {
    /// Line of the `keepalived:` key.
    pub line: Option<u32>,
    /// `nwIface`: one interface name or a comma-separated list.
    pub nw_iface: Option<Field>,
}

/// The `fluentd` section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawFluentd {
    /// Line of the `fluentd:` key.
    pub line: Option<u32>,
    /// `advancedSyslog`, one entry per forwarded log type and server.
    pub advanced_syslog: Option<(Field, Vec<RawSyslogEntry>)>,
    /// `remoteSyslog` (deprecated): one server for all logs.
    pub remote_syslog: Option<RawSyslogEntry>,
}

/// One syslog server entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSyslogEntry {
    /// The entry itself (a list item, or the `remoteSyslog` key).
    pub field: Field,
    /// `host`.
    pub host: Option<Field>,
    /// `port`.
    pub port: Option<Field>,
    /// `protocol`.
    pub protocol: Option<Field>,
    /// `log_type` (advancedSyslog only).
    pub log_type: Option<Field>,
}

/// Every key path `config.yaml` knows, for suggestions. List items are written `[]`.
pub const KNOWN_KEYS: &[&str] = &[
    "global",
    "global.clusterIp",
    "global.externalLoadBalancer",
    "global.attestation",
    "global.attestation.url",
    "global.serviceSubnet",
    "global.podSubnet",
    "global.proxy",
    "global.proxy.url",
    "global.proxy.exclude",
    "global.sealingKeyPolicy",
    "global.localntp",
    "global.useLogFilter",
    "global.proxyHeaderConfig",
    "sdkms",
    "sdkms.clusterIp",
    "sdkms.useLogFilter",
    "sdkms.proxyHeaderConfig",
    "keepalived",
    "keepalived.nwIface",
    "fluentd",
    "fluentd.advancedSyslog",
    "fluentd.advancedSyslog[].host",
    "fluentd.advancedSyslog[].port",
    "fluentd.advancedSyslog[].protocol",
    "fluentd.advancedSyslog[].log_type",
    "fluentd.remoteSyslog",
    "fluentd.remoteSyslog.host",
    "fluentd.remoteSyslog.port",
    "fluentd.remoteSyslog.protocol",
];

impl RawConfig {
    /// Reads `config.yaml` text into its sections.
    ///
    /// # Errors
    /// Only when the text is not YAML: [`ConfigError::Syntax`] with line and column. Anything
    /// else is recorded in the result for stage 2.
    pub fn from_yaml(text: &str) -> Result<RawConfig, ConfigError> {
        Ok(RawConfig::from_node(yaml::parse(text)?))
    }

    /// Sorts an already parsed document into its sections.
    #[must_use]
    pub fn from_node(root: Node) -> RawConfig {
        let mut walk = Walk::default();
        let mut raw = RawConfig::default();
        match root.value {
            Value::Null => {}
            Value::Map(entries) => {
                for (key, value) in entries {
                    let name = key.key_text();
                    let line = key.line;
                    match name.as_str() {
                        "global" => raw.global = walk.global(line, value),
                        "sdkms" => raw.sdkms = walk.sdkms(line, value),
                        "keepalived" => raw.keepalived = walk.keepalived(line, value),
                        "fluentd" => raw.fluentd = walk.fluentd(line, value),
                        _ => walk.unknown("", &name, line),
                    }
                }
            }
            _ => walk.errors.push(ConfigError::Invalid {
                path: "config.yaml".to_owned(),
                line: root.line,
                found: root.to_string(),
                problem: Problem::WrongType {
                    expected: "a mapping with the sections global, sdkms, keepalived and fluentd",
                },
            }),
        }
        raw.unknown = walk.unknown;
        raw.structure_errors = walk.errors;
        raw
    }
}

#[derive(Default)]
struct Walk {
    unknown: Vec<UnknownKey>,
    errors: Vec<ConfigError>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Walk {
    fn unknown(&mut self, prefix: &str, name: &str, line: u32) {
        let path = join(prefix, name);
        let suggestion = suggest::closest_key(prefix, name);
        self.unknown.push(UnknownKey {
            path,
            line,
            suggestion,
        });
    }

    /// The entries of a mapping, or none (with an error) when the value is something else.
    /// `null` is an empty mapping (a section whose keys are all commented out).
    fn entries(
        &mut self,
        path: &str,
        line: u32,
        node: Node,
        expected: &'static str,
    ) -> Vec<(String, u32, Node)> {
        match node.value {
            Value::Null => Vec::new(),
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| (k.key_text(), k.line, v))
                .collect(),
            _ => {
                self.errors.push(ConfigError::Invalid {
                    path: path.to_owned(),
                    line,
                    found: node.to_string(),
                    problem: Problem::WrongType { expected },
                });
                Vec::new()
            }
        }
    }

    fn global(&mut self, line: u32, node: Node) -> RawGlobal {
        let mut g = RawGlobal {
            line: Some(line),
            ..RawGlobal::default()
        };
        for (name, kline, value) in
            self.entries("global", line, node, "a mapping (the global section)")
        {
            let field = |n: &str| Field {
                path: join("global", n),
                line: kline,
                node: value.clone(),
            };
            match name.as_str() {
                "clusterIp" => g.cluster_ip = Some(field(&name)),
                "externalLoadBalancer" => g.external_load_balancer = Some(field(&name)),
                "attestation" => g.attestation = Some(self.attestation(field(&name))),
                "serviceSubnet" => g.service_subnet = Some(field(&name)),
                "podSubnet" => g.pod_subnet = Some(field(&name)),
                "proxy" => g.proxy = self.proxy(field(&name)),
                "sealingKeyPolicy" => g.sealing_key_policy = Some(field(&name)),
                "localntp" => g.localntp = Some(field(&name)),
                "useLogFilter" => g.use_log_filter = Some(field(&name)),
                "proxyHeaderConfig" => g.proxy_header_config = Some(field(&name)),
                _ => self.unknown("global", &name, kline),
            }
        }
        g
    }

    fn attestation(&mut self, field: Field) -> RawAttestation {
        let mut url = None;
        if let Value::Map(entries) = &field.node.value {
            for (k, v) in entries {
                let name = k.key_text();
                if name == "url" {
                    url = Some(Field {
                        path: join(&field.path, "url"),
                        line: k.line,
                        node: v.clone(),
                    });
                } else {
                    self.unknown(&field.path, &name, k.line);
                }
            }
        }
        RawAttestation { field, url }
    }

    fn proxy(&mut self, field: Field) -> Option<RawProxy> {
        if field.node.is_null() {
            return None;
        }
        let mut proxy = RawProxy {
            field: field.clone(),
            url: None,
            exclude: None,
        };
        let entries = self.entries(
            &field.path,
            field.line,
            field.node,
            "a mapping with url and exclude",
        );
        for (name, kline, value) in entries {
            let f = Field {
                path: join(&field.path, &name),
                line: kline,
                node: value,
            };
            match name.as_str() {
                "url" => proxy.url = Some(f),
                "exclude" => proxy.exclude = Some(f),
                _ => self.unknown(&field.path, &name, kline),
            }
        }
        Some(proxy)
    }

    fn sdkms(&mut self, line: u32, node: Node) -> RawSdkms {
        let mut s = RawSdkms {
            line: Some(line),
            ..RawSdkms::default()
        };
        for (name, kline, value) in
            self.entries("sdkms", line, node, "a mapping (the sdkms section)")
        {
            let f = Field {
                path: join("sdkms", &name),
                line: kline,
                node: value,
            };
            match name.as_str() {
                "clusterIp" => s.cluster_ip = Some(f),
                "useLogFilter" => s.use_log_filter = Some(f),
                "proxyHeaderConfig" => s.proxy_header_config = Some(f),
                _ => self.unknown("sdkms", &name, kline),
            }
        }
        s
    }

    fn keepalived(&mut self, line: u32, node: Node) -> RawKeepalived {
        let mut k = RawKeepalived {
            line: Some(line),
            ..RawKeepalived::default()
        };
        for (name, kline, value) in self.entries(
            "keepalived",
            line,
            node,
            "a mapping (the keepalived section)",
        ) {
            match name.as_str() {
                "nwIface" => {
                    k.nw_iface = Some(Field {
                        path: "keepalived.nwIface".to_owned(),
                        line: kline,
                        node: value,
                    });
                }
                _ => self.unknown("keepalived", &name, kline),
            }
        }
        k
    }

    fn fluentd(&mut self, line: u32, node: Node) -> RawFluentd {
        let mut fl = RawFluentd {
            line: Some(line),
            ..RawFluentd::default()
        };
        for (name, kline, value) in
            self.entries("fluentd", line, node, "a mapping (the fluentd section)")
        {
            let f = Field {
                path: join("fluentd", &name),
                line: kline,
                node: value,
            };
            match name.as_str() {
                "advancedSyslog" => fl.advanced_syslog = self.advanced_syslog(f),
                "remoteSyslog" => {
                    if !f.node.is_null() {
                        fl.remote_syslog = Some(self.syslog_entry(f, false));
                    }
                }
                _ => self.unknown("fluentd", &name, kline),
            }
        }
        fl
    }

    fn advanced_syslog(&mut self, field: Field) -> Option<(Field, Vec<RawSyslogEntry>)> {
        let items = match &field.node.value {
            Value::Null => return None,
            Value::Seq(items) => items.clone(),
            _ => {
                self.errors.push(field.invalid(Problem::WrongType {
                    expected: "a list of {host, port, protocol, log_type} entries",
                }));
                return None;
            }
        };
        let entries = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let f = Field {
                    path: format!("{}[{i}]", field.path),
                    line: item.line,
                    node: item,
                };
                self.syslog_entry(f, true)
            })
            .collect();
        Some((field, entries))
    }

    fn syslog_entry(&mut self, field: Field, with_log_type: bool) -> RawSyslogEntry {
        let mut e = RawSyslogEntry {
            field: field.clone(),
            host: None,
            port: None,
            protocol: None,
            log_type: None,
        };
        let expected = if with_log_type {
            "a mapping with host, port, protocol and log_type"
        } else {
            "a mapping with host, port and protocol"
        };
        let suggest_prefix = if with_log_type {
            "fluentd.advancedSyslog[]"
        } else {
            "fluentd.remoteSyslog"
        };
        for (name, kline, value) in self.entries(&field.path, field.line, field.node, expected) {
            let f = Field {
                path: join(&field.path, &name),
                line: kline,
                node: value,
            };
            match name.as_str() {
                "host" => e.host = Some(f),
                "port" => e.port = Some(f),
                "protocol" => e.protocol = Some(f),
                "log_type" if with_log_type => e.log_type = Some(f),
                _ => {
                    let suggestion = suggest::closest_key(suggest_prefix, &name)
                        .map(|s| s.replace(suggest_prefix, &field.path));
                    self.unknown.push(UnknownKey {
                        path: join(&field.path, &name),
                        line: kline,
                        suggestion,
                    });
                }
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_known_keys_and_collects_unknown_ones() {
        let raw = RawConfig::from_yaml(
            "global:\n  podSubnet: 10.244.0.0/16\n  clusterIP: 1.2.3.4\nsdkms:\n  clusterIp: 10.0.0.1\nextra: 1\n",
        )
        .unwrap();
        let pod = raw.global.pod_subnet.as_ref().unwrap();
        assert_eq!((pod.path.as_str(), pod.line), ("global.podSubnet", 2));
        assert_eq!(raw.sdkms.cluster_ip.as_ref().unwrap().line, 5);
        assert_eq!(raw.unknown.len(), 2);
        assert_eq!(raw.unknown[0].path, "global.clusterIP");
        assert_eq!(
            raw.unknown[0].suggestion.as_deref(),
            Some("global.clusterIp")
        );
        assert_eq!(raw.unknown[1].path, "extra");
        assert!(raw.structure_errors.is_empty());
    }

    #[test]
    fn syslog_entries_get_indexed_paths() {
        let raw = RawConfig::from_yaml(
            "fluentd:\n  advancedSyslog:\n    - host: 10.0.0.1\n      port: 514\n    - host: 10.0.0.2\n      prot: udp\n",
        )
        .unwrap();
        let (_, entries) = raw.fluentd.advanced_syslog.as_ref().unwrap();
        assert_eq!(
            entries[1].host.as_ref().unwrap().path,
            "fluentd.advancedSyslog[1].host"
        );
        assert_eq!(raw.unknown[0].path, "fluentd.advancedSyslog[1].prot");
        assert_eq!(
            raw.unknown[0].suggestion.as_deref(),
            Some("fluentd.advancedSyslog[1].port")
        );
    }

    #[test]
    fn wrong_kinds_are_structure_errors() {
        let raw = RawConfig::from_yaml("global: 5\nfluentd:\n  advancedSyslog: yes\n").unwrap();
        assert_eq!(raw.structure_errors.len(), 2);
        assert_eq!(raw.structure_errors[0].path(), "global");
        assert_eq!(raw.structure_errors[1].path(), "fluentd.advancedSyslog");
    }

    #[test]
    fn empty_sections_are_fine() {
        let raw = RawConfig::from_yaml("global:\nkeepalived:\n").unwrap();
        assert!(raw.structure_errors.is_empty() && raw.unknown.is_empty());
        assert_eq!(raw.keepalived.line, Some(2));
    }
}
