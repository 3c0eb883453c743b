//! The node daemon in cluster mode (`coffer server --data-dir DIR`).
//!
//! The daemon starts **uninitialized** with only the admin socket open; `sdkms-cluster create`
//! or `join` make it a member, after which it serves the API port and the cluster port on its
//! address. A restarted member comes back as a member by itself. `reset` returns it to
//! uninitialized with its data gone.
//!
//! ```text
//! Uninitialized ──create──► Member ◄──► ReadOnly (quorum lost, local DC majority kept)
//!       │                     ▲
//!       └──join──► Joining ───┘            reset: any state ──► Uninitialized
//! ```

pub(crate) mod dev;

use crate::http;
use crate::net::listener::{ClientAddr, TlsListener};
use crate::net::service_tls;
use crate::peer;
use anyhow::Context;

use coffer_cluster::{Cluster, NodeInfo};
use coffer_node::audit::AuditSink;
use coffer_node::availability::{self, Availability};
use coffer_node::identity::NodeIdentity;
use coffer_node::vault::{NodePurpose, NodeSeal};
use coffer_node::{Membership, Node};
use coffer_store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

/// File name of the store inside the data directory.
pub(crate) const STORE_FILE: &str = "coffer.redb";
/// The store of a node being created or joined; renamed to [`STORE_FILE`] once the node is a
/// member, so that a node interrupted half-way never looks like a member (or a broken one).
pub(crate) const PENDING_STORE_FILE: &str = "coffer.redb.pending";
/// The cluster CA certificate, for clients of the bootstrap API certificate.
pub(crate) const CLUSTER_CA_FILE: &str = "cluster-ca.pem";

/// Where and how the daemon runs; from flags, fixed for the process.
#[derive(Clone, Debug)]
pub(crate) struct DaemonConfig {
    /// The data directory.
    pub(crate) dir: PathBuf,
    /// API port on the node's address.
    pub(crate) api_port: u16,
    /// Cluster port on the node's address.
    pub(crate) cluster_port: u16,
    /// The platform secret file.
    pub(crate) platform_secret: PathBuf,
}

/// The daemon: its configuration, sealing key and current phase.
pub(crate) struct Daemon {
    pub(crate) config: DaemonConfig,
    /// Derived from the platform secret; `None` after a reset, re-derived (with a new secret
    /// if the reset removed it) when next needed.
    pub(crate) sealing: std::sync::RwLock<Option<Arc<NodeSeal>>>,
    /// Serializes everything that changes the phase (create, join, reset).
    pub(crate) phase: Mutex<Phase>,
    /// The phase's name, readable while a phase change is under way.
    phase_name: std::sync::RwLock<&'static str>,
}

/// Where the node is in its life.
pub(crate) enum Phase {
    /// No cluster: only the admin socket.
    Uninitialized,
    /// A member, serving.
    Member(Running),
}

/// A running member: its node and the tasks serving its ports.
pub(crate) struct Running {
    pub(crate) node: Arc<Node>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Daemon {
    /// Opens the daemon's data directory and resumes membership if this node is a member; the
    /// caller then serves the admin socket.
    pub(crate) async fn open(config: DaemonConfig) -> anyhow::Result<Arc<Self>> {
        create_dir(&config.dir)?;
        warn_if_inside(&config.platform_secret, &config.dir);
        let sealing = NodeSeal::open(&config.platform_secret)?;
        let daemon = Arc::new(Self {
            config,
            sealing: std::sync::RwLock::new(Some(Arc::new(sealing))),
            phase: Mutex::new(Phase::Uninitialized),
            phase_name: std::sync::RwLock::new("Uninitialized"),
        });
        daemon.resume().await?;
        Ok(daemon)
    }

    /// Restarts the member services of a node that already belongs to a cluster.
    async fn resume(&self) -> anyhow::Result<()> {
        let pending = self.config.dir.join(PENDING_STORE_FILE);
        if pending.exists() {
            tracing::warn!(path = %pending.display(), "removing the store of an interrupted create or join");
            std::fs::remove_file(&pending)
                .with_context(|| format!("removing {}", pending.display()))?;
        }
        let path = self.config.dir.join(STORE_FILE);
        if !path.exists() {
            tracing::info!("uninitialized: waiting for `sdkms-cluster create` or `join`");
            return Ok(());
        }
        let store = Store::open(&path).context("opening the store")?;
        match NodeIdentity::load(&store)? {
            Some(identity) => {
                tracing::info!(node = identity.name, "resuming as a cluster member");
                let running = self.start_member(store, identity, false).await?;
                self.set_phase(&mut *self.phase.lock().await, Phase::Member(running));
            }
            None => tracing::info!("uninitialized: waiting for `sdkms-cluster create` or `join`"),
        }
        Ok(())
    }

    /// The member's node, if this is a member.
    pub(crate) async fn node(&self) -> Option<Arc<Node>> {
        match &*self.phase.lock().await {
            Phase::Member(running) => Some(running.node.clone()),
            Phase::Uninitialized => None,
        }
    }

    /// The phase's name (`Uninitialized`, `Joining`, `Member`), without waiting.
    pub(crate) fn phase_label(&self) -> &'static str {
        self.phase_name.read().map(|n| *n).unwrap_or("Unknown")
    }

    pub(crate) fn set_phase(&self, slot: &mut Phase, phase: Phase) {
        let name = match &phase {
            Phase::Uninitialized => "Uninitialized",
            Phase::Member(_) => "Member",
        };
        *slot = phase;
        self.set_label(name);
    }

    pub(crate) fn set_label(&self, name: &'static str) {
        if let Ok(mut label) = self.phase_name.write() {
            *label = name;
        }
    }

    /// Starts the cluster, the API and the cluster port for a member.
    pub(crate) async fn start_member(
        &self,
        store: Store,
        identity: NodeIdentity,
        bootstrap: bool,
    ) -> anyhow::Result<Running> {
        let sealing = self.sealing()?;
        let vault = coffer_node::vault::load_master_keys(sealing.clone(), &self.config.dir)?
            .context(
                "this node has an identity but no cluster master key; reset it and join again",
            )?;
        let node_key = sealing
            .unseal(NodePurpose::NodeKey(&identity.name), &identity.sealed_key.0)
            .context("unsealing the node key")?;
        let client_tls = crate::net::tls::cluster_client_config(
            &identity.ca_cert_pem,
            Some((&identity.cert_chain_pem, &node_key)),
        )?;
        let server_tls = crate::net::tls::cluster_server_config(
            &identity.cert_chain_pem,
            &node_key,
            &identity.ca_cert_pem,
        )?;
        let cert_key = coffer_crypto::chain_key_id(&identity.cert_chain_pem)
            .context("reading the node certificate's key")?;
        let me = NodeInfo::new(
            &identity.name,
            identity.cluster_addr().to_string(),
            identity.api_addr().to_string(),
        )
        .with_cert_key(&cert_key);
        // Bind first: a port in use is an error the operator must see before anything starts.
        let cluster_tcp = tokio::net::TcpListener::bind(identity.cluster_addr())
            .await
            .with_context(|| format!("binding the cluster port {}", identity.cluster_addr()))?;
        let api_tcp = tokio::net::TcpListener::bind(identity.api_addr())
            .await
            .with_context(|| format!("binding the API port {}", identity.api_addr()))?;

        let transport = Arc::new(coffer_peer::HttpsTransport::new(&client_tls));
        let cluster = Cluster::start(store, identity.node_id, me, transport.clone(), bootstrap)
            .await
            .context("starting Raft")?;
        let audit = AuditSink::start(cluster.store().audit());
        let peers = Arc::new(crate::net::tls::HttpsPeerLink {
            transport: transport.clone(),
            cluster: cluster.clone(),
        });
        let availability = Availability::default();
        if cluster
            .store()
            .node_local()
            .get(coffer_node::membership::REMOVED_MARK)?
            .is_some()
        {
            availability.set(availability::Mode::Removed);
        }
        let membership = Membership {
            identity: identity.clone(),
            peers,
            availability: availability.clone(),
            join_gate: coffer_node::join_gate::JoinGate::default(),
            repair_failure: std::sync::Mutex::new(None),
            rotation: tokio::sync::Mutex::new(()),
        };
        let node = Arc::new(Node::new(cluster, vault, audit)?.with_membership(membership));

        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let cluster_listener = peer::cluster_port::ClusterListener::start(cluster_tcp, server_tls)?;
        let router = peer::cluster_port::router(node.clone());
        tasks.push(tokio::spawn(serve(
            cluster_listener,
            router,
            stopped.clone(),
            "cluster",
        )));

        // Until real certificates are installed the API serves the node certificate, which the
        // cluster CA issued for the node's name and address; clients trust DIR/cluster-ca.pem.
        let api_config = crate::net::tls::api_server_config(&identity.cert_chain_pem, &node_key)?;
        write_public_file(
            &self.config.dir.join(CLUSTER_CA_FILE),
            &identity.ca_cert_pem,
        )?;
        tasks.extend(start_api(&node, api_tcp, api_config, &stopped)?);
        tasks.push(tokio::spawn(coffer_node::membership::repair_loop(
            node.clone(),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(coffer_node::session_reports::report_loop(
            node.clone(),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(coffer_node::audit_retention::prune_loop(
            node.clone(),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(coffer_node::master_keys::follow_retirements(
            node.clone(),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(availability_loop(node.clone(), stopped)));
        tracing::info!(node = identity.name, api = %identity.api_addr(), cluster = %identity.cluster_addr(), "member services started");
        Ok(Running { node, stop, tasks })
    }

    /// Stops the member services, if running, and waits for them; the phase becomes
    /// `Uninitialized` (the data stays).
    pub(crate) async fn stop_member(&self) {
        let mut phase = self.phase.lock().await;
        if let Phase::Member(running) = std::mem::replace(&mut *phase, Phase::Uninitialized) {
            stop_running(running).await;
        }
        self.set_label("Uninitialized");
    }

    /// The sealing key of this node, derived from the platform secret (made if absent).
    pub(crate) fn sealing(&self) -> anyhow::Result<Arc<NodeSeal>> {
        if let Ok(current) = self.sealing.read()
            && let Some(key) = current.as_ref()
        {
            return Ok(key.clone());
        }
        let key = Arc::new(NodeSeal::open(&self.config.platform_secret)?);
        if let Ok(mut current) = self.sealing.write() {
            *current = Some(key.clone());
        }
        Ok(key)
    }

    /// Forgets the sealing key: a reset may have removed the platform secret it came from.
    pub(crate) fn forget_sealing(&self) {
        if let Ok(mut current) = self.sealing.write() {
            *current = None;
        }
    }
}

/// What every node runs, a member or the evaluation node: the API on `tcp`, presenting
/// `bootstrap` until certificates are installed and then the installed ones, swapped live as
/// the cluster's settings change. The tasks end when `stopped` turns true.
pub(crate) fn start_api(
    node: &Arc<Node>,
    tcp: tokio::net::TcpListener,
    bootstrap: Arc<rustls::ServerConfig>,
    stopped: &watch::Receiver<bool>,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let service_tls = Arc::new(service_tls::ServiceTls::new(bootstrap));
    let settings = node.settings.subscribe();
    service_tls.install(node, settings.borrow().certificates.as_ref());
    let log_filter = Arc::new(crate::net::log_filter::LogFilter::new(
        node.settings.clone(),
    ));
    let listener = TlsListener::start(
        tcp,
        service_tls.clone(),
        Arc::new(node.settings.clone()),
        log_filter.clone(),
    )?;
    Ok(vec![
        tokio::spawn(serve_api(
            listener,
            http::router(node.clone(), log_filter),
            stopped.clone(),
        )),
        tokio::spawn(follow_certificates(
            node.clone(),
            service_tls,
            settings,
            stopped.clone(),
        )),
    ])
}

/// Stops a running node and waits (bounded) for its tasks and Raft.
pub(crate) async fn stop_running(running: Running) {
    let _ = running.stop.send(true);
    for task in running.tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    if let Err(error) = running.node.cluster.shutdown().await {
        tracing::warn!(%error, "Raft did not shut down cleanly");
    }
}

async fn serve_api(
    listener: TlsListener,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
) {
    let service = router.into_make_service_with_connect_info::<ClientAddr>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await;
    if let Err(error) = result {
        tracing::error!(%error, "the API listener failed");
    }
}

async fn serve(
    listener: peer::cluster_port::ClusterListener,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
    what: &'static str,
) {
    let service = router.into_make_service_with_connect_info::<peer::cluster_port::PeerInfo>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await;
    if let Err(error) = result {
        tracing::error!(%error, what, "listener failed");
    }
}

/// Serves newly installed certificates as the cluster's settings change, until stopped.
async fn follow_certificates(
    node: Arc<Node>,
    service_tls: Arc<service_tls::ServiceTls>,
    mut settings: watch::Receiver<Arc<coffer_node::settings::Settings>>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            changed = settings.changed() => if changed.is_err() { return },
        }
        let current = settings.borrow_and_update().clone();
        service_tls.install(&node, current.certificates.as_ref());
    }
}

/// Re-evaluates the node's availability until stopped.
async fn availability_loop(node: Arc<Node>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            () = tokio::time::sleep(availability::CHECK_INTERVAL) => {}
        }
        let Some(membership) = &node.membership else {
            return;
        };
        let mode = coffer_node::membership::evaluate_availability(&node, membership).await;
        membership.availability.set(mode);
    }
}

/// Makes the pending store the node's store, durably (after the identity is saved in it).
pub(crate) fn promote_pending_store(dir: &Path) -> anyhow::Result<()> {
    std::fs::rename(dir.join(PENDING_STORE_FILE), dir.join(STORE_FILE))
        .context("renaming the new store into place")?;
    std::fs::File::open(dir)?
        .sync_all()
        .context("syncing the data directory")?;
    Ok(())
}

/// Writes a public file (mode 0644) atomically.
fn write_public_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, contents).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))
}

/// A platform secret kept inside the data directory travels with every copy of it (a backup,
/// a stolen disk image), which is then enough to unseal the node's keys.
fn warn_if_inside(platform_secret: &Path, dir: &Path) {
    let absolute = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let secret = absolute(platform_secret.parent().unwrap_or(platform_secret));
    if secret.starts_with(absolute(dir)) {
        tracing::warn!(
            platform_secret = %platform_secret.display(),
            data_dir = %dir.display(),
            "the platform secret is inside the data directory: a copy of the directory is enough to unseal this node's keys; keep it elsewhere (the installer uses /etc/coffer/platform.secret)"
        );
    }
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
