//! The API listener: TCP accept → PROXY header per `proxyHeaderConfig` (`proxy_header.rs`) →
//! connection log (with the client's address) → TLS handshake (certificate chosen by SNI) →
//! axum.
//!
//! The client's hello is read first; its server name picks the service and certificate (the
//! main API domain, the UI domain, or the bootstrap certificate before real ones are installed).
//! Handshakes run in their own tasks so a slow client never holds up the accept loop; finished
//! connections reach axum through a bounded channel.
//!
//! On the mutual-TLS interface the handshake asks for a client certificate; the SHA-256
//! fingerprint of the one presented travels with the connection, for the authentication of apps
//! that registered it.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::ServerConfig;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;

use super::log_filter::LogFilter;
use super::proxy_header::{self, Arrival};

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which service a connection reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    /// The REST API (main domain).
    Api,
    /// The web UI's assets (UI domain).
    Ui,
}

/// The SHA-256 fingerprint of the client certificate a connection presented.
pub(crate) type ClientCertificate = [u8; 32];

/// The client on the other end of a connection, the service it asked for, and the client
/// certificate it presented (only the mutual-TLS interface asks for one).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(
    pub(crate) SocketAddr,
    pub(crate) Service,
    pub(crate) Option<ClientCertificate>,
);

impl Connected<IncomingStream<'_, TlsListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        *stream.remote_addr()
    }
}

/// Picks the TLS configuration (and service) for a client hello's server name. Read for every
/// connection, so swapping certificates takes effect without a restart.
pub(crate) trait ChooseConfig: Send + Sync + 'static {
    /// The configuration and service for `server_name` (`None` without SNI, e.g. by IP).
    fn choose(&self, server_name: Option<&str>) -> (Arc<ServerConfig>, Service);
}

/// Says, for each new connection, whether its peer may, must or must not send a PROXY header.
/// Read for every connection, so a deployed change applies to the next one.
pub(crate) trait ProxyPolicy: Send + Sync + 'static {
    /// The rule for a connection from `peer`.
    fn rule_for(&self, peer: std::net::IpAddr) -> coffer_config::HeaderRule;
}

impl ProxyPolicy for coffer_node::settings::LiveSettings {
    fn rule_for(&self, peer: std::net::IpAddr) -> coffer_config::HeaderRule {
        match &self.current().config {
            Some(config) => config.proxy_header.rule_for(peer),
            // No configuration deployed (the evaluation node): `disabled`.
            None => coffer_config::ProxyHeaderConfig::Disabled.rule_for(peer),
        }
    }
}

/// A TCP listener that hands axum only connections that completed a TLS handshake.
pub(crate) struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, ClientAddr)>,
}

impl TlsListener {
    /// Starts accepting on `tcp`, taking PROXY headers as `proxy` says and choosing
    /// certificates with `chooser`.
    pub(crate) fn start(
        tcp: TcpListener,
        chooser: Arc<dyn ChooseConfig>,
        proxy: Arc<dyn ProxyPolicy>,
        log_filter: Arc<LogFilter>,
    ) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(1024);
        tokio::spawn(accept_loop(tcp, chooser, proxy, log_filter, tx));
        Ok(Self { local, ready })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    chooser: Arc<dyn ChooseConfig>,
    proxy: Arc<dyn ProxyPolicy>,
    log_filter: Arc<LogFilter>,
    ready: mpsc::Sender<(TlsStream<TcpStream>, ClientAddr)>,
) {
    loop {
        // Stop (and release the port) as soon as the server side is gone, not at the next
        // connection: a reset node must be able to bind its address again.
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            () = ready.closed() => return,
        };
        let (mut stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let chooser = chooser.clone();
        let rule = proxy.rule_for(peer.ip());
        let ready = ready.clone();
        let log_filter = log_filter.clone();
        tokio::spawn(async move {
            let peer = match proxy_header::arrive(&mut stream, rule).await {
                Ok(Arrival::Direct) => {
                    crate::telemetry::record_connection("direct");
                    if log_filter.logs_connection(peer.ip()) {
                        tracing::info!(log = "connection", client_ip = %peer.ip(), client_port = peer.port(), "connection accepted");
                    }
                    peer
                }
                Ok(Arrival::Proxied(client)) => {
                    crate::telemetry::record_connection("proxied");
                    let client = client.unwrap_or(peer);
                    if log_filter.logs_connection(client.ip()) {
                        tracing::info!(log = "connection", client_ip = %client.ip(), client_port = client.port(), proxy_ip = %peer.ip(), "connection accepted");
                    }
                    client
                }
                Err(refusal) => {
                    crate::telemetry::record_connection("refused");
                    tracing::warn!(log = "connection", client_ip = %peer.ip(), client_port = peer.port(), %refusal, "connection refused");
                    return;
                }
            };
            let handshake = async {
                let start =
                    LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await?;
                let (config, service) = chooser.choose(start.client_hello().server_name());
                let stream = start.into_stream(config).await?;
                Ok::<_, io::Error>((stream, service))
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                Ok(Ok((stream, service))) => {
                    let certificate = client_certificate(&stream);
                    if certificate.is_some() {
                        tracing::debug!(log = "connection", client_ip = %peer.ip(), "client certificate presented");
                    }
                    let _ = ready
                        .send((stream, ClientAddr(peer, service, certificate)))
                        .await;
                }
                Ok(Err(error)) => {
                    tracing::debug!(log = "connection", client_ip = %peer.ip(), %error, "TLS handshake failed");
                }
                Err(_) => {
                    tracing::debug!(log = "connection", client_ip = %peer.ip(), "TLS handshake timed out");
                }
            }
        });
    }
}

/// The fingerprint of the leaf certificate the client presented, if it presented one.
fn client_certificate(stream: &TlsStream<TcpStream>) -> Option<ClientCertificate> {
    let leaf = stream.get_ref().1.peer_certificates()?.first()?;
    coffer_crypto::DigestAlgorithm::Sha256
        .digest(leaf.as_ref())
        .try_into()
        .ok()
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = ClientAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when this receiver is gone, so this never resolves.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ClientAddr(self.local, Service::Api, None))
    }
}
