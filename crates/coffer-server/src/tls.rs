//! The node's TLS identity: a bootstrap certificate until real ones are installed.

use crate::node::Node;
use anyhow::Context;
use coffer_crypto::Secret;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::IpAddr;
use std::sync::Arc;

const CA_CERT: &str = "tls_bootstrap_ca_cert";
const CHAIN: &str = "tls_bootstrap_chain";
const KEY: &str = "tls_bootstrap_key";
/// Associated data for the sealed TLS private key.
const KEY_AAD: uuid::Uuid = uuid::Uuid::from_u128(0x0074_6c73_5f6b_6579);

/// A certificate chain with its key, ready for rustls, plus the CA that issued it.
pub(crate) struct TlsIdentity {
    /// PEM of the issuing CA (what clients trust).
    pub(crate) ca_cert_pem: String,
    /// The rustls configuration serving the chain.
    pub(crate) config: Arc<ServerConfig>,
}

/// Loads the bootstrap identity, or issues one for `localhost`, 127.0.0.1 and `ip`.
pub(crate) fn bootstrap_identity(node: &Node, ip: IpAddr) -> anyhow::Result<TlsIdentity> {
    let local = node.cluster.store().node_local();
    let stored = (local.get(CA_CERT)?, local.get(CHAIN)?, local.get(KEY)?);
    let (ca_pem, chain_pem, key_pem) = match stored {
        (Some(ca), Some(chain), Some(key)) => {
            let key = node
                .unseal(KEY_AAD, &coffer_core::Sealed(key))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            (String::from_utf8(ca)?, String::from_utf8(chain)?, key)
        }
        _ => {
            let ca = coffer_crypto::tls::bootstrap_ca("Coffer bootstrap CA")?;
            let mut ips = vec![IpAddr::from([127, 0, 0, 1])];
            if !ips.contains(&ip) && !ip.is_unspecified() {
                ips.push(ip);
            }
            let leaf = coffer_crypto::tls::issue_server_cert(&ca, &["localhost".to_owned()], &ips)?;
            let sealed = node
                .seal(KEY_AAD, leaf.key_pem.expose())
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
    let chain: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .context("parsing the certificate chain")?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.expose())
        .context("parsing the TLS private key")?
        .context("no private key in the TLS key PEM")?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
