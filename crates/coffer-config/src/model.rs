//! Stage 2: the validated cluster configuration and its typed values.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Serialize, Serializer};

use crate::error::Warning;
use crate::proxy::ProxyConfig;
use crate::proxy_header::ProxyHeaderConfig;

/// Default `global.serviceSubnet` (the common Kubernetes default; the guide's value is not
/// legible).
pub const DEFAULT_SERVICE_SUBNET: &str = "10.96.0.0/12";
/// Default `global.podSubnet` (the common Kubernetes default).
pub const DEFAULT_POD_SUBNET: &str = "10.244.0.0/16";

/// A validated `config.yaml`: every option typed, every default filled in.
///
/// It serializes (for `config show`) in the file's own layout: sections `global`, `sdkms`,
/// `keepalived`, `fluentd` with the guide's key names, defaults written out, proxy credentials
/// redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// How clients reach the cluster: `sdkms.clusterIp` + `keepalived.nwIface`, or
    /// `global.externalLoadBalancer`.
    pub load_balancer: LoadBalancer,
    /// `global.attestation`.
    pub attestation: Attestation,
    /// `global.serviceSubnet`. Coffer has no overlay network: accepted for compatibility, it
    /// only constrains other settings.
    pub service_subnet: IpNet,
    /// `global.podSubnet`. Accepted for compatibility; `proxyHeaderConfig` ranges must not
    /// overlap it.
    pub pod_subnet: IpNet,
    /// `fluentd.advancedSyslog`.
    pub advanced_syslog: Vec<SyslogTarget>,
    /// `fluentd.remoteSyslog` (deprecated): one server for every log type.
    pub remote_syslog: Option<SyslogServer>,
    /// `sdkms.useLogFilter` (or `global.useLogFilter`): health-check log filtering.
    pub use_log_filter: bool,
    /// `global.proxy`: the outbound proxy, if any.
    pub proxy: Option<ProxyConfig>,
    /// `sdkms.proxyHeaderConfig` (or `global.proxyHeaderConfig`).
    pub proxy_header: ProxyHeaderConfig,
    /// `global.sealingKeyPolicy`.
    pub sealing_key_policy: SealingKeyPolicy,
    /// `global.localntp`: cluster-internal time sync.
    pub local_ntp: bool,
}

/// A [`ClusterConfig`] and the warnings found while validating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The configuration.
    pub config: ClusterConfig,
    /// Things that are accepted but probably not meant (unknown keys, deprecated options,
    /// options with no effect), in file order.
    pub warnings: Vec<Warning>,
}

/// The load balancer in front of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadBalancer {
    /// The default: one node at a time holds the cluster IP on one of the interfaces.
    BuiltIn {
        /// `sdkms.clusterIp`: the one address clients use.
        cluster_ip: IpAddr,
        /// `keepalived.nwIface`: candidate interface names; each node uses the one it has
        /// (several on hybrid clusters).
        interfaces: Vec<String>,
    },
    /// `global.externalLoadBalancer: true`: an external load balancer; no node holds a cluster IP.
    External {
        /// `global.clusterIp`, which the guide requires but whose value is unused.
        placeholder: String,
    },
}

impl LoadBalancer {
    /// The cluster IP a node may hold (none with an external load balancer).
    #[must_use]
    pub fn cluster_ip(&self) -> Option<IpAddr> {
        match self {
            LoadBalancer::BuiltIn { cluster_ip, .. } => Some(*cluster_ip),
            LoadBalancer::External { .. } => None,
        }
    }

    /// The interface this node should put the cluster IP on: the first listed name that is in
    /// `present` (this node's interfaces). `None` with an external load balancer or when this
    /// node has none of them.
    #[must_use]
    pub fn interface_for<'a>(&'a self, present: &[&str]) -> Option<&'a str> {
        match self {
            LoadBalancer::BuiltIn { interfaces, .. } => interfaces
                .iter()
                .map(String::as_str)
                .find(|i| present.contains(i)),
            LoadBalancer::External { .. } => None,
        }
    }
}

/// Remote attestation of joining nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attestation {
    /// Absent from the file: on, checked against the cluster's allowed measurements.
    Default,
    /// `attestation: null`: off; joins are authenticated by token only.
    Disabled,
    /// A URL or service name (`ftx-proxy` in the guide): on, checked by that service, reached
    /// through the outbound proxy.
    Url(String),
}

impl Attestation {
    /// Whether joining nodes must attest.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        !matches!(self, Attestation::Disabled)
    }
}

/// `global.sealingKeyPolicy`: what the sealing key that wraps the cluster master key on each
/// node is derived from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SealingKeyPolicy {
    /// `sgx` (default): the node's platform sealing key only.
    #[default]
    Sgx,
    /// `personalizationKey`: also a random personalization key kept in tamper-protected
    /// storage; zeroizing it puts the node in `NeedsRecovery`.
    PersonalizationKey,
    /// `recoveryKey`: as `personalizationKey`, plus a recovery key that also wraps the cluster
    /// master key, so a node can recover alone.
    RecoveryKey,
}

impl SealingKeyPolicy {
    /// Every policy with its spelling in `config.yaml`.
    pub const ALL: [(&'static str, SealingKeyPolicy); 3] = [
        ("sgx", SealingKeyPolicy::Sgx),
        ("personalizationKey", SealingKeyPolicy::PersonalizationKey),
        ("recoveryKey", SealingKeyPolicy::RecoveryKey),
    ];

    /// The spelling in `config.yaml`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SealingKeyPolicy::Sgx => "sgx",
            SealingKeyPolicy::PersonalizationKey => "personalizationKey",
            SealingKeyPolicy::RecoveryKey => "recoveryKey",
        }
    }
}

impl fmt::Display for SealingKeyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syslog server's address: an IP address or a host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SyslogHost {
    /// An IP address.
    Ip(IpAddr),
    /// A host name, resolved when connecting.
    Name(String),
}

impl fmt::Display for SyslogHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyslogHost::Ip(ip) => write!(f, "{ip}"),
            SyslogHost::Name(n) => f.write_str(n),
        }
    }
}

impl Serialize for SyslogHost {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Transport to a syslog server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogProtocol {
    /// `tcp`.
    Tcp,
    /// `udp`.
    Udp,
}

/// Which logs an `advancedSyslog` entry forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogType {
    /// `CONTAINER`: the service processes' own logs.
    Container,
    /// `SYSTEM`: the host's system logs.
    System,
    /// `SDKMS`: the key-management service's request and audit logs.
    Sdkms,
}

impl LogType {
    /// Every log type.
    pub const ALL: [LogType; 3] = [LogType::Container, LogType::System, LogType::Sdkms];
}

/// A syslog server (`fluentd.remoteSyslog`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SyslogServer {
    /// `host`.
    pub host: SyslogHost,
    /// `port`.
    pub port: u16,
    /// `protocol`.
    pub protocol: SyslogProtocol,
}

/// One `fluentd.advancedSyslog` entry: where to forward one log type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SyslogTarget {
    /// `host`.
    pub host: SyslogHost,
    /// `port`.
    pub port: u16,
    /// `protocol`.
    pub protocol: SyslogProtocol,
    /// `log_type`.
    pub log_type: LogType,
}

impl ClusterConfig {
    /// Every (server, log type) pair to forward to: the `advancedSyslog` entries, then the
    /// deprecated `remoteSyslog` server for every log type, without repeats.
    #[must_use]
    pub fn syslog_routes(&self) -> Vec<SyslogTarget> {
        let mut routes = self.advanced_syslog.clone();
        if let Some(r) = &self.remote_syslog {
            for log_type in LogType::ALL {
                let t = SyslogTarget {
                    host: r.host.clone(),
                    port: r.port,
                    protocol: r.protocol,
                    log_type,
                };
                if !routes.contains(&t) {
                    routes.push(t);
                }
            }
        }
        routes
    }

    /// The configuration as JSON, in the file's layout (see [`ClusterConfig`]).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        // Serializing these plain data types into a `Value` cannot fail: every map key is a
        // string and no value is a non-finite float.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Serialize)]
struct View<'a> {
    global: GlobalView<'a>,
    sdkms: SdkmsView<'a>,
    keepalived: KeepalivedView<'a>,
    fluentd: FluentdView<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GlobalView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_ip: Option<&'a str>,
    external_load_balancer: bool,
    attestation: &'a Attestation,
    service_subnet: IpNet,
    pod_subnet: IpNet,
    proxy: Option<&'a ProxyConfig>,
    sealing_key_policy: SealingKeyPolicy,
    localntp: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SdkmsView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_ip: Option<IpAddr>,
    use_log_filter: bool,
    proxy_header_config: &'a ProxyHeaderConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeepalivedView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    nw_iface: Option<&'a [String]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FluentdView<'a> {
    advanced_syslog: &'a [SyslogTarget],
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_syslog: Option<&'a SyslogServer>,
}

impl Serialize for ClusterConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (placeholder, cluster_ip, interfaces) = match &self.load_balancer {
            LoadBalancer::BuiltIn {
                cluster_ip,
                interfaces,
            } => (None, Some(*cluster_ip), Some(interfaces.as_slice())),
            LoadBalancer::External { placeholder } => (Some(placeholder.as_str()), None, None),
        };
        View {
            global: GlobalView {
                cluster_ip: placeholder,
                external_load_balancer: placeholder.is_some(),
                attestation: &self.attestation,
                service_subnet: self.service_subnet,
                pod_subnet: self.pod_subnet,
                proxy: self.proxy.as_ref(),
                sealing_key_policy: self.sealing_key_policy,
                localntp: self.local_ntp,
            },
            sdkms: SdkmsView {
                cluster_ip,
                use_log_filter: self.use_log_filter,
                proxy_header_config: &self.proxy_header,
            },
            keepalived: KeepalivedView {
                nw_iface: interfaces,
            },
            fluentd: FluentdView {
                advanced_syslog: &self.advanced_syslog,
                remote_syslog: self.remote_syslog.as_ref(),
            },
        }
        .serialize(serializer)
    }
}
