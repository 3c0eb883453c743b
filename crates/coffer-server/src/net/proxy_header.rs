//! The PROXY protocol step of the API listener (R-NET-PP), before TLS: a load balancer in front
//! of the node may announce the client's address in a PROXY v1 or v2 header (parsed by the
//! `ppp` crate). Whether a peer may, must or must not send one is `proxyHeaderConfig`, read
//! afresh for every connection, so a `deploy` applies to the next connection.
//!
//! The first bytes are peeked, not read: a TLS client hello (or anything that is no PROXY
//! header) stays in the socket for the handshake. A header is consumed exactly, and its source
//! address becomes the connection's client address everywhere (logs, audit, login backoff). A
//! header from a peer that may not send one, a missing header from a peer that must, a header
//! that does not parse and a peer that stays silent past [`HEADER_TIMEOUT`] all close the
//! connection; the refusal is logged with the real peer.

use coffer_config::HeaderRule;
use ppp::{HeaderResult, PartialResult};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// How long a peer may take to send its first bytes (or a whole header).
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest header taken (a v2 header with a few TLVs fits; v1 is at most 107 bytes).
const MAX_HEADER: usize = 512;
/// The v2 signature, and the v1 one.
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";
const V1_SIGNATURE: &[u8] = b"PROXY ";
/// The longest v1 line, with its CRLF.
const V1_MAX: usize = 107;

/// What the PROXY step found on a connection it let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// No header: the peer is the client.
    Direct,
    /// A header from a permitted peer naming this client (or the proxy's own check: `LOCAL`
    /// and `UNKNOWN` headers name none, and the peer counts as the client).
    Proxied(Option<SocketAddr>),
}

/// Why a connection was closed by the PROXY step.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// A header came from a peer `proxyHeaderConfig` does not list.
    #[error("a PROXY header from a peer that may not send one")]
    NotAllowed,
    /// No header came from a peer that must send one.
    #[error("no PROXY header from a peer that must send one (requiredfrom)")]
    Missing,
    /// The header did not parse, or was too long.
    #[error("a malformed PROXY header: {0}")]
    Malformed(String),
    /// The peer sent nothing in time, or the connection failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Applies `rule` to the first bytes of `stream`; consumes a header if one is there.
pub(crate) async fn arrive(stream: &mut TcpStream, rule: HeaderRule) -> Result<Arrival, Refused> {
    let header = tokio::time::timeout(HEADER_TIMEOUT, read_header(stream))
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "no bytes within the header timeout",
            )
        })??;
    match (header, rule) {
        (Some(_), HeaderRule::Refused) => Err(Refused::NotAllowed),
        (None, HeaderRule::Required) => Err(Refused::Missing),
        (None, _) => Ok(Arrival::Direct),
        (Some(client), _) => Ok(Arrival::Proxied(client)),
    }
}

/// The header at the start of `stream`, consumed, with the client it names (`None` for a
/// header that names none); `None` when the stream starts with something else.
async fn read_header(stream: &mut TcpStream) -> Result<Option<Option<SocketAddr>>, Refused> {
    let mut buffer = [0u8; MAX_HEADER];
    loop {
        let seen = stream.peek(&mut buffer).await?;
        if seen == 0 {
            return Err(
                io::Error::new(io::ErrorKind::UnexpectedEof, "closed before any byte").into(),
            );
        }
        let start = &buffer[..seen];
        if !could_be_header(start) {
            return Ok(None);
        }
        let parsed = HeaderResult::parse(start);
        if parsed.is_incomplete() {
            // A v1 header is one line of at most 107 bytes: a whole line that still does not
            // parse never will.
            let v1 = start.starts_with(V1_SIGNATURE);
            if v1 && (start.windows(2).any(|w| w == b"\r\n") || seen >= V1_MAX) {
                return Err(Refused::Malformed("not a PROXY v1 line".into()));
            }
            if seen == MAX_HEADER {
                return Err(Refused::Malformed(format!(
                    "longer than {MAX_HEADER} bytes"
                )));
            }
            // The rest of the header is still on its way.
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        let (length, client) = match parsed {
            HeaderResult::V1(Ok(header)) => (header.header.len(), v1_client(&header.addresses)),
            HeaderResult::V2(Ok(header)) => (header.len(), v2_client(&header)),
            HeaderResult::V1(Err(error)) => return Err(Refused::Malformed(error.to_string())),
            HeaderResult::V2(Err(error)) => return Err(Refused::Malformed(error.to_string())),
        };
        let mut consumed = vec![0u8; length];
        stream.read_exact(&mut consumed).await?;
        return Ok(Some(client));
    }
}

/// True while `start` is a prefix of a header, or starts with a whole signature.
fn could_be_header(start: &[u8]) -> bool {
    [V2_SIGNATURE, V1_SIGNATURE].iter().any(|signature| {
        let common = start.len().min(signature.len());
        start[..common] == signature[..common]
    })
}

fn v1_client(addresses: &ppp::v1::Addresses) -> Option<SocketAddr> {
    match addresses {
        ppp::v1::Addresses::Tcp4(ip) => Some(SocketAddr::from((ip.source_address, ip.source_port))),
        ppp::v1::Addresses::Tcp6(ip) => Some(SocketAddr::from((ip.source_address, ip.source_port))),
        ppp::v1::Addresses::Unknown => None,
    }
}

fn v2_client(header: &ppp::v2::Header<'_>) -> Option<SocketAddr> {
    if header.command == ppp::v2::Command::Local {
        return None;
    }
    match &header.addresses {
        ppp::v2::Addresses::IPv4(ip) => Some(SocketAddr::from((ip.source_address, ip.source_port))),
        ppp::v2::Addresses::IPv6(ip) => Some(SocketAddr::from((ip.source_address, ip.source_port))),
        ppp::v2::Addresses::Unspecified | ppp::v2::Addresses::Unix(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// Sends `bytes` (in two pieces, split at `split`) to a listener and applies `rule` there;
    /// returns the outcome and what was left in the socket for TLS.
    async fn arrive_with(
        bytes: &[u8],
        split: usize,
        rule: HeaderRule,
    ) -> (Result<Arrival, String>, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let bytes = bytes.to_vec();
        let sender = tokio::spawn(async move {
            let mut client = TcpStream::connect(addr).await.expect("connect");
            client
                .write_all(&bytes[..split])
                .await
                .expect("first piece");
            tokio::time::sleep(Duration::from_millis(30)).await;
            client
                .write_all(&bytes[split..])
                .await
                .expect("second piece");
            client.shutdown().await.expect("shutdown");
        });
        let (mut stream, _) = listener.accept().await.expect("accept");
        let outcome = arrive(&mut stream, rule).await.map_err(|e| e.to_string());
        let mut rest = Vec::new();
        if outcome.is_ok() {
            stream.read_to_end(&mut rest).await.expect("rest");
        }
        sender.await.expect("sender");
        (outcome, rest)
    }

    const HELLO: &[u8] = b"\x16\x03\x01 client hello";

    fn v2_header(client: SocketAddr) -> Vec<u8> {
        let addresses = match client {
            SocketAddr::V4(client) => ppp::v2::Addresses::IPv4(ppp::v2::IPv4::new(
                *client.ip(),
                std::net::Ipv4Addr::LOCALHOST,
                client.port(),
                443,
            )),
            SocketAddr::V6(_) => unreachable!("the tests use IPv4"),
        };
        ppp::v2::Builder::with_addresses(
            ppp::v2::Version::Two | ppp::v2::Command::Proxy,
            ppp::v2::Protocol::Stream,
            addresses,
        )
        .build()
        .expect("a v2 header")
    }

    #[tokio::test]
    async fn a_v1_header_names_the_client_and_leaves_the_hello_for_tls() {
        let mut bytes = b"PROXY TCP4 192.0.2.7 127.0.0.1 51000 443\r\n".to_vec();
        bytes.extend_from_slice(HELLO);
        let (outcome, rest) = arrive_with(&bytes, 10, HeaderRule::Optional).await;
        assert_eq!(
            outcome,
            Ok(Arrival::Proxied(Some(
                "192.0.2.7:51000".parse().expect("addr")
            )))
        );
        assert_eq!(rest, HELLO);
    }

    #[tokio::test]
    async fn a_v2_header_split_over_two_packets_is_taken_whole() {
        let client: SocketAddr = "198.51.100.9:40000".parse().expect("addr");
        let mut bytes = v2_header(client);
        bytes.extend_from_slice(HELLO);
        let (outcome, rest) = arrive_with(&bytes, 14, HeaderRule::Required).await;
        assert_eq!(outcome, Ok(Arrival::Proxied(Some(client))));
        assert_eq!(rest, HELLO);
    }

    #[tokio::test]
    async fn the_rule_decides_who_may_send_a_header_and_who_must() {
        let header = v2_header("198.51.100.9:40000".parse().expect("addr"));
        let (refused, _) = arrive_with(&header, header.len(), HeaderRule::Refused).await;
        assert_eq!(refused, Err(Refused::NotAllowed.to_string()));
        let (missing, _) = arrive_with(HELLO, HELLO.len(), HeaderRule::Required).await;
        assert_eq!(missing, Err(Refused::Missing.to_string()));
        let (direct, rest) = arrive_with(HELLO, 2, HeaderRule::Optional).await;
        assert_eq!(direct, Ok(Arrival::Direct));
        assert_eq!(rest, HELLO, "nothing was consumed");
        let (garbled, _) = arrive_with(b"PROXY TCP4 nonsense\r\n", 21, HeaderRule::Optional).await;
        assert!(garbled.is_err_and(|e| e.starts_with("a malformed PROXY header")));
    }
}
