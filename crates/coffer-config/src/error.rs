//! What can be wrong with a `config.yaml`: errors (the file is refused) and warnings (the file is
//! accepted, but something in it is probably not what the operator meant).
//!
//! Every message starts with the key path as written in the file (`global.podSubnet`,
//! `fluentd.advancedSyslog[1].port`) and its line, so an operator can go straight to it.

use std::fmt;

use ipnet::IpNet;

/// One problem that makes a `config.yaml` unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is not YAML (or holds more than one document, or repeats a key).
    #[error("not valid YAML at line {line}, column {column}: {message}")]
    Syntax {
        /// Line where the parser gave up.
        line: u32,
        /// Column where the parser gave up.
        column: u32,
        /// The parser's description.
        message: String,
    },
    /// A key has a value it cannot have.
    #[error("{path} (line {line}): {found} {problem}")]
    Invalid {
        /// Key path, e.g. `global.podSubnet` or `fluentd.advancedSyslog[0].port`.
        path: String,
        /// Line of the key (or list item).
        line: u32,
        /// The offending value as written, e.g. `"10.244.0.0/33"`.
        found: String,
        /// What is wrong with it.
        problem: Problem,
    },
    /// A key that the rest of the file makes mandatory is absent.
    #[error("{path} is missing{}: {requirement}", within(.section_line))]
    Missing {
        /// Key path of the absent key.
        path: String,
        /// Line of the enclosing section or entry, when it is in the file.
        section_line: Option<u32>,
        /// Why the key is needed.
        requirement: Requirement,
    },
    /// Two keys that are each fine do not go together.
    #[error("{path} (line {line}) and {other_path}{}: {conflict}", at_or_default(.other_line))]
    Conflict {
        /// Key path of the value that was checked.
        path: String,
        /// Its line.
        line: u32,
        /// Key path of the value it clashes with.
        other_path: String,
        /// Its line, or `None` when it is a default that is not in the file.
        other_line: Option<u32>,
        /// How they clash.
        conflict: Conflict,
    },
}

impl ConfigError {
    /// The key path the error is about (empty for syntax errors).
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            ConfigError::Syntax { .. } => "",
            ConfigError::Invalid { path, .. }
            | ConfigError::Missing { path, .. }
            | ConfigError::Conflict { path, .. } => path,
        }
    }

    /// The line the error points at, when there is one.
    #[must_use]
    pub fn line(&self) -> Option<u32> {
        match self {
            ConfigError::Syntax { line, .. }
            | ConfigError::Invalid { line, .. }
            | ConfigError::Conflict { line, .. } => Some(*line),
            ConfigError::Missing { section_line, .. } => *section_line,
        }
    }
}

fn within(section_line: &Option<u32>) -> String {
    section_line.map_or_else(String::new, |l| format!(" (from the section at line {l})"))
}

fn at_or_default(line: &Option<u32>) -> String {
    line.map_or_else(|| " (default)".to_owned(), |l| format!(" (line {l})"))
}

/// What is wrong with a value ([`ConfigError::Invalid`]). Each reads as the end of a sentence
/// that starts with the value: `"10.244.0.0/33" is not a CIDR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The value has the wrong YAML type.
    #[error("is not {expected}")]
    WrongType {
        /// What the key takes, e.g. `true or false`.
        expected: &'static str,
    },
    /// The value is an empty string or null where something is needed.
    #[error("is empty; {expected} is needed")]
    Empty {
        /// What the key takes.
        expected: &'static str,
    },
    /// Not an IP address.
    #[error("is not an IP address")]
    NotAnIp,
    /// An IP address that cannot serve as the cluster IP.
    #[error("cannot be the cluster IP: it is {kind} address")]
    UnusableClusterIp {
        /// `an unspecified`, `a loopback`, `a multicast`.
        kind: &'static str,
    },
    /// Not in CIDR notation.
    #[error("is not a CIDR (an address and a prefix length, e.g. 10.244.0.0/16)")]
    NotACidr,
    /// A CIDR with bits set after its prefix.
    #[error("has address bits set beyond its prefix length; did you mean {network}?")]
    HostBitsSet {
        /// The network the operator probably meant.
        network: IpNet,
    },
    /// Not one of a fixed set of words.
    #[error("is not one of {}{}", .allowed.join(", "), did_you_mean(.suggestion))]
    NotOneOf {
        /// The accepted spellings.
        allowed: &'static [&'static str],
        /// The accepted spelling closest to the value.
        suggestion: Option<&'static str>,
    },
    /// Not a port number.
    #[error("is not a port number (1-65535)")]
    BadPort,
    /// Not a host name or IP address.
    #[error("is not an IP address or host name")]
    BadHost,
    /// An interface list holds a name no interface can have.
    #[error(
        "names {name:?}, which is not a network interface name (1-15 characters, no spaces, `/`, `:` or `,`)"
    )]
    BadInterfaceName {
        /// The bad name.
        name: String,
    },
    /// A comma-separated list has an empty item (`a,,b` or a trailing comma).
    #[error("has an empty item (two commas in a row, or a comma at either end)")]
    EmptyItem,
    /// A comma-separated list names the same thing twice.
    #[error("lists {item:?} twice")]
    DuplicateItem {
        /// The repeated item.
        item: String,
    },
    /// Whitespace inside a value that must not have any.
    #[error(
        "contains spaces; the value must have no spaces anywhere, e.g. \"maybefrom=10.0.0.0/24,10.0.1.0/24\""
    )]
    ContainsSpaces,
    /// Not a PROXY-protocol policy.
    #[error(
        "is not disabled, \"maybefrom=<cidr>,<cidr>,...\" or \"requiredfrom=<cidr>,<cidr>,...\""
    )]
    NotAProxyHeaderPolicy,
    /// A PROXY-protocol policy with a bad CIDR in its list.
    #[error("lists {item:?}, which {problem}")]
    BadListItem {
        /// The bad item.
        item: String,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
    /// Not an `http://` or `https://` URL.
    #[error("is not an http:// or https:// URL{}", paren(.detail))]
    NotHttpUrl {
        /// Which part is wrong, when known.
        detail: Option<&'static str>,
    },
    /// Neither a URL nor a host name.
    #[error("is not an http(s) URL or a host name")]
    NotUrlOrHost,
    /// A proxy exclude entry with a wildcard.
    #[error(
        "uses a wildcard (*), which exclude does not support; entries are suffix matched, so \"example.com\" already covers every name under example.com"
    )]
    Wildcard,
    /// A proxy exclude entry that looks like a regular expression.
    #[error(
        "looks like a regular expression, which exclude does not support; use a host name (suffix matched), an IP address or a CIDR"
    )]
    Regex,
    /// A proxy exclude entry that is not a host name, IP address or CIDR.
    #[error("is not a host name, IP address or CIDR (each optionally followed by :port)")]
    BadExcludeEntry,
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    suggestion.map_or_else(String::new, |s| format!("; did you mean {s}?"))
}

fn paren(detail: &Option<&'static str>) -> String {
    detail.map_or_else(String::new, |d| format!(" ({d})"))
}

/// Why an absent key is needed ([`ConfigError::Missing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Requirement {
    /// The built-in load balancer needs the cluster IP.
    #[error(
        "the built-in load balancer (the default) needs the cluster IP that clients use; with an external load balancer set global.externalLoadBalancer: true instead"
    )]
    BuiltInClusterIp,
    /// The built-in load balancer needs the interface that carries the cluster IP.
    #[error(
        "the built-in load balancer (the default) needs the interface that carries the cluster IP, e.g. nwIface: enp80s0f0 (hybrid clusters: enp80s0f0,eno1)"
    )]
    BuiltInInterface,
    /// An external load balancer still needs `global.clusterIp`.
    #[error(
        "global.externalLoadBalancer is true, which still needs global.clusterIp set to a placeholder, e.g. clusterIp: dummy"
    )]
    ExternalPlaceholder,
    /// A proxy needs its URL.
    #[error("global.proxy needs the proxy's URL")]
    ProxyUrl,
    /// Attestation given as a mapping needs its URL.
    #[error("global.attestation given as a mapping needs the attestation service's url")]
    AttestationUrl,
    /// Every syslog entry needs all of its fields.
    #[error("every syslog entry needs host, port and protocol (and log_type in advancedSyslog)")]
    SyslogField,
}

/// How two values clash ([`ConfigError::Conflict`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Conflict {
    /// The same setting appears in `global` and `sdkms` with different values.
    #[error(
        "the same setting is given twice with different values ({value} and {other_value}); keep one of them (its home is the sdkms section)"
    )]
    DifferentValues {
        /// Value at `path`.
        value: String,
        /// Value at `other_path`.
        other_value: String,
    },
    /// The service and pod subnets overlap.
    #[error("{subnet} overlaps {other}; the internal subnets must not overlap")]
    SubnetsOverlap {
        /// The subnet at `path`.
        subnet: IpNet,
        /// The subnet at `other_path`.
        other: IpNet,
    },
    /// A PROXY-protocol source range overlaps the pod subnet.
    #[error(
        "{cidr} overlaps the pod subnet {pod_subnet}; the PROXY header source ranges must exclude the pod subnet and should contain only the load balancers"
    )]
    OverlapsPodSubnet {
        /// The offending source range.
        cidr: IpNet,
        /// The pod subnet.
        pod_subnet: IpNet,
    },
}

/// Something in a `config.yaml` that is accepted but probably not what was meant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A key Coffer does not know; it is ignored.
    UnknownKey {
        /// Key path as written.
        path: String,
        /// Line of the key.
        line: u32,
        /// The known key path closest to it.
        suggestion: Option<String>,
    },
    /// A key that still works but will go away.
    Deprecated {
        /// Key path.
        path: String,
        /// Line of the key.
        line: u32,
        /// What to use instead.
        replacement: &'static str,
    },
    /// A known key that has no effect with the rest of this file.
    Ignored {
        /// Key path.
        path: String,
        /// Line of the key.
        line: u32,
        /// Why it has no effect.
        reason: &'static str,
    },
}

impl Warning {
    /// The key path the warning is about.
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Warning::UnknownKey { path, .. }
            | Warning::Deprecated { path, .. }
            | Warning::Ignored { path, .. } => path,
        }
    }

    /// The line the warning points at.
    #[must_use]
    pub fn line(&self) -> u32 {
        match self {
            Warning::UnknownKey { line, .. }
            | Warning::Deprecated { line, .. }
            | Warning::Ignored { line, .. } => *line,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::UnknownKey {
                path,
                line,
                suggestion: Some(s),
            } => write!(f, "unknown key `{path}` (line {line}); did you mean `{s}`?"),
            Warning::UnknownKey {
                path,
                line,
                suggestion: None,
            } => write!(f, "unknown key `{path}` (line {line}) is ignored"),
            Warning::Deprecated {
                path,
                line,
                replacement,
            } => write!(
                f,
                "{path} (line {line}) is deprecated and will be removed in a future release; use {replacement}"
            ),
            Warning::Ignored { path, line, reason } => {
                write!(f, "{path} (line {line}) is ignored: {reason}")
            }
        }
    }
}

/// Every error found in a `config.yaml`, in file order, with the warnings found alongside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
    warnings: Vec<Warning>,
}

impl ConfigErrors {
    /// Collects errors and warnings, each sorted by line (errors without a line last).
    #[must_use]
    pub fn new(mut errors: Vec<ConfigError>, mut warnings: Vec<Warning>) -> Self {
        errors.sort_by_key(|e| e.line().unwrap_or(u32::MAX));
        warnings.sort_by_key(Warning::line);
        ConfigErrors { errors, warnings }
    }

    /// The errors, in file order.
    #[must_use]
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    /// Warnings found while looking for errors.
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Number of errors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there are no errors.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Iterates over the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.errors.iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [one] => write!(f, "config.yaml is invalid: {one}")?,
            many => {
                write!(f, "config.yaml is invalid ({} errors):", many.len())?;
                for e in many {
                    write!(f, "\n  {e}")?;
                }
            }
        }
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_path_and_line() {
        let e = ConfigError::Invalid {
            path: "global.podSubnet".into(),
            line: 7,
            found: "\"10.244.0.0/33\"".into(),
            problem: Problem::NotACidr,
        };
        assert!(
            e.to_string()
                .starts_with("global.podSubnet (line 7): \"10.244.0.0/33\" is not a CIDR"),
            "{e}"
        );
        let w = Warning::UnknownKey {
            path: "global.clusterIP".into(),
            line: 3,
            suggestion: Some("global.clusterIp".into()),
        };
        assert_eq!(
            w.to_string(),
            "unknown key `global.clusterIP` (line 3); did you mean `global.clusterIp`?"
        );
    }

    #[test]
    fn collection_is_sorted_by_line() {
        let mk = |line| ConfigError::Invalid {
            path: "x".into(),
            line,
            found: "1".into(),
            problem: Problem::NotAnIp,
        };
        let errs = ConfigErrors::new(vec![mk(9), mk(2)], vec![]);
        let lines: Vec<_> = errs.iter().filter_map(ConfigError::line).collect();
        assert_eq!(lines, [2, 9]);
        assert!(errs.to_string().contains("(2 errors)"));
    }
}
