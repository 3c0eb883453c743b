//! `coffer server --dev`: a complete single-node Coffer for development and evaluation, on
//! an embedded store with a bootstrap certificate and first credentials.
//!
//! It serves the API through the same [`start_api`](super::start_api) as a member and stops
//! through the same [`stop_running`](super::stop_running); what it lacks is what only members
//! have: the cluster port, the peers, availability and repair.

use crate::net;
use anyhow::Context;
use coffer_node::Node;
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;

/// Serves the evaluation node in `dir` on `listen` until SIGTERM or Ctrl-C.
pub(crate) async fn serve(
    dir: &Path,
    listen: SocketAddr,
    platform_secret: Option<PathBuf>,
    allow_signup: bool,
) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;

    let store = coffer_store::Store::open(&dir.join("coffer.redb")).context("opening the store")?;
    let platform_path = platform_secret.unwrap_or_else(|| dir.join("platform.secret"));
    let seal = Arc::new(coffer_node::vault::NodeSeal::open(&platform_path)?);
    let vault = coffer_node::vault::load_or_create_master_keys(seal, dir)?;
    let audit = coffer_node::audit::AuditSink::start(store.audit());
    let cluster = coffer_cluster::Cluster::start_single(store, 1, listen.to_string())
        .await
        .context("starting the single-node cluster")?;
    let node = Arc::new(Node::new(cluster, vault, audit)?.with_evaluation_signup(allow_signup));

    let secrets = coffer_node::dev::ensure_principals(&node).await?;
    let identity = net::tls::bootstrap_identity(&node, listen.ip())?;
    let tcp = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {}", listen))?;
    let local = tcp.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = super::start_api(&node, tcp, identity.config.clone(), &stopped)?;
    tasks.push(tokio::spawn(coffer_node::audit_retention::prune_loop(
        node.clone(),
        stopped.clone(),
    )));

    let host = if local.ip().is_loopback() {
        "127.0.0.1".to_owned()
    } else {
        local.ip().to_string()
    };
    let url = format!("https://{host}:{}", local.port());
    coffer_node::dev::write_credentials(dir, &url, &secrets, &identity.ca_cert_pem)?;
    print_banner(dir, &url, &secrets);
    tracing::info!(%url, "serving");

    super::shutdown_signal().await;
    super::stop_running(super::Running { node, stop, tasks }).await;
    tracing::info!("stopped");
    Ok(())
}

fn print_banner(dir: &Path, url: &str, secrets: &coffer_node::dev::DevSecrets) {
    // The secrets stay in the credentials file (mode 0600): terminals, their scrollback and
    // process supervisors' logs keep what is printed.
    println!("Coffer is serving at {url} (bootstrap certificate; evaluation only)");
    println!("  sysadmin:  {}", secrets.sysadmin_email);
    println!("  account:   {}", secrets.account_id);
    println!("  group:     {}", secrets.group_id);
    println!("  app:       {}", secrets.app_id);
    println!(
        "  password, API key and CA certificate: {}",
        dir.join(coffer_node::dev::CREDENTIALS_FILE).display()
    );
}
