//! The node's TLS identity: a bootstrap certificate until real ones are installed.

use anyhow::Context;
use coffer_crypto::Secret;
use coffer_node::Node;
use coffer_node::vault::Purpose;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::IpAddr;
use std::sync::Arc;

const CA_CERT: &str = "tls_bootstrap_ca_cert";
const CHAIN: &str = "tls_bootstrap_chain";
use coffer_node::vault::BOOTSTRAP_TLS_KEY as KEY;

/// A certificate chain with its key, ready for rustls, plus the CA that issued it.
pub(crate) struct TlsIdentity {
    /// PEM of the issuing CA (what clients trust).
    pub(crate) ca_cert_pem: String,
    /// The rustls configuration serving the chain.
    pub(crate) config: Arc<ServerConfig>,
}

/// Loads the bootstrap identity, or issues one for `localhost`, 127.0.0.1 and `ip`.
pub(crate) fn bootstrap_identity(node: &Node, ip: IpAddr) -> anyhow::Result<TlsIdentity> {
    bootstrap_identity_named(node, ip, &[])
}

/// Like [`bootstrap_identity`], with extra DNS names (the node's host name).
pub(crate) fn bootstrap_identity_named(
    node: &Node,
    ip: IpAddr,
    names: &[String],
) -> anyhow::Result<TlsIdentity> {
    let local = node.cluster.store().node_local();
    let stored = (local.get(CA_CERT)?, local.get(CHAIN)?, local.get(KEY)?);
    let (ca_pem, chain_pem, key_pem) = match stored {
        (Some(ca), Some(chain), Some(key)) => {
            let key = node
                .unseal(Purpose::BootstrapTlsKey, &coffer_core::Sealed(key))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            (String::from_utf8(ca)?, String::from_utf8(chain)?, key)
        }
        _ => {
            let ca = coffer_crypto::tls::bootstrap_ca("Coffer bootstrap CA")?;
            let mut ips = vec![IpAddr::from([127, 0, 0, 1])];
            if !ips.contains(&ip) && !ip.is_unspecified() {
                ips.push(ip);
            }
            let mut dns = vec!["localhost".to_owned()];
            dns.extend(names.iter().filter(|n| n.as_str() != "localhost").cloned());
            let leaf = coffer_crypto::tls::issue_server_cert(&ca, &dns, &ips)?;
            let sealed = node
                .seal(Purpose::BootstrapTlsKey, leaf.key_pem.expose())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            local.put(CA_CERT, ca.cert_pem.as_bytes())?;
            local.put(CHAIN, leaf.cert_chain_pem.as_bytes())?;
            local.put(KEY, &sealed.0)?;
            tracing::info!("issued a bootstrap TLS certificate for localhost");
            (ca.cert_pem, leaf.cert_chain_pem, leaf.key_pem)
        }
    };
    Ok(TlsIdentity {
        config: server_config(&chain_pem, &key_pem)?,
        ca_cert_pem: ca_pem,
    })
}

/// A rustls server configuration (HTTP/1.1 and h2) for a PEM chain and key.
fn server_config(chain_pem: &str, key_pem: &Secret) -> anyhow::Result<Arc<ServerConfig>> {
    let (chain, key) = chain_and_key(chain_pem, key_pem)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The cluster port's TLS: the node certificate; client certificates are requested and, when
/// given, must chain to the cluster CA. Routes other than joining demand one (checked per
/// connection by the cluster-port listener).
pub(crate) fn cluster_server_config(
    chain_pem: &str,
    key_pem: &Secret,
    ca_pem: &str,
) -> anyhow::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots(ca_pem)?),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()?;
    let (chain, key) = chain_and_key(chain_pem, key_pem)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client for peers' cluster ports: trusts only the cluster CA and presents the node
/// certificate (or none, while joining).
pub(crate) fn cluster_client_config(
    ca_pem: &str,
    identity: Option<(&str, &Secret)>,
) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(ca_pem)?);
    let mut config = match identity {
        Some((chain_pem, key_pem)) => {
            let (chain, key) = chain_and_key(chain_pem, key_pem)?;
            builder.with_client_auth_cert(chain, key)?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The control plane's [`PeerLink`](coffer_node::peers::PeerLink): the same pooled client
/// for peers' cluster ports as Raft's, expecting each peer's certificate for the IP address it
/// is reached at (node certificates carry it) and, when the address is a member's, holding the
/// key the membership pins for it.
pub(crate) struct HttpsPeerLink {
    pub(crate) transport: Arc<coffer_peer::HttpsTransport>,
    pub(crate) cluster: coffer_cluster::Cluster,
}

impl coffer_node::peers::PeerLink for HttpsPeerLink {
    fn post<'a>(
        &'a self,
        cluster_addr: &'a str,
        path: &'a str,
        body: Vec<u8>,
        timeout: std::time::Duration,
    ) -> coffer_node::peers::PeerFuture<'a> {
        use coffer_node::peers::{PeerAnswer, PeerLinkError};
        Box::pin(async move {
            let server_name = server_name_of(cluster_addr);
            let request = coffer_cluster::PeerRequest {
                method: coffer_cluster::PeerMethod::Post,
                path,
                body,
                timeout,
            };
            // A member by the key its record pins; a joining node, which knows no member yet,
            // reaches only the node that admitted it, by the key that node's grant named.
            let pin = self
                .cluster
                .members()
                .into_iter()
                .find(|(_, info, _)| info.cluster_addr == cluster_addr)
                .and_then(|(_, info, _)| info.cert_key_id())
                .or_else(|| self.cluster.admitting_key());
            let reply = self
                .transport
                .send_to(cluster_addr, &server_name, pin, request)
                .await
                .map_err(|e| PeerLinkError(format!("{:#}", anyhow::Error::new(e))))?;
            Ok(PeerAnswer {
                status: reply.status,
                body: reply.body,
            })
        })
    }
}

/// The name a peer's certificate must carry when it is reached at `addr` (`ip:port`): its IP.
pub(crate) fn server_name_of(addr: &str) -> String {
    addr.parse::<std::net::SocketAddr>()
        .map_or_else(|_| addr.to_owned(), |a| a.ip().to_string())
}

fn roots(ca_pem: &str) -> anyhow::Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
        roots.add(cert.context("parsing the cluster CA")?)?;
    }
    Ok(roots)
}

/// A PEM certificate chain and private key, parsed for rustls.
pub(crate) fn chain_and_key(
    chain_pem: &str,
    key_pem: &Secret,
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = rustls_pemfile::certs(&mut chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("parsing a certificate chain")?;
    let key = rustls_pemfile::private_key(&mut key_pem.expose())
        .context("parsing a private key")?
        .context("no private key in the PEM")?;
    Ok((chain, key))
}

/// The API's TLS (no client certificates), serving `chain_pem`.
pub(crate) fn api_server_config(
    chain_pem: &str,
    key_pem: &Secret,
) -> anyhow::Result<Arc<ServerConfig>> {
    server_config(chain_pem, key_pem)
}
