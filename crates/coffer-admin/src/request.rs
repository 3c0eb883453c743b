//! What an operator command asks the daemon.

use serde::{Deserialize, Serialize};

/// One request on the admin socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AdminRequest {
    /// `sdkms-cluster create --self=IP/PREFIX --config FILE`: make this node a one-node cluster.
    Create {
        /// This node's address with its prefix length, e.g. `10.0.0.5/24`.
        self_addr: String,
        /// The contents of `config.yaml`.
        config_yaml: String,
        /// The node's name; the host name when absent. Must be lower case.
        node_name: Option<String>,
    },
    /// `sdkms-cluster join --peer=IP[/PREFIX] --token=TOKEN [--self=IP]`.
    Join {
        /// A member's address, optionally with the prefix length of the shared subnet.
        peer: String,
        /// A join token (`abcdef.0123456789abcdef`).
        token: String,
        /// This node's address; required when the peer is on another subnet.
        self_addr: Option<String>,
        /// The node's name; the host name when absent. Must be lower case.
        node_name: Option<String>,
    },
    /// `sdkms-cluster token create [--ttl 24h]`.
    TokenCreate {
        /// How long the token stays valid.
        ttl_secs: u64,
    },
    /// `sdkms-cluster token list`.
    TokenList,
    /// `sdkms-cluster token delete ID`.
    TokenDelete {
        /// The token's id (its public first half).
        id: String,
    },
    /// `sdkms-cluster remove --node NAME --force`.
    Remove {
        /// The node to remove.
        node: String,
        /// The operator confirmed (`--force`); without it the daemon refuses.
        force: bool,
    },
    /// `sdkms-cluster reset --delete-data [--reset-iptables]`.
    Reset {
        /// The operator allows deleting data; without it the daemon refuses.
        delete_data: bool,
        /// Also remove firewall rules Coffer installed.
        reset_iptables: bool,
    },
    /// `sdkms-cluster status [--json]`.
    Status,
    /// `sdkms-cluster label --node NAME --dc DC`.
    Label {
        /// The node to label.
        node: String,
        /// Its data centre.
        dc: String,
    },
    /// `sdkms-cluster repair`: compare replicas and re-sync a diverged one.
    Repair,
    /// `sdkms-cluster check-network [--peer IP]`.
    CheckNetwork {
        /// Check only this peer; every member when absent.
        peer: Option<String>,
    },
    /// `get_csrs [--rotate]`: make the API and UI keys and certificate requests, and the first
    /// sysadmin.
    GetCsrs {
        /// The API (main) domain: a simple name or a full distinguished name.
        main_domain: String,
        /// Extra DNS names for the API certificate (e.g. the mutual-TLS interface name).
        main_sans: Vec<String>,
        /// Names of the mutual-TLS interface: added to the API certificate's names, and
        /// connections for them are asked for a client certificate, with which apps
        /// authenticate. Left out of the request when empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mtls_sans: Vec<String>,
        /// The UI (assets) domain: a simple name or a full distinguished name.
        ui_domain: String,
        /// Extra DNS names for the UI certificate.
        ui_sans: Vec<String>,
        /// The cluster's name.
        cluster_name: String,
        /// The first sysadmin's email.
        sysadmin_email: String,
        /// The first sysadmin's password.
        sysadmin_password: String,
        /// New requests while the installed certificates keep serving.
        rotate: bool,
    },
    /// `install_certs [--rotate]`: install the signed chains (leaf first) on every node.
    InstallCerts {
        /// The API (main) certificate chain, PEM.
        main_chain_pem: String,
        /// The UI (assets) certificate chain, PEM.
        ui_chain_pem: String,
        /// Must match the `--rotate` given to `get_csrs`.
        rotate: bool,
    },
    /// `sdkms-cluster deploy --config ./config.yaml --stage DEPLOY [--dry-run]`: validate and
    /// apply a new `config.yaml` to the running cluster.
    Deploy {
        /// The contents of the new `config.yaml`.
        config_yaml: String,
        /// Only report what would change.
        dry_run: bool,
    },
    /// `sdkms-cluster config show`: the applied configuration.
    ConfigShow,
    /// `sdkms-cluster config watch`: wait until this node takes up settings newer than
    /// version `after`, then answer as `config show` does.
    ConfigWatch {
        /// The version already seen.
        after: u64,
        /// How long to wait, in seconds (the daemon caps it at 600).
        timeout_secs: u64,
    },
    /// `sdkms-cluster audit-retention [--max-age-days N] [--max-records N]`: shows, or changes,
    /// how much audit log each node keeps.
    AuditRetention {
        /// New maximum age, in days.
        max_age_days: Option<u32>,
        /// New maximum number of records per node.
        max_records: Option<u64>,
    },
    /// `sdkms-cluster check-outbound URL`: fetches `url` through the node's outbound client, as
    /// `global.proxy` routes it.
    CheckOutbound {
        /// An `http://` or `https://` URL.
        url: String,
    },
    /// `sdkms-cluster metrics`: this node's metrics in the Prometheus text format.
    Metrics,
    /// `sdkms-cluster signup enable|disable`: whether anyone may register a user.
    Signup {
        /// True to let anyone register.
        open: bool,
    },
    /// `sdkms-cluster rotate --cmk`: a new cluster master key, every secret re-sealed under it,
    /// the old one destroyed on every node.
    RotateMasterKey,
    /// `sdkms-cluster sysadmin create --email E --password P`.
    SysadminCreate {
        /// Login email.
        email: String,
        /// Password (checked against the password policy).
        password: String,
    },
}

impl AdminRequest {
    /// The command's name as the operator types it, for messages and logs (never its
    /// arguments: they can hold passwords and tokens).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "create",
            Self::Join { .. } => "join",
            Self::TokenCreate { .. } => "token create",
            Self::TokenList => "token list",
            Self::TokenDelete { .. } => "token delete",
            Self::Remove { .. } => "remove",
            Self::Reset { .. } => "reset",
            Self::Status => "status",
            Self::Label { .. } => "label",
            Self::Repair => "repair",
            Self::CheckNetwork { .. } => "check-network",
            Self::SysadminCreate { .. } => "sysadmin create",
            Self::RotateMasterKey => "rotate --cmk",
            Self::AuditRetention { .. } => "audit-retention",
            Self::Metrics => "metrics",
            Self::CheckOutbound { .. } => "check-outbound",
            Self::Signup { open: true } => "signup enable",
            Self::Signup { open: false } => "signup disable",
            Self::GetCsrs { .. } => "get_csrs",
            Self::InstallCerts { .. } => "install_certs",
            Self::Deploy { .. } => "deploy",
            Self::ConfigShow => "config show",
            Self::ConfigWatch { .. } => "config watch",
        }
    }
}
