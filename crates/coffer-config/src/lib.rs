//! `config.yaml`: the one file that configures a Coffer cluster (R-CFG).
//!
//! The file has the sections and key names of the installation guide: `global`, `sdkms`,
//! `keepalived` and `fluentd`. It is read in two stages, and checked as a whole before anything
//! is applied:
//!
//! 1. [`raw`] — [`RawConfig`]: the YAML sorted into its sections and known keys, each value
//!    still as written with its key path and line ([`yaml`] holds the line-aware YAML tree).
//!    Only text that is not YAML fails here; unknown keys are collected.
//! 2. [`ClusterConfig::from_yaml`] / [`ClusterConfig::from_raw`] — typed, validated values with
//!    every default filled in, or [`ConfigErrors`] listing *every* problem, each naming its key
//!    path and line (`global.podSubnet (line 7): "10.244.0.0/33" is not a CIDR …`). Unknown keys
//!    and deprecated options come back as [`Warning`]s
//!    (``unknown key `global.clusterIP` (line 3); did you mean `global.clusterIp`?``).
//!
//! Contents:
//! - [`model`]: [`ClusterConfig`] and its values — [`LoadBalancer`], [`Attestation`],
//!   [`SyslogTarget`], [`SealingKeyPolicy`], the subnet defaults.
//! - [`proxy`]: the outbound proxy and its exclude list (R-OUT-1), [`proxy::ExcludeList::matches`].
//! - [`proxy_header`]: `proxyHeaderConfig`, the PROXY-protocol policy (R-NET-PP).
//! - [`error`]: [`ConfigError`], [`ConfigErrors`], [`Warning`].
//! - [`diff`]: [`ClusterConfig::diff`] → [`Change`]s, one per changed key, in file order.
//!
//! `ClusterConfig` serializes (for `config show`) in the file's layout with defaults written
//! out and proxy credentials redacted.
//!
//! ```
//! use coffer_config::{ClusterConfig, SealingKeyPolicy};
//!
//! let yaml = "\
//! global:
//!   podSubnet: 10.244.0.0/16
//!   sealingKeyPolicy: recoveryKey
//! sdkms:
//!   clusterIp: 192.0.2.10
//! keepalived:
//!   nwIface: enp80s0f0,eno1
//! ";
//! let validated = ClusterConfig::from_yaml(yaml)?;
//! let config = &validated.config;
//! assert!(validated.warnings.is_empty());
//! assert_eq!(config.load_balancer.interface_for(&["eno1", "lo"]), Some("eno1"));
//! assert_eq!(config.sealing_key_policy, SealingKeyPolicy::RecoveryKey);
//! assert_eq!(config.to_json()["global"]["serviceSubnet"], "10.96.0.0/12");
//!
//! let errors = ClusterConfig::from_yaml("global:\n  podSubnet: 10.244.0.0/33\n").unwrap_err();
//! let first = errors.errors()[0].to_string();
//! assert!(first.starts_with("global.podSubnet (line 2): \"10.244.0.0/33\" is not a CIDR"));
//! assert_eq!(errors.len(), 3); // and sdkms.clusterIp, keepalived.nwIface are missing
//! # Ok::<(), coffer_config::ConfigErrors>(())
//! ```

pub mod diff;
pub mod error;
pub mod model;
mod net;
pub mod proxy;
pub mod proxy_header;
pub mod raw;
mod suggest;
mod validate;
pub mod yaml;

pub use diff::Change;
pub use error::{ConfigError, ConfigErrors, Conflict, Problem, Requirement, Warning};
pub use model::{
    Attestation, ClusterConfig, DEFAULT_POD_SUBNET, DEFAULT_SERVICE_SUBNET, LoadBalancer, LogType,
    SealingKeyPolicy, SyslogHost, SyslogProtocol, SyslogServer, SyslogTarget, Validated,
};
pub use proxy::{ExcludeList, ProxyConfig};
pub use proxy_header::{HeaderRule, ProxyHeaderConfig};
pub use raw::RawConfig;

impl ClusterConfig {
    /// Reads and validates `config.yaml` text.
    ///
    /// # Errors
    /// Every problem in the file, each naming its key path and line; a file that is not YAML
    /// gives one [`ConfigError::Syntax`] with line and column.
    pub fn from_yaml(text: &str) -> Result<Validated, ConfigErrors> {
        let raw = RawConfig::from_yaml(text).map_err(|e| ConfigErrors::new(vec![e], Vec::new()))?;
        ClusterConfig::from_raw(raw)
    }

    /// Validates a stage-1 [`RawConfig`].
    ///
    /// # Errors
    /// Every problem in it, each naming its key path and line.
    pub fn from_raw(raw: RawConfig) -> Result<Validated, ConfigErrors> {
        validate::validate(raw)
    }
}
