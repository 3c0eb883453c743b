//! `coffer`: the Coffer node daemon.
//!
//! `coffer server --dev` starts a complete single-node Coffer for development and evaluation:
//! an embedded store, a bootstrap TLS certificate, a sysadmin, an account, a group and an app,
//! printed and written to `DATA_DIR/dev-credentials.json`.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the node could not start or failed.

mod daemon;
mod http;
mod logging;
mod tls;

use anyhow::Context;
use clap::{Parser, Subcommand};
use coffer_node::Node;
use http::listener::{ClientAddr, TlsListener};
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

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
    if !args.dev {
        let platform_secret = args
            .platform_secret
            .clone()
            .unwrap_or_else(|| args.data_dir.join("platform.secret"));
        return daemon::Daemon::run(daemon::DaemonConfig {
            dir: args.data_dir,
            api_port: args.api_port,
            cluster_port: args.cluster_port,
            platform_secret,
        })
        .await;
    }
    let dir = &args.data_dir;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;

    let store = coffer_store::Store::open(&dir.join("coffer.redb")).context("opening the store")?;
    let platform_path = args
        .platform_secret
        .clone()
        .unwrap_or_else(|| dir.join("platform.secret"));
    let vault = coffer_node::vault::NodeSeal::open(&platform_path)?.load_or_create_cmk(&store)?;
    let audit = coffer_node::audit::AuditSink::start(store.audit());
    let cluster = coffer_cluster::Cluster::start_single(store, 1, args.listen.to_string())
        .await
        .context("starting the single-node cluster")?;
    let node = Arc::new(Node::new(cluster, vault, audit)?);

    let secrets = coffer_node::dev::ensure_principals(&node).await?;
    let identity = tls::bootstrap_identity(&node, args.listen.ip())?;
    let tcp = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let local = tcp.local_addr()?;
    let config = identity.config.clone();
    let listener = TlsListener::start(tcp, Arc::new(http::listener::SingleConfig(config)))?;

    let host = if local.ip().is_loopback() {
        "127.0.0.1".to_owned()
    } else {
        local.ip().to_string()
    };
    let url = format!("https://{host}:{}", local.port());
    coffer_node::dev::write_credentials(dir, &url, &secrets, &identity.ca_cert_pem)?;
    print_banner(dir, &url, &secrets);
    tracing::info!(%url, "serving");

    let router = http::router(node.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<ClientAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving HTTPS")?;
    if let Err(error) = node.cluster.shutdown().await {
        tracing::warn!(%error, "the cluster did not shut down cleanly");
    }
    tracing::info!("stopped");
    Ok(())
}

fn print_banner(dir: &Path, url: &str, secrets: &coffer_node::dev::DevSecrets) {
    println!("Coffer is serving at {url} (bootstrap certificate; evaluation only)");
    println!(
        "  sysadmin:  {} / {}",
        secrets.sysadmin_email, secrets.sysadmin_password
    );
    println!("  account:   {}", secrets.account_id);
    println!("  group:     {}", secrets.group_id);
    println!("  app:       {}", secrets.app_id);
    println!("  API key:   {}", secrets.api_key);
    println!(
        "  all of it: {}",
        dir.join(coffer_node::dev::CREDENTIALS_FILE).display()
    );
}

/// Resolves on SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
