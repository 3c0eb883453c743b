//! The API listener: TCP accept → TLS handshake → connection log → axum.
//!
//! Handshakes run in their own tasks so a slow client never holds up the accept loop; finished
//! connections reach axum through a bounded channel.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The address of the client on the other end of a connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(pub(crate) SocketAddr);

impl Connected<IncomingStream<'_, TlsListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        *stream.remote_addr()
    }
}

/// A TCP listener that hands axum only connections that completed a TLS handshake.
pub(crate) struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, ClientAddr)>,
}

impl TlsListener {
    /// Starts accepting on `tcp`; `acceptor` is read for every new connection, so swapping the
    /// certificate behind it takes effect without a restart.
    pub(crate) fn start(
        tcp: TcpListener,
        acceptor: Arc<dyn Fn() -> TlsAcceptor + Send + Sync>,
    ) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(1024);
        tokio::spawn(accept_loop(tcp, acceptor, tx));
        Ok(Self { local, ready })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: Arc<dyn Fn() -> TlsAcceptor + Send + Sync>,
    ready: mpsc::Sender<(TlsStream<TcpStream>, ClientAddr)>,
) {
    loop {
        // Stop (and release the port) as soon as the server side is gone, not at the next
        // connection: a reset node must be able to bind its address again.
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            () = ready.closed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if ready.is_closed() {
            return;
        }
        let _ = stream.set_nodelay(true);
        tracing::info!(log = "connection", client_ip = %peer.ip(), client_port = peer.port(), "connection accepted");
        let tls = acceptor();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                Ok(Ok(stream)) => {
                    let _ = ready.send((stream, ClientAddr(peer))).await;
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
        Ok(ClientAddr(self.local))
    }
}
