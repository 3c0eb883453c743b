//! Persistent HTTPS/1.1 client connections (hyper 1 over tokio-rustls).
//!
//! Every [`Conn`] owns one TLS connection with at most one request in flight,
//! kept alive across requests and re-established transparently after a
//! transport failure.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Where and how to reach the server: address, TLS trust and credentials.
#[derive(Clone)]
pub(crate) struct Target {
    host: String,
    port: u16,
    authority: HeaderValue,
    server_name: ServerName<'static>,
    connector: TlsConnector,
    auth: HeaderValue,
    timeout: Duration,
}

impl Target {
    /// Builds a target for `url` (`https://host:port`) trusting only `ca_pem`.
    pub(crate) fn new(url: &str, ca_pem: &str, auth: &str, timeout: Duration) -> Result<Self> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("invalid server url {url:?}"))?;
        if uri.scheme_str() != Some("https") {
            bail!("server url {url:?} is not https");
        }
        let authority = uri
            .authority()
            .ok_or_else(|| anyhow!("server url {url:?} has no host"))?;
        let port = authority.port_u16().unwrap_or(443);
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let server_name = ServerName::try_from(host.clone())
            .with_context(|| format!("invalid TLS server name {host:?}"))?;

        let mut roots = rustls::RootCertStore::empty();
        let mut found = 0usize;
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let cert = cert.context("cannot parse ca_cert_pem")?;
            roots
                .add(cert)
                .context("cannot use ca_cert_pem as a trust anchor")?;
            found += 1;
        }
        if found == 0 {
            bail!("ca_cert_pem holds no certificate");
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_root_certificates(roots)
            .with_no_client_auth();

        Ok(Self {
            host,
            port,
            authority: HeaderValue::from_str(authority.as_str())?,
            server_name,
            connector: TlsConnector::from(Arc::new(config)),
            auth: HeaderValue::from_str(auth).context("invalid Authorization value")?,
            timeout,
        })
    }

    /// Replaces the `Authorization` header value sent on every request.
    pub(crate) fn set_auth(&mut self, auth: &str) -> Result<()> {
        self.auth = HeaderValue::from_str(auth).context("invalid Authorization value")?;
        Ok(())
    }

    async fn open(&self) -> Result<SendRequest<Full<Bytes>>> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("connect to {}:{}", self.host, self.port))?;
        tcp.set_nodelay(true)?;
        let tls = self
            .connector
            .connect(self.server_name.clone(), tcp)
            .await
            .context("TLS handshake")?;
        let (sender, conn) = http1::handshake(TokioIo::new(tls))
            .await
            .context("HTTP/1.1 handshake")?;
        tokio::spawn(async move {
            // The connection ends when the sender is dropped or the peer closes it;
            // failures surface on the next request through the sender.
            let _ = conn.await;
        });
        Ok(sender)
    }
}

/// A response: status and the whole body.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl Reply {
    /// The body as (lossy) UTF-8 text, cut to `max` characters.
    pub(crate) fn text(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        if text.chars().count() > max {
            let cut: String = text.chars().take(max).collect();
            format!("{cut}…")
        } else {
            text.into_owned()
        }
    }

    /// Fails unless the status is 2xx; the error carries status and body.
    pub(crate) fn success(self) -> Result<Self> {
        if self.status.is_success() {
            Ok(self)
        } else {
            bail!("HTTP {}: {}", self.status, self.text(500))
        }
    }

    /// Parses the body as JSON.
    pub(crate) fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("response is not JSON: {}", self.text(200)))
    }
}

/// One keep-alive connection to the server.
pub(crate) struct Conn {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// Opens a connection (TCP + TLS + HTTP/1.1 handshake).
    pub(crate) async fn connect(target: Arc<Target>) -> Result<Self> {
        let sender = target.open().await?;
        Ok(Self {
            target,
            sender: Some(sender),
        })
    }

    /// A connection that is opened by its first request (so that a node which
    /// is down fails that request instead of this call).
    pub(crate) fn lazy(target: Arc<Target>) -> Self {
        Self {
            target,
            sender: None,
        }
    }

    /// Sends one request and reads the whole response. A transport failure or a
    /// timeout drops the connection; the next call reconnects.
    pub(crate) async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<Reply> {
        let timeout = self.target.timeout;
        match tokio::time::timeout(timeout, self.exchange(method, path, body)).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                bail!("no response within {timeout:?}")
            }
        }
    }

    async fn exchange(&mut self, method: Method, path: &str, body: Option<Bytes>) -> Result<Reply> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.target.open().await?,
        };
        sender.ready().await.context("connection closed")?;

        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.target.authority.clone())
            .header(AUTHORIZATION, self.target.auth.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if body.is_some() {
            req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let req = req.body(Full::new(body.unwrap_or_default()))?;

        let resp = sender.send_request(req).await.context("send request")?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .context("read response body")?
            .to_bytes();
        self.sender = Some(sender);
        Ok(Reply { status, body })
    }
}
