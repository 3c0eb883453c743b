//! `sdkms-cluster`: the operator command of a Coffer node.
//!
//! It forms and inspects the cluster with the commands of the installation guide:
//!
//! ```text
//! sdkms-cluster create --self=10.0.0.1/24 --config ./config.yaml     first node
//! sdkms-cluster token create [--ttl 24h]                             on a member
//! sdkms-cluster join --peer=10.0.0.1/24 --token=TOKEN                 same subnet
//! sdkms-cluster join --peer=10.0.0.1 --token=TOKEN --self=10.0.1.2    other subnet
//! sdkms-cluster status [--json]
//! sdkms-cluster label --node NAME --dc DC | --auto --dc-map FILE
//! sdkms-cluster check-network [--peer IP]
//! sdkms-cluster repair
//! sdkms-cluster sysadmin create --email E [--password P]
//! sdkms-cluster remove --node NAME --force
//! sdkms-cluster rotate --cmk
//! sdkms-cluster signup enable|disable
//! sdkms-cluster audit-retention [--max-age-days N] [--max-records N]
//! sdkms-cluster metrics
//! sdkms-cluster check-outbound URL
//! sdkms-cluster reset --delete-data [--reset-iptables]
//! ```
//!
//! It is a thin client: it parses the flags, checks only their shape (addresses, prefix
//! lengths, token format, durations), sends one request to the local daemon over
//! `DATA_DIR/admin.sock` and prints the answer. The daemon does the work. `DATA_DIR` comes from
//! `--data-dir`, else `COFFER_DATA_DIR`, else `/var/lib/coffer`. The socket is only
//! accessible to root, so run the commands with `sudo`.
//!
//! `reset` is the exception: when no daemon runs with that data directory it resets the node
//! itself (see `cmd/reset.rs`): it empties the data directory and, with `--reset-iptables`,
//! deletes the iptables chain `COFFER` and the rules that jump to it, and nothing else.
//!
//! Every failure prints `error: …` on stderr, and `hint: …` when there is something to do.
//!
//! Exit codes:
//! - 0: success;
//! - 1: the command failed (the daemon refused or is unreachable, a file could not be read,
//!   `repair` or `check-network` found a problem, a label could not be set);
//! - 2: usage error: unknown or malformed flags (reported by the argument parser), or a
//!   missing confirmation flag (`remove` without `--force`, `reset` without `--delete-data`);
//!   nothing was attempted.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a failed test should panic"
    )
)]

mod cmd;

use clap::{Parser, Subcommand};
// The shared modules, under the names the subcommands use (`crate::client::Client`, …).
use cmd::{
    audit_retention, check_network, check_outbound, create, deploy, join, label, metrics, remove,
    repair, reset, rotate, signup, status, sysadmin, token,
};
use coffer_admin::DEFAULT_DATA_DIR;
use coffer_cli::{args, client, error, output, prompt};
use error::CliError;
use output::print_stderr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Form, inspect and reset a Coffer cluster from one of its nodes.
#[derive(Parser, Debug)]
#[command(
    name = "sdkms-cluster",
    version,
    propagate_version = true,
    after_help = "Run as root (sudo): the admin socket DIR/admin.sock is only accessible to root.\n\
                  Exit codes: 0 success; 1 failure; 2 usage error or missing --force/--delete-data."
)]
struct Cli {
    /// The node's data directory; its admin socket is DIR/admin.sock.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "COFFER_DATA_DIR",
        default_value = DEFAULT_DATA_DIR
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands, spelled as in the installation guide.
#[derive(Subcommand, Debug)]
enum Command {
    Create(create::CreateArgs),
    Join(join::JoinArgs),
    Token(token::TokenArgs),
    Status(status::StatusArgs),
    Label(label::LabelArgs),
    CheckNetwork(check_network::CheckNetworkArgs),
    Repair(repair::RepairArgs),
    Sysadmin(sysadmin::SysadminArgs),
    Remove(remove::RemoveArgs),
    Rotate(rotate::RotateArgs),
    Signup(signup::SignupArgs),
    AuditRetention(audit_retention::AuditRetentionArgs),
    Metrics(metrics::MetricsArgs),
    CheckOutbound(check_outbound::CheckOutboundArgs),
    Reset(reset::ResetArgs),
    Deploy(deploy::DeployArgs),
    Config(deploy::ConfigArgs),
}

impl Command {
    /// Runs the subcommand against the daemon of `data_dir`.
    fn run(self, data_dir: &Path) -> Result<(), CliError> {
        match self {
            Self::Create(args) => args.run(data_dir),
            Self::Join(args) => args.run(data_dir),
            Self::Token(args) => args.run(data_dir),
            Self::Status(args) => args.run(data_dir),
            Self::Label(args) => args.run(data_dir),
            Self::CheckNetwork(args) => args.run(data_dir),
            Self::Repair(args) => args.run(data_dir),
            Self::Sysadmin(args) => args.run(data_dir),
            Self::Remove(args) => args.run(data_dir),
            Self::Rotate(args) => args.run(data_dir),
            Self::Signup(args) => args.run(data_dir),
            Self::AuditRetention(args) => args.run(data_dir),
            Self::Metrics(args) => args.run(data_dir),
            Self::CheckOutbound(args) => args.run(data_dir),
            Self::Reset(args) => args.run(data_dir),
            Self::Deploy(args) => args.run(data_dir),
            Self::Config(args) => args.run(data_dir),
        }
    }
}

fn main() -> ExitCode {
    // Exits with 2 on a usage error, 0 after --help or --version.
    let cli = Cli::parse();
    match cli.command.run(&cli.data_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut text = format!("error: {error}\n");
            if let Some(hint) = error.hint() {
                text.push_str(&format!("hint: {hint}\n"));
            }
            print_stderr(&text);
            error.exit_code()
        }
    }
}

#[cfg(test)]
mod tests;
