//! Test-only pieces for multi-node tests: a cluster CA with node certificates, the rustls
//! configurations a daemon would build from them, an mTLS server for `raft_router`, and a node
//! harness that can be stopped and restarted on the same store and port.

#![allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]
#![allow(
    dead_code,
    unreachable_pub,
    reason = "not every test uses every helper"
)]

use coffer_cluster::{Cluster, NodeInfo};
use coffer_peer::{HttpsTransport, PresentedKey, raft_router};
use coffer_store::{Store, StoreError};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Logs go to the test output when `RUST_LOG` is set.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Polls `check` until it gives a value, panicking after `within`.
pub async fn eventually<T>(
    what: &str,
    within: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A cluster CA that issues node certificates, as `sdkms-cluster create` and join do.
pub struct TestPki {
    ca: CertifiedIssuer<'static, KeyPair>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

/// What a node needs for the cluster port: both rustls configurations, and the id of its
/// certificate key (pinned in its membership record).
pub struct NodeTls {
    pub client: Arc<ClientConfig>,
    pub server: Arc<ServerConfig>,
    pub key_id: [u8; 32],
}

impl TestPki {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "coffer test cluster CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let ca = CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        Self {
            ca,
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        }
    }

    /// A certificate for node `name` (DNS SAN `name`, IP SAN `ip`) usable as client and server,
    /// and the configurations built from it that trust only this CA.
    pub fn node(&self, name: &str, ip: IpAddr) -> NodeTls {
        let mut params = CertificateParams::new(vec![name.to_owned()]).expect("node params");
        params.subject_alt_names.push(SanType::IpAddress(ip));
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().expect("node key");
        let cert = params.signed_by(&key, &self.ca).expect("node certificate");
        let key_id = coffer_crypto::certificate_key_id(cert.der()).expect("key id");
        let chain = vec![cert.der().clone(), self.ca.der().clone()];
        let private = || PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let roots = Arc::new(self.roots());

        let client = ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(Arc::clone(&roots))
            .with_client_auth_cert(chain.clone(), private())
            .expect("client identity");
        let verifier =
            WebPkiClientVerifier::builder_with_provider(roots, Arc::clone(&self.provider))
                .build()
                .expect("client verifier");
        let mut server = ServerConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, private())
            .expect("server identity");
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        NodeTls {
            client: Arc::new(client),
            server: Arc::new(server),
            key_id,
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca.der().to_vec()))
            .expect("CA is a valid root");
        roots
    }
}

/// Serves `raft_router` behind TLS that requires a client certificate from the cluster CA.
pub struct TestServer {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    accepted: Arc<AtomicUsize>,
}

impl TestServer {
    pub fn start(listener: TcpListener, tls: Arc<ServerConfig>, router: axum::Router) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            let acceptor = TlsAcceptor::from(tls);
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((tcp, _)) = accepted else { continue };
                        counter.fetch_add(1, Ordering::SeqCst);
                        let acceptor = acceptor.clone();
                        let router = router.clone();
                        connections.spawn(async move {
                            let Ok(tls) = acceptor.accept(tcp).await else { return };
                            // As the daemon does: the routes know the caller by its key.
                            let router = match PresentedKey::of(tls.get_ref().1) {
                                Some(key) => router.layer(axum::Extension(key)),
                                None => router,
                            };
                            let service = TowerToHyperService::new(router);
                            let _ = auto::Builder::new(TokioExecutor::new())
                                .serve_connection(TokioIo::new(tls), service)
                                .await;
                        });
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
            connections.shutdown().await;
        });
        Self {
            stop: Some(stop),
            task,
            accepted,
        }
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Stops accepting and closes every connection.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// One node: its store file, certificate, cluster port; startable and stoppable.
pub struct TestNode {
    pub id: u64,
    pub info: NodeInfo,
    path: PathBuf,
    addr: SocketAddr,
    tls: NodeTls,
    listener: Option<TcpListener>,
    cluster: Option<Cluster>,
    server: Option<TestServer>,
}

impl TestNode {
    /// Node `id` named `node-{id}` on a free port of 127.0.0.1, its store in `dir`.
    pub async fn new(pki: &TestPki, dir: &Path, id: u64) -> Self {
        Self::with_alpn(pki, dir, id, &[b"h2", b"http/1.1"]).await
    }

    /// [`TestNode::new`] with the cluster port offering only the given ALPN protocols.
    pub async fn with_alpn(pki: &TestPki, dir: &Path, id: u64, alpn: &[&[u8]]) -> Self {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let listener = TcpListener::bind((ip, 0)).await.expect("bind cluster port");
        let addr = listener.local_addr().expect("local address");
        let name = format!("node-{id}");
        let mut tls = pki.node(&name, ip);
        let mut server = (*tls.server).clone();
        server.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        tls.server = Arc::new(server);
        Self {
            id,
            info: NodeInfo::new(name, addr.to_string(), format!("127.0.0.1:{}", 40000 + id))
                .with_cert_key(&tls.key_id),
            path: dir.join(format!("node-{id}.redb")),
            addr,
            tls,
            listener: Some(listener),
            cluster: None,
            server: None,
        }
    }

    /// Opens the store (waiting until a previous run let go of it), starts Raft, then serves
    /// the cluster port.
    pub async fn start(&mut self, bootstrap: bool) {
        let store = open_store(&self.path).await;
        let cluster = Cluster::start(
            store,
            self.id,
            self.info.clone(),
            Arc::new(HttpsTransport::new(&self.tls.client)),
            bootstrap,
        )
        .await
        .expect("cluster starts");
        let listener = match self.listener.take() {
            Some(listener) => listener,
            None => bind(self.addr).await,
        };
        self.server = Some(TestServer::start(
            listener,
            Arc::clone(&self.tls.server),
            raft_router(cluster.clone()),
        ));
        self.cluster = Some(cluster);
    }

    /// Starts a new, empty node that `admitter` (see [`TestNode::admitter`]) is about to add,
    /// as a joining daemon does.
    pub async fn start_joining(&mut self, admitter: (u64, [u8; 32])) {
        self.start(false).await;
        self.cluster().admitted_by(admitter.0, admitter.1);
    }

    /// The client side of this node's cluster-port identity.
    pub fn client_tls(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.tls.client)
    }

    /// This node as the admitter of a joining one: its id and certificate key id.
    pub fn admitter(&self) -> (u64, [u8; 32]) {
        (self.id, self.tls.key_id)
    }

    /// Stops Raft and the cluster port, as a crash of the node would (to its peers).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        if let Some(cluster) = self.cluster.take() {
            cluster.shutdown().await.expect("shutdown");
        }
    }

    /// The node's store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn cluster(&self) -> &Cluster {
        self.cluster.as_ref().expect("the node is running")
    }

    /// Connections accepted on the cluster port since the last start.
    pub fn connections_accepted(&self) -> usize {
        self.server.as_ref().map_or(0, TestServer::accepted)
    }

    pub fn is_running(&self) -> bool {
        self.cluster.is_some()
    }
}

/// Opens the store file, retrying while tasks of a stopped run still hold it.
async fn open_store(path: &Path) -> Store {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Store::open(path) {
            Ok(store) => return store,
            Err(StoreError::Open { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("store does not open: {error}"),
        }
    }
}

/// Binds the node's cluster port again after a restart.
async fn bind(addr: SocketAddr) -> TcpListener {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => return listener,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("cannot bind {addr} again: {error}"),
        }
    }
}
