//! A deliberately small HTTP/1.1 client over rustls.
//!
//! One connection per request (`Connection: close`), no redirects, no retries: what is sent is
//! exactly what the test wrote. Large bodies go out behind `Expect: 100-continue`, so a server
//! that refuses them by `Content-Length` (413) is heard before the body is pushed into a socket
//! it will not read.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// Bodies larger than this are sent only after the server answers `100 Continue`.
const CONTINUE_THRESHOLD: usize = 64 * 1024;
/// No single read or write may stall longer than this.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends raw HTTPS requests to one server, trusting only the given CA.
#[derive(Clone)]
pub struct RawClient {
    authority: String,
    server_name: ServerName<'static>,
    config: Arc<ClientConfig>,
}

/// A complete response: status, headers in arrival order, and the decoded body.
#[derive(Clone)]
pub struct RawResponse {
    /// The final status code (never 1xx).
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl RawClient {
    /// A client for `url` (`https://HOST:PORT`) that trusts the CA certificates in
    /// `ca_cert_pem` and nothing else.
    pub fn new(url: &str, ca_cert_pem: &str) -> anyhow::Result<Self> {
        let authority = url
            .strip_prefix("https://")
            .with_context(|| format!("{url} is not an https URL"))?
            .trim_end_matches('/')
            .to_owned();
        let (host, port) = authority
            .rsplit_once(':')
            .with_context(|| format!("{url} names no port"))?;
        port.parse::<u16>()
            .with_context(|| format!("{url} has a bad port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let server_name = ServerName::try_from(host.to_owned())
            .with_context(|| format!("{host} is not a valid TLS server name"))?;

        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_cert_pem.as_bytes()) {
            roots
                .add(cert.context("reading the CA certificate PEM")?)
                .context("adding the CA certificate")?;
        }
        ensure!(!roots.is_empty(), "no certificate in the CA PEM");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("choosing TLS versions")?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            authority,
            server_name,
            config: Arc::new(config),
        })
    }

    /// Sends one request and reads the whole response.
    ///
    /// `Host`, `Connection: close` and `Content-Length` (for a non-empty body, and for every
    /// POST, PUT and PATCH) are added; `headers` must not repeat them.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<RawResponse> {
        let tcp = TcpStream::connect(&self.authority)
            .with_context(|| format!("connecting to {}", self.authority))?;
        tcp.set_read_timeout(Some(IO_TIMEOUT))?;
        tcp.set_write_timeout(Some(IO_TIMEOUT))?;
        tcp.set_nodelay(true)?;
        let tls = ClientConnection::new(self.config.clone(), self.server_name.clone())
            .context("starting TLS")?;
        let mut conn = Connection {
            stream: StreamOwned::new(tls, tcp),
            buf: Vec::new(),
            socket_closed: false,
        };

        let expect_continue = body.len() > CONTINUE_THRESHOLD;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.authority
        );
        if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        if expect_continue {
            head.push_str("Expect: 100-continue\r\n");
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        conn.write_all(head.as_bytes())
            .with_context(|| format!("sending {method} {path}"))?;

        if expect_continue {
            let (status, response_headers) = conn.read_head()?;
            if status != 100 {
                // Refused on the head alone: the body is never sent.
                return conn.finish(method, status, response_headers);
            }
        }
        // If the server stops reading part way (a streaming size limit), the write fails but
        // its response is usually already on its way: read it before reporting the write.
        let sent = conn.write_all(body);
        match (conn.read_response(method), sent) {
            (Ok(response), _) => Ok(response),
            (Err(read), Err(write)) => Err(read.context(format!(
                "{method} {path}: the body could not be sent either: {write}"
            ))),
            (Err(read), Ok(())) => Err(read.context(format!("{method} {path}"))),
        }
    }
}

impl RawResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("status {} body is not JSON: {:?}", self.status, self.text()))
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.text();
        if text.len() > 2000 {
            let mut cut = 2000;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &text)
            .finish()
    }
}

struct Connection {
    stream: StreamOwned<ClientConnection, TcpStream>,
    /// Bytes read from the server and not consumed yet.
    buf: Vec<u8>,
    /// The server closed (or reset) the TCP connection.
    socket_closed: bool,
}

impl Connection {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads heads until a final one, then its body.
    fn read_response(&mut self, method: &str) -> anyhow::Result<RawResponse> {
        loop {
            let (status, headers) = self.read_head()?;
            if (100..200).contains(&status) {
                continue;
            }
            return self.finish(method, status, headers);
        }
    }

    fn finish(
        &mut self,
        method: &str,
        status: u16,
        headers: Vec<(String, String)>,
    ) -> anyhow::Result<RawResponse> {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
        };
        let body = if method == "HEAD" || status == 204 || status == 304 {
            Vec::new()
        } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            self.read_chunked()?
        } else if let Some(length) = header("content-length") {
            let length: usize = length
                .parse()
                .with_context(|| format!("bad Content-Length {length:?}"))?;
            self.read_exact(length)?
        } else {
            self.read_to_end()?
        };
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    fn read_head(&mut self) -> anyhow::Result<(u16, Vec<(String, String)>)> {
        let end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end;
            }
            if self.fill()? == 0 {
                bail!(
                    "connection closed before a complete response head ({} bytes received)",
                    self.buf.len()
                );
            }
        };
        let head: Vec<u8> = self.buf.drain(..end + 4).collect();
        let head = String::from_utf8_lossy(&head[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .with_context(|| format!("bad status line {status_line:?}"))?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Ok((status, headers))
    }

    fn read_chunked(&mut self) -> anyhow::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .with_context(|| format!("bad chunk size line {line:?}"))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.read_line()?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.read_exact(size)?);
            let end = self.read_line()?;
            ensure!(end.is_empty(), "chunk not followed by CRLF");
        }
    }

    fn read_line(&mut self) -> anyhow::Result<String> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..end + 2).collect();
                return Ok(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            if self.fill()? == 0 {
                bail!("connection closed inside a chunked body");
            }
        }
    }

    fn read_exact(&mut self, length: usize) -> anyhow::Result<Vec<u8>> {
        while self.buf.len() < length {
            if self.fill()? == 0 {
                bail!(
                    "connection closed after {} of {length} body bytes",
                    self.buf.len()
                );
            }
        }
        Ok(self.buf.drain(..length).collect())
    }

    fn read_to_end(&mut self) -> anyhow::Result<Vec<u8>> {
        while self.fill()? > 0 {}
        Ok(std::mem::take(&mut self.buf))
    }

    /// Reads what is available; 0 means the server closed the connection.
    ///
    /// Works on the TLS connection directly instead of through `Stream::read`, which would first
    /// try to flush unsent request bytes: after a refused body those writes fail, while the
    /// response the server sent before closing is still waiting to be read.
    fn fill(&mut self) -> anyhow::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.conn.reader().read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // A server may close without TLS close_notify once it has sent everything.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e).context("reading the response"),
            }
            if self.socket_closed {
                return Ok(0);
            }
            match self.stream.conn.read_tls(&mut self.stream.sock) {
                Ok(0) => self.socket_closed = true,
                Ok(_) => {}
                // The kernel hands out queued data before reporting a reset, so a reset here
                // means everything the server sent has been read.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => self.socket_closed = true,
                Err(e) => return Err(e).context("reading the response"),
            }
            self.stream
                .conn
                .process_new_packets()
                .context("reading the response (TLS)")?;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
