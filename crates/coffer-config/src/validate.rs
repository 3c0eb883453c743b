//! Stage 2: [`RawConfig`] → [`ClusterConfig`], reporting every problem at once.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::{ConfigError, ConfigErrors, Conflict, Problem, Requirement, Warning};
use crate::model::{
    Attestation, ClusterConfig, DEFAULT_POD_SUBNET, DEFAULT_SERVICE_SUBNET, LoadBalancer, LogType,
    SealingKeyPolicy, SyslogHost, SyslogProtocol, SyslogServer, SyslogTarget, Validated,
};
use crate::net;
use crate::proxy::{ExcludeEntry, ExcludeList, ProxyConfig, ProxyUrl};
use crate::proxy_header::ProxyHeaderConfig;
use crate::raw::{Field, RawAttestation, RawConfig, RawProxy, RawSyslogEntry};
use crate::yaml::Value;

const BOOL: &str = "true or false";
const IP: &str = "an IP address";
const CIDR: &str = "a CIDR such as 10.244.0.0/16";
const PROTOCOLS: &[&str] = &["tcp", "udp"];
const LOG_TYPES: &[&str] = &["CONTAINER", "SYSTEM", "SDKMS"];
const SEALING: &[&str] = &["sgx", "personalizationKey", "recoveryKey"];

/// Linux rejects interface names that are empty, 16 bytes or longer, `.` or `..`, or that
/// contain `/`, `:` or whitespace.
fn valid_interface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 16
        && name != "."
        && name != ".."
        && !name.contains(['/', ':', ','])
        && !name.chars().any(char::is_whitespace)
}

/// A subnet as used: its value, and where it was written (`None`: the default).
struct Subnet {
    net: IpNet,
    path: &'static str,
    line: Option<u32>,
}

/// The outcome for a setting that may be written in `sdkms` or in `global`.
enum Either<'a, T> {
    Absent,
    Value(T, &'a Field),
    Failed,
}

#[derive(Default)]
struct Check {
    errors: Vec<ConfigError>,
    warnings: Vec<Warning>,
}

pub(crate) fn validate(raw: RawConfig) -> Result<Validated, ConfigErrors> {
    let mut c = Check {
        errors: raw.structure_errors.clone(),
        warnings: raw
            .unknown
            .iter()
            .map(|u| Warning::UnknownKey {
                path: u.path.clone(),
                line: u.line,
                suggestion: u.suggestion.clone(),
            })
            .collect(),
    };

    let load_balancer = c.load_balancer(&raw);
    let attestation = c.attestation(raw.global.attestation.as_ref());
    let (service, pod) = c.subnets(&raw);
    let advanced_syslog = c.advanced_syslog(&raw);
    let remote_syslog = c.remote_syslog(&raw);
    let use_log_filter = match c.either(
        raw.sdkms.use_log_filter.as_ref(),
        raw.global.use_log_filter.as_ref(),
        Check::boolean,
        bool::to_string,
    ) {
        Either::Absent => Some(false),
        Either::Value(v, _) => Some(v),
        Either::Failed => None,
    };
    let proxy = c.proxy(raw.global.proxy.as_ref());
    let proxy_header = c.proxy_header(&raw, pod.as_ref());
    let sealing_key_policy = match &raw.global.sealing_key_policy {
        None => Some(SealingKeyPolicy::default()),
        Some(f) => c.one_of(f, &SealingKeyPolicy::ALL, SEALING),
    };
    let local_ntp = match &raw.global.localntp {
        None => Some(false),
        Some(f) => c.boolean(f),
    };

    if !c.errors.is_empty() {
        return Err(ConfigErrors::new(c.errors, c.warnings));
    }
    let (
        Some(load_balancer),
        Some(attestation),
        Some(service),
        Some(pod),
        Some(advanced_syslog),
        Some(remote_syslog),
        Some(use_log_filter),
        Some(proxy),
        Some(proxy_header),
        Some(sealing_key_policy),
        Some(local_ntp),
    ) = (
        load_balancer,
        attestation,
        service,
        pod,
        advanced_syslog,
        remote_syslog,
        use_log_filter,
        proxy,
        proxy_header,
        sealing_key_policy,
        local_ntp,
    )
    else {
        // Every check that yields nothing has recorded an error, so this is not reached.
        return Err(ConfigErrors::new(c.errors, c.warnings));
    };
    c.warnings.sort_by_key(Warning::line);
    Ok(Validated {
        config: ClusterConfig {
            load_balancer,
            attestation,
            service_subnet: service.net,
            pod_subnet: pod.net,
            advanced_syslog,
            remote_syslog,
            use_log_filter,
            proxy,
            proxy_header,
            sealing_key_policy,
            local_ntp,
        },
        warnings: c.warnings,
    })
}

impl Check {
    fn fail<T>(&mut self, error: ConfigError) -> Option<T> {
        self.errors.push(error);
        None
    }

    fn missing<T>(
        &mut self,
        path: &str,
        section_line: Option<u32>,
        requirement: Requirement,
    ) -> Option<T> {
        self.fail(ConfigError::Missing {
            path: path.to_owned(),
            section_line,
            requirement,
        })
    }

    fn ignored(&mut self, field: &Field, reason: &'static str) {
        self.warnings.push(Warning::Ignored {
            path: field.path.clone(),
            line: field.line,
            reason,
        });
    }

    /// A non-empty string.
    fn string<'f>(&mut self, f: &'f Field, expected: &'static str) -> Option<&'f str> {
        match &f.node.value {
            Value::Str(s) if !s.trim().is_empty() => Some(s),
            Value::Str(_) | Value::Null => self.fail(f.invalid(Problem::Empty { expected })),
            _ => self.fail(f.invalid(Problem::WrongType { expected })),
        }
    }

    fn boolean(&mut self, f: &Field) -> Option<bool> {
        match f.node.value {
            Value::Bool(b) => Some(b),
            _ => self.fail(f.invalid(Problem::WrongType { expected: BOOL })),
        }
    }

    fn ip(&mut self, f: &Field) -> Option<IpAddr> {
        let s = self.string(f, IP)?;
        match s.trim().parse() {
            Ok(ip) => Some(ip),
            Err(_) => self.fail(f.invalid(Problem::NotAnIp)),
        }
    }

    fn cidr(&mut self, f: &Field) -> Option<IpNet> {
        let s = self.string(f, CIDR)?;
        match net::parse_cidr(s.trim()) {
            Ok(n) => Some(n),
            Err(p) => self.fail(f.invalid(p)),
        }
    }

    fn port(&mut self, f: &Field) -> Option<u16> {
        let port = match &f.node.value {
            Value::Int(i) => u16::try_from(*i).ok().filter(|p| *p != 0),
            Value::Str(s) => net::parse_port(s.trim()),
            _ => None,
        };
        match port {
            Some(p) => Some(p),
            None => self.fail(f.invalid(Problem::BadPort)),
        }
    }

    /// One of a fixed set of words, spelled exactly; a near miss gets a suggestion.
    fn one_of<T: Copy>(
        &mut self,
        f: &Field,
        table: &[(&'static str, T)],
        allowed: &'static [&'static str],
    ) -> Option<T> {
        let expected = "one of the listed words";
        let found = match &f.node.value {
            Value::Str(s) => s.as_str(),
            Value::Null => return self.fail(f.invalid(Problem::Empty { expected })),
            _ => "",
        };
        if let Some((_, v)) = table.iter().find(|(name, _)| *name == found) {
            return Some(*v);
        }
        let suggestion = allowed
            .iter()
            .copied()
            .map(|a| {
                (
                    strsim::levenshtein(&a.to_lowercase(), &found.to_lowercase()),
                    a,
                )
            })
            .filter(|(d, a)| *d <= (a.len() / 3).max(1))
            .min()
            .map(|(_, a)| a);
        self.fail(f.invalid(Problem::NotOneOf {
            allowed,
            suggestion,
        }))
    }

    fn load_balancer(&mut self, raw: &RawConfig) -> Option<LoadBalancer> {
        let external = match &raw.global.external_load_balancer {
            None => false,
            Some(f) => match self.boolean(f) {
                Some(external) => external,
                None => {
                    // The mode is unknown: still check the values that are there.
                    if let Some(f) = &raw.sdkms.cluster_ip {
                        self.cluster_ip(f);
                    }
                    if let Some(f) = &raw.keepalived.nw_iface {
                        self.interfaces(f);
                    }
                    return None;
                }
            },
        };
        if external {
            for f in [&raw.sdkms.cluster_ip, &raw.keepalived.nw_iface]
                .into_iter()
                .flatten()
            {
                self.ignored(
                    f,
                    "global.externalLoadBalancer is true, so no node holds a cluster IP",
                );
            }
            let Some(f) = &raw.global.cluster_ip else {
                return self.missing(
                    "global.clusterIp",
                    raw.global.line,
                    Requirement::ExternalPlaceholder,
                );
            };
            let expected = "a placeholder such as dummy";
            let placeholder = match &f.node.value {
                Value::Seq(_) | Value::Map(_) => {
                    return self.fail(f.invalid(Problem::WrongType { expected }));
                }
                Value::Null => return self.fail(f.invalid(Problem::Empty { expected })),
                Value::Str(s) if s.trim().is_empty() => {
                    return self.fail(f.invalid(Problem::Empty { expected }));
                }
                _ => f.node.key_text(),
            };
            return Some(LoadBalancer::External { placeholder });
        }

        if let Some(f) = &raw.global.cluster_ip {
            self.ignored(
                f,
                "it is only used with global.externalLoadBalancer: true; the built-in load balancer uses sdkms.clusterIp",
            );
        }
        let cluster_ip = match &raw.sdkms.cluster_ip {
            None => self.missing(
                "sdkms.clusterIp",
                raw.sdkms.line,
                Requirement::BuiltInClusterIp,
            ),
            Some(f) => self.cluster_ip(f),
        };
        let interfaces = match &raw.keepalived.nw_iface {
            None => self.missing(
                "keepalived.nwIface",
                raw.keepalived.line,
                Requirement::BuiltInInterface,
            ),
            Some(f) => self.interfaces(f),
        };
        Some(LoadBalancer::BuiltIn {
            cluster_ip: cluster_ip?,
            interfaces: interfaces?,
        })
    }

    /// `sdkms.clusterIp`: an address a node can hold for clients.
    fn cluster_ip(&mut self, f: &Field) -> Option<IpAddr> {
        let ip = self.ip(f)?;
        let kind = match ip {
            _ if ip.is_unspecified() => Some("an unspecified"),
            _ if ip.is_loopback() => Some("a loopback"),
            _ if ip.is_multicast() => Some("a multicast"),
            IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast"),
            _ => None,
        };
        match kind {
            Some(kind) => self.fail(f.invalid(Problem::UnusableClusterIp { kind })),
            None => Some(ip),
        }
    }

    /// `nwIface`: one name, a comma-separated list, or a YAML list of names.
    fn interfaces(&mut self, f: &Field) -> Option<Vec<String>> {
        let expected = "an interface name or a comma-separated list of them";
        let names: Vec<String> = match &f.node.value {
            Value::Str(s) if !s.trim().is_empty() => {
                s.split(',').map(|n| n.trim().to_owned()).collect()
            }
            Value::Seq(items) => {
                let mut names = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(s) => names.push(s.trim().to_owned()),
                        None => return self.fail(f.invalid(Problem::WrongType { expected })),
                    }
                }
                names
            }
            Value::Str(_) | Value::Null => {
                return self.fail(f.invalid(Problem::Empty { expected }));
            }
            _ => return self.fail(f.invalid(Problem::WrongType { expected })),
        };
        let mut seen: Vec<String> = Vec::new();
        for name in names {
            if name.is_empty() {
                return self.fail(f.invalid(Problem::EmptyItem));
            }
            if !valid_interface_name(&name) {
                return self.fail(f.invalid(Problem::BadInterfaceName { name }));
            }
            if seen.contains(&name) {
                return self.fail(f.invalid(Problem::DuplicateItem { item: name }));
            }
            seen.push(name);
        }
        if seen.is_empty() {
            return self.fail(f.invalid(Problem::Empty { expected }));
        }
        Some(seen)
    }

    fn attestation(&mut self, raw: Option<&RawAttestation>) -> Option<Attestation> {
        let Some(raw) = raw else {
            return Some(Attestation::Default);
        };
        let f = &raw.field;
        let target = match &f.node.value {
            Value::Null => return Some(Attestation::Disabled),
            Value::Str(_) => f,
            Value::Map(_) => match &raw.url {
                Some(url) => url,
                None => {
                    return self.missing(
                        "global.attestation.url",
                        Some(f.line),
                        Requirement::AttestationUrl,
                    );
                }
            },
            _ => {
                return self.fail(f.invalid(Problem::WrongType {
                    expected: "null (attestation off), a URL or host name, or {url: ...}",
                }));
            }
        };
        let s = self.string(target, "a URL or host name")?.trim();
        let ok = if s.contains("://") {
            s.parse::<ProxyUrl>().is_ok()
        } else {
            net::is_ip_or_host(s)
                || s.rsplit_once(':')
                    .is_some_and(|(h, p)| net::is_ip_or_host(h) && net::parse_port(p).is_some())
        };
        if ok {
            Some(Attestation::Url(s.to_owned()))
        } else {
            self.fail(target.invalid(Problem::NotUrlOrHost))
        }
    }

    fn subnet(
        &mut self,
        field: Option<&Field>,
        path: &'static str,
        default: &str,
    ) -> Option<Subnet> {
        match field {
            None => default.parse().ok().map(|net| Subnet {
                net,
                path,
                line: None,
            }),
            Some(f) => self.cidr(f).map(|net| Subnet {
                net,
                path,
                line: Some(f.line),
            }),
        }
    }

    fn subnets(&mut self, raw: &RawConfig) -> (Option<Subnet>, Option<Subnet>) {
        let service = self.subnet(
            raw.global.service_subnet.as_ref(),
            "global.serviceSubnet",
            DEFAULT_SERVICE_SUBNET,
        );
        let pod = self.subnet(
            raw.global.pod_subnet.as_ref(),
            "global.podSubnet",
            DEFAULT_POD_SUBNET,
        );
        if let (Some(s), Some(p)) = (&service, &pod)
            && net::overlap(&s.net, &p.net)
        {
            // Name the one written in the file first (the pod subnet if both are).
            let (first, second) = if p.line.is_some() { (p, s) } else { (s, p) };
            self.errors.push(ConfigError::Conflict {
                path: first.path.to_owned(),
                line: first.line.unwrap_or(0),
                other_path: second.path.to_owned(),
                other_line: second.line,
                conflict: Conflict::SubnetsOverlap {
                    subnet: first.net,
                    other: second.net,
                },
            });
            return (None, None);
        }
        (service, pod)
    }

    fn syslog_host(&mut self, f: &Field) -> Option<SyslogHost> {
        let s = self.string(f, "an IP address or host name")?.trim();
        if let Ok(ip) = s.parse() {
            Some(SyslogHost::Ip(ip))
        } else if net::is_host_name(s) {
            Some(SyslogHost::Name(s.to_owned()))
        } else {
            self.fail(f.invalid(Problem::BadHost))
        }
    }

    /// Host, port and protocol of a syslog entry; `None` (with errors) if any is bad or absent.
    fn syslog_server(&mut self, e: &RawSyslogEntry) -> Option<SyslogServer> {
        let line = Some(e.field.line);
        let path = |k: &str| format!("{}.{k}", e.field.path);
        let host = match &e.host {
            Some(f) => self.syslog_host(f),
            None => self.missing(&path("host"), line, Requirement::SyslogField),
        };
        let port = match &e.port {
            Some(f) => self.port(f),
            None => self.missing(&path("port"), line, Requirement::SyslogField),
        };
        let protocol = match &e.protocol {
            Some(f) => self.one_of(
                f,
                &[("tcp", SyslogProtocol::Tcp), ("udp", SyslogProtocol::Udp)],
                PROTOCOLS,
            ),
            None => self.missing(&path("protocol"), line, Requirement::SyslogField),
        };
        Some(SyslogServer {
            host: host?,
            port: port?,
            protocol: protocol?,
        })
    }

    fn advanced_syslog(&mut self, raw: &RawConfig) -> Option<Vec<SyslogTarget>> {
        let Some((_, entries)) = &raw.fluentd.advanced_syslog else {
            return Some(Vec::new());
        };
        let mut targets = Vec::new();
        let mut ok = true;
        for e in entries {
            // An entry that is not a mapping is already a structure error.
            if !matches!(e.field.node.value, Value::Map(_)) {
                ok = false;
                continue;
            }
            let server = self.syslog_server(e);
            let log_type = match &e.log_type {
                Some(f) => self.one_of(
                    f,
                    &[
                        ("CONTAINER", LogType::Container),
                        ("SYSTEM", LogType::System),
                        ("SDKMS", LogType::Sdkms),
                    ],
                    LOG_TYPES,
                ),
                None => self.missing(
                    &format!("{}.log_type", e.field.path),
                    Some(e.field.line),
                    Requirement::SyslogField,
                ),
            };
            match (server, log_type) {
                (Some(s), Some(log_type)) => targets.push(SyslogTarget {
                    host: s.host,
                    port: s.port,
                    protocol: s.protocol,
                    log_type,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(targets)
    }

    fn remote_syslog(&mut self, raw: &RawConfig) -> Option<Option<SyslogServer>> {
        let Some(e) = &raw.fluentd.remote_syslog else {
            return Some(None);
        };
        self.warnings.push(Warning::Deprecated {
            path: e.field.path.clone(),
            line: e.field.line,
            replacement: "fluentd.advancedSyslog (one entry per log_type: CONTAINER, SYSTEM, SDKMS)",
        });
        if !matches!(e.field.node.value, Value::Map(_)) {
            return None;
        }
        self.syslog_server(e).map(Some)
    }

    /// A setting whose home is `sdkms` but that `global` may hold too.
    fn either<'a, T: PartialEq>(
        &mut self,
        home: Option<&'a Field>,
        alias: Option<&'a Field>,
        parse: fn(&mut Check, &Field) -> Option<T>,
        show: fn(&T) -> String,
    ) -> Either<'a, T> {
        let (field, value) = match (home, alias) {
            (None, None) => return Either::Absent,
            (Some(f), None) | (None, Some(f)) => (f, parse(self, f)),
            (Some(h), Some(a)) => {
                let vh = parse(self, h);
                // The same text in both places is one setting: report its problems once.
                if h.node.value == a.node.value {
                    return vh.map_or(Either::Failed, |v| Either::Value(v, h));
                }
                match (vh, parse(self, a)) {
                    (Some(x), Some(y)) if x != y => {
                        let (first, fv, second, sv) = if a.line < h.line {
                            (a, &y, h, &x)
                        } else {
                            (h, &x, a, &y)
                        };
                        self.errors.push(ConfigError::Conflict {
                            path: first.path.clone(),
                            line: first.line,
                            other_path: second.path.clone(),
                            other_line: Some(second.line),
                            conflict: Conflict::DifferentValues {
                                value: show(fv),
                                other_value: show(sv),
                            },
                        });
                        return Either::Failed;
                    }
                    (Some(x), Some(_)) => (h, Some(x)),
                    _ => return Either::Failed,
                }
            }
        };
        value.map_or(Either::Failed, |v| Either::Value(v, field))
    }

    fn proxy_header_value(&mut self, f: &Field) -> Option<ProxyHeaderConfig> {
        match &f.node.value {
            Value::Null => Some(ProxyHeaderConfig::Disabled),
            Value::Str(s) => match s.parse() {
                Ok(v) => Some(v),
                Err(p) => self.fail(f.invalid(p)),
            },
            _ => self.fail(f.invalid(Problem::WrongType {
                expected: "disabled, \"maybefrom=<cidr>,...\" or \"requiredfrom=<cidr>,...\"",
            })),
        }
    }

    fn proxy_header(&mut self, raw: &RawConfig, pod: Option<&Subnet>) -> Option<ProxyHeaderConfig> {
        let (value, field) = match self.either(
            raw.sdkms.proxy_header_config.as_ref(),
            raw.global.proxy_header_config.as_ref(),
            Check::proxy_header_value,
            |v| format!("{:?}", v.to_string()),
        ) {
            Either::Absent => return Some(ProxyHeaderConfig::Disabled),
            Either::Failed => return None,
            Either::Value(v, f) => (v, f),
        };
        let mut ok = true;
        if let Some(pod) = pod {
            for cidr in value.cidrs() {
                if net::overlap(cidr, &pod.net) {
                    ok = false;
                    self.errors.push(ConfigError::Conflict {
                        path: field.path.clone(),
                        line: field.line,
                        other_path: pod.path.to_owned(),
                        other_line: pod.line,
                        conflict: Conflict::OverlapsPodSubnet {
                            cidr: *cidr,
                            pod_subnet: pod.net,
                        },
                    });
                }
            }
        }
        ok.then_some(value)
    }

    fn proxy(&mut self, raw: Option<&RawProxy>) -> Option<Option<ProxyConfig>> {
        let Some(raw) = raw else {
            return Some(None);
        };
        // A proxy that is not a mapping is already a structure error.
        if !matches!(raw.field.node.value, Value::Map(_)) {
            return None;
        }
        let url = match &raw.url {
            None => self.missing(
                "global.proxy.url",
                Some(raw.field.line),
                Requirement::ProxyUrl,
            ),
            Some(f) => self.string(f, "an http:// or https:// URL").and_then(|s| {
                match s.trim().parse::<ProxyUrl>() {
                    Ok(u) => Some(u),
                    Err(p) => self.fail(f.invalid(p)),
                }
            }),
        };
        let exclude = match &raw.exclude {
            None => Some(ExcludeList::default()),
            Some(f) => self.exclude(f),
        };
        Some(Some(ProxyConfig {
            url: url?,
            exclude: exclude?,
        }))
    }

    fn exclude_entry(&mut self, text: &str, at: &Field) -> Option<ExcludeEntry> {
        match text.trim().parse() {
            Ok(e) => Some(e),
            Err(p) => self.fail(at.invalid_value(format!("{:?}", text.trim()), p)),
        }
    }

    /// `exclude`: a comma-separated string or a list; every bad entry is reported.
    fn exclude(&mut self, f: &Field) -> Option<ExcludeList> {
        let parsed: Vec<Option<ExcludeEntry>> = match &f.node.value {
            Value::Null => Vec::new(),
            Value::Str(s) => {
                let items: Vec<&str> = s.split(',').collect();
                if items.iter().any(|i| i.trim().is_empty()) {
                    return self.fail(f.invalid(Problem::EmptyItem));
                }
                items
                    .into_iter()
                    .map(|i| self.exclude_entry(i, f))
                    .collect()
            }
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let at = Field {
                        path: format!("{}[{i}]", f.path),
                        line: item.line,
                        node: item.clone(),
                    };
                    match item.as_str() {
                        Some(s) => self.exclude_entry(s, &at),
                        None => self.fail(at.invalid(Problem::WrongType {
                            expected: "a host name, IP address or CIDR",
                        })),
                    }
                })
                .collect(),
            _ => {
                return self.fail(f.invalid(Problem::WrongType {
                    expected: "a list or a comma-separated string of hosts",
                }));
            }
        };
        parsed
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .map(ExcludeList::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names() {
        for ok in ["eno1", "enp80s0f0", "bond0.100", "br-lan"] {
            assert!(valid_interface_name(ok), "{ok}");
        }
        for bad in ["", "a/b", "eth0:1", "x y", "sixteen-chars-xx", ".", ".."] {
            assert!(!valid_interface_name(bad), "{bad}");
        }
    }
}
