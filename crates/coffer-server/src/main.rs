//! `coffer`: the Coffer node daemon.
//!
//! `coffer server --dev` starts a complete single-node Coffer for development and evaluation:
//! an embedded store, a bootstrap TLS certificate, a sysadmin, an account, a group and an app,
//! written to `DATA_DIR/dev-credentials.json` (the banner names the file, not the secrets).
//!
//! Exit codes: 0 after a clean shutdown, 1 when the node could not start or failed.

mod admin;
mod http;
mod logging;
mod net;
mod peer;
mod runtime;
mod telemetry;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Coffer: a clustered key-management service.
#[derive(Parser)]
#[command(name = "coffer", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Runs a node.
    Server(ServerArgs),
}

#[derive(clap::Args)]
struct ServerArgs {
    /// Start a ready-to-use single-node cluster with first credentials (evaluation only).
    #[arg(long)]
    dev: bool,
    /// Where the node keeps its data.
    #[arg(long, default_value = "./coffer-data")]
    data_dir: PathBuf,
    /// Where the API listens (evaluation mode only; cluster members listen on their own
    /// address, given to `sdkms-cluster create --self` or `join`).
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// The API port of a cluster member.
    #[arg(long, default_value_t = 443)]
    api_port: u16,
    /// The cluster (node-to-node) port of a cluster member.
    #[arg(long, default_value_t = 4443)]
    cluster_port: u16,
    /// The platform secret the sealing key is derived from [default: DATA_DIR/platform.secret].
    #[arg(long)]
    platform_secret: Option<PathBuf>,
    /// Let anyone register a user with `POST /sys/v1/users` (evaluation mode only; a cluster
    /// follows `sdkms-cluster signup enable|disable`, off by default).
    #[arg(long, requires = "dev")]
    allow_signup: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_flush = logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("coffer: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Commands::Server(args) => runtime.block_on(serve(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "coffer stopped");
            eprintln!("coffer: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    telemetry::install();
    if !args.dev {
        let platform_secret = args
            .platform_secret
            .clone()
            .unwrap_or_else(|| args.data_dir.join("platform.secret"));
        return run_daemon(runtime::DaemonConfig {
            dir: args.data_dir,
            api_port: args.api_port,
            cluster_port: args.cluster_port,
            platform_secret,
        })
        .await;
    }
    runtime::dev::serve(
        &args.data_dir,
        args.listen,
        args.platform_secret,
        args.allow_signup,
    )
    .await
}

/// A cluster-mode node: the daemon, and the admin socket through which `sdkms-cluster` drives
/// it, until SIGTERM.
async fn run_daemon(config: runtime::DaemonConfig) -> anyhow::Result<()> {
    let daemon = runtime::Daemon::open(config).await?;
    let socket = admin::socket::AdminSocket::bind(&daemon.config.dir)?;
    tracing::info!(socket = %socket.path().display(), "admin socket open");
    tokio::select! {
        () = socket.serve(daemon.clone()) => {}
        () = runtime::shutdown_signal() => {}
    }
    daemon.stop_member().await;
    Ok(())
}
