//! The bootstrap certificates work with rustls: a full TLS 1.3 handshake with mutual
//! authentication, both sides trusting only the bootstrap CA.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::sync::Arc;

use coffer_crypto::tls::{CaBundle, ServerCert, bootstrap_ca, issue_server_cert};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn chain(cert: &ServerCert) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(cert.cert_chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

fn key(cert: &ServerCert) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_slice(cert.key_pem.expose()).unwrap()
}

fn roots(ca: &CaBundle) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).unwrap())
        .unwrap();
    Arc::new(roots)
}

/// Runs a handshake between `client_cert` (presented to the server) and `server_cert`,
/// connecting to `name`.
fn handshake(
    ca: &CaBundle,
    server_cert: &ServerCert,
    client_cert: &ServerCert,
    name: &str,
) -> Result<(), rustls::Error> {
    let client_verifier = WebPkiClientVerifier::builder_with_provider(roots(ca), provider())
        .build()
        .unwrap();
    let server_config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(chain(server_cert), key(server_cert))?;
    let client_config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(ca))
        .with_client_auth_cert(chain(client_cert), key(client_cert))?;

    let name = ServerName::try_from(name.to_owned()).unwrap();
    let mut client = ClientConnection::new(Arc::new(client_config), name)?;
    let mut server = ServerConnection::new(Arc::new(server_config))?;
    for _ in 0..10 {
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
        let mut buf = Vec::new();
        client.write_tls(&mut buf).unwrap();
        server.read_tls(&mut buf.as_slice()).unwrap();
        server.process_new_packets()?;
        buf.clear();
        server.write_tls(&mut buf).unwrap();
        client.read_tls(&mut buf.as_slice()).unwrap();
        client.process_new_packets()?;
    }
    panic!("handshake did not finish");
}

fn setup() -> (CaBundle, ServerCert, ServerCert) {
    let ca = bootstrap_ca("Coffer test CA").unwrap();
    let ip: IpAddr = "10.0.0.7".parse().unwrap();
    let server = issue_server_cert(&ca, &["kms.example.com".to_owned()], &[ip]).unwrap();
    let peer = issue_server_cert(&ca, &["node-2.cluster.internal".to_owned()], &[]).unwrap();
    (ca, server, peer)
}

#[test]
fn a_client_trusting_the_ca_completes_a_mutual_handshake_by_dns_name() {
    let (ca, server, peer) = setup();
    handshake(&ca, &server, &peer, "kms.example.com").unwrap();
}

#[test]
fn the_certificate_is_valid_for_its_ip_address() {
    let (ca, server, peer) = setup();
    handshake(&ca, &server, &peer, "10.0.0.7").unwrap();
}

#[test]
fn a_name_not_in_the_certificate_is_refused() {
    let (ca, server, peer) = setup();
    assert!(handshake(&ca, &server, &peer, "other.example.com").is_err());
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let (ca, server, _) = setup();
    let other_ca = bootstrap_ca("Other CA").unwrap();
    let stranger = issue_server_cert(&other_ca, &["intruder".to_owned()], &[]).unwrap();
    assert!(handshake(&ca, &server, &stranger, "kms.example.com").is_err());
}
