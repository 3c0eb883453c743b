//! The outbound proxy (`global.proxy`, R-OUT-1): its URL and the hosts that bypass it.
//!
//! Every outbound HTTP(S) connection goes through [`ProxyConfig::url`] unless
//! [`ExcludeList::matches`] says its host is excluded:
//!
//! - host names are suffix matched on label boundaries: `example.com` matches `example.com` and
//!   `api.example.com`, not `badexample.com`;
//! - a leading `.` in an entry is ignored: `.example.com` is the same as `example.com`;
//! - IP entries match that IP literal; CIDR entries match IP literals inside them;
//! - host names are never resolved, so a name never matches an IP or CIDR entry;
//! - an entry with `:port` matches only connections to that port;
//! - no wildcards (`*`) or regular expressions (rejected when the file is validated);
//! - the cluster's own internal names are always excluded ([`ExcludeList::add_internal`]).
//!
//! ```
//! use coffer_config::proxy::ExcludeList;
//!
//! let list: ExcludeList = "example.com,10.0.0.0/8,.corp.local:8443".parse()?;
//! assert!(list.matches("api.example.com", 443));
//! assert!(!list.matches("badexample.com", 443));
//! assert!(list.matches("10.1.2.3", 80));
//! assert!(list.matches("git.corp.local", 8443));
//! assert!(!list.matches("git.corp.local", 443));
//! assert!(list.matches("localhost", 8080)); // internal names are always excluded
//! # Ok::<(), coffer_config::Problem>(())
//! ```

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Serialize, Serializer};

use crate::error::Problem;
use crate::net;

/// `global.proxy`: the proxy every outbound connection uses, and the hosts that do not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyConfig {
    /// `url`: the proxy.
    pub url: ProxyUrl,
    /// `exclude`: hosts reached directly.
    pub exclude: ExcludeList,
}

impl ProxyConfig {
    /// Whether a connection to `host:port` must go through the proxy.
    #[must_use]
    pub fn applies_to(&self, host: &str, port: u16) -> bool {
        !self.exclude.matches(host, port)
    }
}

/// An `http://` or `https://` proxy URL. Credentials in it (`http://user:pass@proxy:3128`) are
/// redacted from `Display`, `Debug` and serialization; [`ProxyUrl::as_str`] has the full URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    full: String,
    redacted: String,
}

impl ProxyUrl {
    /// The URL as written, credentials included. Use it to connect; never log it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The URL with any password replaced by `***`.
    #[must_use]
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl FromStr for ProxyUrl {
    type Err = Problem;

    fn from_str(s: &str) -> Result<Self, Problem> {
        let bad = |detail| Problem::NotHttpUrl {
            detail: Some(detail),
        };
        if s.chars().any(char::is_whitespace) {
            return Err(bad("it contains spaces"));
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or(Problem::NotHttpUrl { detail: None })?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(bad("the scheme must be http or https"));
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) =
            split_host_port(host_port).ok_or(bad("the host or port is not valid"))?;
        let host_ok = match host {
            Host::Ip => true,
            Host::Name(name) => net::is_host_name(name),
        };
        if !host_ok {
            return Err(bad("the host is not an IP address or host name"));
        }
        if port == Some(None) {
            return Err(bad("the port is not 1-65535"));
        }
        let redacted = match userinfo.and_then(|u| u.split_once(':')) {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host_port}{tail}"),
            None => s.to_owned(),
        };
        Ok(ProxyUrl {
            full: s.to_owned(),
            redacted,
        })
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProxyUrl").field(&self.redacted).finish()
    }
}

impl Serialize for ProxyUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted)
    }
}

enum Host<'a> {
    Ip,
    Name(&'a str),
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`. The port is `None` when absent and
/// `Some(None)` when present but not 1-65535. `None` overall when the brackets are malformed.
#[allow(clippy::option_option)]
fn split_host_port(s: &str) -> Option<(Host<'_>, Option<Option<u16>>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(net::parse_port(p.strip_prefix(':')?)),
        };
        return Some((Host::Ip, port));
    }
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => return Some((Host::Ip, None)),
        // In a URL an IPv6 address must be bracketed.
        Ok(IpAddr::V6(_)) => return None,
        Err(_) => {}
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(net::parse_port(p))),
        None => (s, None),
    };
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => Some((Host::Ip, port)),
        // An IPv6 address with a port must be bracketed.
        Ok(IpAddr::V6(_)) => None,
        Err(_) => Some((Host::Name(host), port)),
    }
}

/// What an exclude entry matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExcludeTarget {
    /// A host name and every name under it (lower case, without leading or trailing dot).
    Domain(String),
    /// One IP literal.
    Ip(IpAddr),
    /// IP literals inside a range.
    Cidr(IpNet),
}

/// One `exclude` entry: a host name, IP address or CIDR, with an optional port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExcludeEntry {
    /// What it matches.
    pub target: ExcludeTarget,
    /// When set, only connections to this port match.
    pub port: Option<u16>,
}

/// Characters that only appear in regular expressions (`[` and `]` are accepted around IPv6
/// addresses and checked separately).
const REGEX_CHARS: &[char] = &['^', '$', '(', ')', '|', '+', '?', '\\', '{', '}'];

impl FromStr for ExcludeEntry {
    type Err = Problem;

    /// Parses `example.com`, `.example.com`, `example.com:8443`, `10.0.0.1`, `10.0.0.1:80`,
    /// `fd00::1`, `[fd00::1]:80`, `10.0.0.0/8`, `10.0.0.0/8:443` or `[fd00::/8]:443`.
    fn from_str(s: &str) -> Result<Self, Problem> {
        if s.contains('*') {
            return Err(Problem::Wildcard);
        }
        if s.contains(REGEX_CHARS) || (s.contains(['[', ']']) && !s.starts_with('[')) {
            return Err(Problem::Regex);
        }
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            return Err(Problem::BadExcludeEntry);
        }
        let (body, port) = split_entry_port(s).ok_or(Problem::BadExcludeEntry)?;
        let target = if body.contains('/') {
            ExcludeTarget::Cidr(net::parse_cidr(body)?)
        } else if let Ok(ip) = body.parse::<IpAddr>() {
            ExcludeTarget::Ip(ip)
        } else {
            let name = body.strip_prefix('.').unwrap_or(body);
            if !net::is_host_name(name) {
                return Err(Problem::BadExcludeEntry);
            }
            ExcludeTarget::Domain(normalize_name(name))
        };
        Ok(ExcludeEntry { target, port })
    }
}

/// Splits an entry into its address part and optional port. `None` when malformed.
fn split_entry_port(s: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !inside.contains(':') {
            return None;
        }
        let port = match after {
            "" => None,
            p => Some(net::parse_port(p.strip_prefix(':')?)?),
        };
        return Some((inside, port));
    }
    // Bare IPv6 addresses and ranges carry no port.
    if s.parse::<IpAddr>().is_ok() || s.parse::<IpNet>().is_ok() || s.matches(':').count() > 1 {
        return Some((s, None));
    }
    match s.rsplit_once(':') {
        Some((body, p)) => Some((body, Some(net::parse_port(p)?))),
        None => Some((s, None)),
    }
}

fn normalize_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

impl ExcludeEntry {
    /// Whether this entry covers a connection to `host:port` (see the module docs).
    #[must_use]
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        let host = host.trim();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        match (&self.target, host.parse::<IpAddr>()) {
            (ExcludeTarget::Ip(ip), Ok(addr)) => *ip == addr,
            (ExcludeTarget::Cidr(net), Ok(addr)) => net.contains(&addr),
            (ExcludeTarget::Domain(domain), Err(_)) => {
                let host = normalize_name(host);
                host == *domain
                    || host
                        .strip_suffix(domain.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            _ => false,
        }
    }
}

impl fmt::Display for ExcludeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.target, self.port) {
            (ExcludeTarget::Domain(d), _) => f.write_str(d)?,
            (ExcludeTarget::Ip(IpAddr::V6(ip)), Some(_)) => write!(f, "[{ip}]")?,
            (ExcludeTarget::Ip(ip), _) => write!(f, "{ip}")?,
            (ExcludeTarget::Cidr(IpNet::V6(n)), Some(_)) => write!(f, "[{n}]")?,
            (ExcludeTarget::Cidr(n), _) => write!(f, "{n}")?,
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

impl Serialize for ExcludeEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Internal names every [`ExcludeList`] starts with: this host's loopback names.
pub const DEFAULT_INTERNAL: &[&str] = &["localhost", "127.0.0.0/8", "::1"];

/// `global.proxy.exclude`, plus the cluster's own internal names.
///
/// Serializes as the operator's entries only; the internal names are added at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludeList {
    entries: Vec<ExcludeEntry>,
    internal: Vec<ExcludeEntry>,
}

impl Default for ExcludeList {
    /// No operator entries; the loopback names of [`DEFAULT_INTERNAL`] as internal names.
    fn default() -> Self {
        ExcludeList::new(Vec::new())
    }
}

impl ExcludeList {
    /// A list of operator entries, with [`DEFAULT_INTERNAL`] as internal names.
    #[must_use]
    pub fn new(entries: Vec<ExcludeEntry>) -> Self {
        let internal = DEFAULT_INTERNAL
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        ExcludeList { entries, internal }
    }

    /// The operator's entries, as written (normalized).
    #[must_use]
    pub fn entries(&self) -> &[ExcludeEntry] {
        &self.entries
    }

    /// The internal names that are always excluded.
    #[must_use]
    pub fn internal(&self) -> &[ExcludeEntry] {
        &self.internal
    }

    /// Adds one of the cluster's own names (a node's host name, the cluster domain, an
    /// internal address or range), in exclude syntax. It is always excluded from the proxy.
    ///
    /// # Errors
    /// The entry is not a host name, IP address or CIDR.
    pub fn add_internal(&mut self, name: &str) -> Result<(), Problem> {
        let entry: ExcludeEntry = name.trim().parse()?;
        if !self.internal.contains(&entry) {
            self.internal.push(entry);
        }
        Ok(())
    }

    /// Whether a connection to `host:port` bypasses the proxy. `host` is a host name or an IP
    /// literal (IPv6 with or without brackets); it is never resolved.
    #[must_use]
    pub fn matches(&self, host: &str, port: u16) -> bool {
        self.entries
            .iter()
            .chain(&self.internal)
            .any(|e| e.matches(host, port))
    }
}

impl FromStr for ExcludeList {
    type Err = Problem;

    /// Parses the comma-separated form (`host,host:port,cidr`); spaces around entries are
    /// allowed.
    fn from_str(s: &str) -> Result<Self, Problem> {
        let entries = s
            .split(',')
            .map(|e| e.trim().parse())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExcludeList::new(entries))
    }
}

impl Serialize for ExcludeList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> ExcludeList {
        s.parse().unwrap()
    }

    #[test]
    fn host_names_are_suffix_matched_on_label_boundaries() {
        let l = list("example.com");
        assert!(l.matches("example.com", 443));
        assert!(l.matches("api.example.com", 443));
        assert!(l.matches("a.b.example.com", 80));
        assert!(!l.matches("badexample.com", 443));
        assert!(!l.matches("example.com.evil.net", 443));
        assert!(!l.matches("com", 443));
    }

    #[test]
    fn matching_ignores_case_and_trailing_dots() {
        let l = list("Example.COM");
        assert!(l.matches("API.example.com.", 443));
    }

    #[test]
    fn leading_dot_is_ignored() {
        let dotted = list(".example.com");
        assert_eq!(dotted, list("example.com"));
        assert!(dotted.matches("example.com", 443));
        assert!(dotted.matches("www.example.com", 443));
    }

    #[test]
    fn ip_entries_match_that_literal() {
        let l = list("192.0.2.10,fd00::1");
        assert!(l.matches("192.0.2.10", 443));
        assert!(!l.matches("192.0.2.11", 443));
        assert!(l.matches("fd00::1", 443));
        assert!(l.matches("[fd00::1]", 443));
        assert!(l.matches("fd00:0:0::1", 443));
    }

    #[test]
    fn cidr_entries_match_ip_literals_only() {
        let l = list("10.0.0.0/8,fd00::/8");
        assert!(l.matches("10.1.2.3", 443));
        assert!(!l.matches("11.0.0.1", 443));
        assert!(l.matches("fd12::5", 443));
        // A name is never resolved to see whether it falls inside a range.
        assert!(!l.matches("host.in.ten.net", 443));
        assert!(!l.matches("10.example.com", 443));
    }

    #[test]
    fn names_never_match_ip_entries_and_ips_never_match_names() {
        let l = list("1.2.3.4");
        assert!(!l.matches("one.example.com", 443));
        let l = list("3.4.example");
        assert!(!l.matches("1.2.3.4", 443));
    }

    #[test]
    fn port_narrows_the_match() {
        let l = list("example.com:8443,10.0.0.0/8:443,192.0.2.1:80,[fd00::1]:8080,[fd00::/8]:22");
        assert!(l.matches("api.example.com", 8443));
        assert!(!l.matches("api.example.com", 443));
        assert!(l.matches("10.9.9.9", 443));
        assert!(!l.matches("10.9.9.9", 80));
        assert!(l.matches("192.0.2.1", 80));
        assert!(!l.matches("192.0.2.1", 81));
        assert!(l.matches("fd00::1", 8080));
        assert!(!l.matches("fd00::1", 8081));
        assert!(l.matches("fd00::2", 22));
        assert!(!l.matches("fd00::2", 23));
    }

    #[test]
    fn internal_names_are_always_excluded() {
        let mut l = ExcludeList::default();
        assert!(l.matches("localhost", 9000));
        assert!(l.matches("127.0.0.1", 9000));
        assert!(l.matches("::1", 9000));
        assert!(!l.matches("node-2.coffer.internal", 4433));
        l.add_internal("coffer.internal").unwrap();
        l.add_internal("10.244.0.0/16").unwrap();
        assert!(l.matches("node-2.coffer.internal", 4433));
        assert!(l.matches("10.244.3.4", 4433));
        assert!(l.add_internal("*.bad").is_err());
        // Internal names are not part of the operator's list.
        assert_eq!(serde_json::to_string(&l).unwrap(), "[]");
    }

    #[test]
    fn wildcards_and_regexes_are_refused() {
        assert_eq!(
            "*.example.com".parse::<ExcludeEntry>(),
            Err(Problem::Wildcard)
        );
        assert_eq!("*".parse::<ExcludeEntry>(), Err(Problem::Wildcard));
        assert_eq!(
            "^api\\.example\\.com$".parse::<ExcludeEntry>(),
            Err(Problem::Regex)
        );
        assert_eq!(
            "(a|b).example.com".parse::<ExcludeEntry>(),
            Err(Problem::Regex)
        );
        assert_eq!(
            "api[0-9].example.com".parse::<ExcludeEntry>(),
            Err(Problem::Regex)
        );
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "",
            "a b",
            "example.com:0",
            "example.com:99999",
            "10.0.0.0/33",
            "-x.com",
            "[10.0.0.1]:80",
        ] {
            assert!(bad.parse::<ExcludeEntry>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn entries_print_in_exclude_syntax() {
        let l = list(".Example.com:8443, 10.0.0.0/8 ,fd00::1,[fd00::1]:80,[fd00::/8]:22");
        let printed: Vec<String> = l.entries().iter().map(ToString::to_string).collect();
        assert_eq!(
            printed,
            [
                "example.com:8443",
                "10.0.0.0/8",
                "fd00::1",
                "[fd00::1]:80",
                "[fd00::/8]:22"
            ]
        );
        for p in &printed {
            assert_eq!(&p.parse::<ExcludeEntry>().unwrap().to_string(), p);
        }
    }

    #[test]
    fn proxy_urls() {
        for ok in [
            "http://proxy.corp.local:3128",
            "https://10.0.0.5:8443/",
            "http://[fd00::5]:3128",
            "HTTP://proxy",
        ] {
            assert!(ok.parse::<ProxyUrl>().is_ok(), "{ok}");
        }
        for bad in [
            "proxy.corp.local:3128",
            "socks5://proxy:1080",
            "http://",
            "http://proxy:0",
            "http://proxy:port",
            "http://pro xy:3128",
            "http://fd00::5:3128",
        ] {
            assert!(bad.parse::<ProxyUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn proxy_url_credentials_are_redacted() {
        let url: ProxyUrl = "http://alice:s3cret@proxy:3128/".parse().unwrap();
        assert_eq!(url.as_str(), "http://alice:s3cret@proxy:3128/");
        assert_eq!(url.to_string(), "http://alice:***@proxy:3128/");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(!serde_json::to_string(&url).unwrap().contains("s3cret"));
    }

    #[test]
    fn proxy_applies_unless_excluded() {
        let p = ProxyConfig {
            url: "http://proxy:3128".parse().unwrap(),
            exclude: list("example.com"),
        };
        assert!(p.applies_to("fortanix.com", 443));
        assert!(!p.applies_to("api.example.com", 443));
        assert!(!p.applies_to("localhost", 443));
    }
}
