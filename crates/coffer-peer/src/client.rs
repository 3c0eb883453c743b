//! The client side of the cluster port: [`HttpsTransport`], requests over HTTPS with mutual
//! TLS, one pooled client per peer.
//!
//! Each peer gets a hyper client whose connector dials the peer's `cluster_addr` and verifies
//! its certificate against the peer's `name`. The TLS configuration offers `h2` and
//! `http/1.1`: with HTTP/2 every RPC to a peer shares one connection; with HTTP/1.1 idle
//! connections are kept and reused. Raft sends many small RPCs, so the handshake is paid once
//! per peer, not per call.

use bytes::Bytes;
use coffer_cluster::{NodeInfo, PeerError, PeerMethod, PeerRequest, PeerTransport};
use http::{Method, Request, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A connection that is not established within this time counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// HTTP/2 pings on a pooled connection detect a peer that vanished without closing it.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5);

/// Idle connections are closed after this time.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// How much of an HTTP error body is kept for the error message.
const ERROR_BODY_LIMIT: usize = 512;

/// Sends requests to peers over mutual TLS, reusing connections per peer: the
/// [`PeerTransport`] a node gives to [`Cluster::start`](coffer_cluster::Cluster::start).
///
/// A request to `peer` dials [`NodeInfo::cluster_addr`] and accepts only a certificate for
/// [`NodeInfo::name`] that the configuration's roots (the cluster CA) vouch for and, when the
/// membership pins one ([`NodeInfo::cert_key`]), that holds the pinned key: a certificate the
/// CA signed for the same name with another key (minted by a removed node) is refused. A connection
/// not made within 2 s counts as unreachable; HTTP/2 pings every 5 s notice a peer that
/// vanished; idle connections are closed after 90 s.
pub struct HttpsTransport {
    tls: TlsConnector,
    clients: Mutex<HashMap<PeerKey, PeerClient>>,
}

type PeerClient = Client<PeerConnector, Full<Bytes>>;

/// A peer's whole answer.
#[derive(Clone, Debug)]
pub struct PeerReply {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// A peer is its name (the certificate to expect), its address and its pinned key id.
type PeerKey = (String, String, Option<[u8; 32]>);

impl HttpsTransport {
    /// A transport presenting the identity in `tls` (client certificate, trusted cluster CA).
    /// The ALPN list is replaced by `h2, http/1.1`.
    pub fn new(tls: &rustls::ClientConfig) -> Self {
        let mut tls = tls.clone();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self {
            tls: TlsConnector::from(Arc::new(tls)),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `request` to `peer` and reads the whole answer, within the request's timeout; an
    /// error status is an error.
    async fn exchange(
        &self,
        peer: &NodeInfo,
        request: PeerRequest<'_>,
    ) -> Result<Vec<u8>, PeerError> {
        let pin = peer.cert_key_id();
        let reply = self
            .send_to(&peer.cluster_addr, &peer.name, pin, request)
            .await?;
        if !(200..300).contains(&reply.status) {
            let shown = &reply.body[..reply.body.len().min(ERROR_BODY_LIMIT)];
            return Err(PeerError::Status {
                status: reply.status,
                body: String::from_utf8_lossy(shown).into_owned(),
            });
        }
        Ok(reply.body)
    }

    /// Sends `request` to the cluster port at `addr`, accepting only a certificate for
    /// `server_name` (a node name, or the IP address of `addr`), and reads the whole answer
    /// within the request's timeout, whatever its status.
    pub async fn send(
        &self,
        addr: &str,
        server_name: &str,
        request: PeerRequest<'_>,
    ) -> Result<PeerReply, PeerError> {
        self.send_to(addr, server_name, None, request).await
    }

    /// [`HttpsTransport::send`], also accepting only a certificate whose key has the id `pin`
    /// when one is given (see [`NodeInfo::cert_key`]).
    pub async fn send_to(
        &self,
        addr: &str,
        server_name: &str,
        pin: Option<[u8; 32]>,
        request: PeerRequest<'_>,
    ) -> Result<PeerReply, PeerError> {
        let client = self.client(server_name, addr, pin)?;
        let PeerRequest {
            method,
            path,
            body,
            timeout,
        } = request;
        let method = match method {
            PeerMethod::Get => Method::GET,
            PeerMethod::Post => Method::POST,
        };
        let bad_address = || PeerError::BadAddress {
            addr: addr.to_owned(),
        };
        let uri: Uri = format!("https://{addr}{path}")
            .parse()
            .map_err(|_| bad_address())?;
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| bad_address())?;
        let exchange = async move {
            let response = client.request(request).await.map_err(|error| {
                if error.is_connect() {
                    PeerError::Connect(Box::new(error))
                } else {
                    PeerError::Request(Box::new(error))
                }
            })?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|error| PeerError::Body(Box::new(error)))?
                .to_bytes();
            Ok(PeerReply {
                status,
                body: Vec::from(body),
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| PeerError::Timeout(timeout))?
    }

    /// The pooled client for the peer at `addr` with the certificate of `server_name`, made on
    /// first use.
    fn client(
        &self,
        server_name: &str,
        addr: &str,
        pin: Option<[u8; 32]>,
    ) -> Result<PeerClient, PeerError> {
        let key = (server_name.to_owned(), addr.to_owned(), pin);
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let name =
            ServerName::try_from(server_name.to_owned()).map_err(|_| PeerError::BadName {
                name: server_name.to_owned(),
            })?;
        let connector = PeerConnector {
            addr: Arc::from(addr),
            name,
            pin,
            tls: self.tls.clone(),
        };
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .http2_keep_alive_interval(KEEP_ALIVE_INTERVAL)
            .http2_keep_alive_timeout(KEEP_ALIVE_INTERVAL)
            .build(connector);
        clients.insert(key, client.clone());
        Ok(client)
    }
}

impl PeerTransport for HttpsTransport {
    fn call<'a>(
        &'a self,
        peer: &'a NodeInfo,
        request: PeerRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, PeerError>> + Send + 'a>> {
        Box::pin(self.exchange(peer, request))
    }
}

impl std::fmt::Debug for HttpsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsTransport").finish_non_exhaustive()
    }
}

/// Dials one peer: TCP to its address, then TLS verifying its name (and its pinned key).
#[derive(Clone)]
struct PeerConnector {
    addr: Arc<str>,
    name: ServerName<'static>,
    pin: Option<[u8; 32]>,
    tls: TlsConnector,
}

impl tower::Service<Uri> for PeerConnector {
    type Response = PeerStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<PeerStream>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let connector = self.clone();
        Box::pin(async move {
            let connect = async {
                let tcp = TcpStream::connect(&*connector.addr).await?;
                tcp.set_nodelay(true)?;
                connector.tls.connect(connector.name.clone(), tcp).await
            };
            let tls = tokio::time::timeout(CONNECT_TIMEOUT, connect)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
            if let Some(pin) = connector.pin {
                let presented = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .and_then(|leaf| coffer_crypto::certificate_key_id(leaf).ok());
                if presented != Some(pin) {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        "the peer's certificate does not hold the key its membership record pins",
                    ));
                }
            }
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            tracing::debug!(addr = %connector.addr, name = ?connector.name, h2, "connected to peer");
            Ok(PeerStream {
                io: TokioIo::new(tls),
                h2,
            })
        })
    }
}

/// An established TLS connection to a peer.
struct PeerStream {
    io: TokioIo<TlsStream<TcpStream>>,
    h2: bool,
}

impl Connection for PeerStream {
    fn connected(&self) -> Connected {
        let connected = Connected::new();
        if self.h2 {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

impl hyper::rt::Read for PeerStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for PeerStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}
