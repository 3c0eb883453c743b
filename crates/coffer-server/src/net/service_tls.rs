//! Which certificate the API listener presents: chosen per connection by SNI, and swapped live
//! when `install_certs` installs new ones (R-TLS-2…5).
//!
//! Before certificates are installed every name gets the node's bootstrap certificate (issued
//! by the cluster CA for the node's name and address; `status` warns about it). Afterwards the
//! main domain and its SANs get the main certificate, the UI domain and its SANs the UI one
//! (and connections there reach the UI service), and anything else — no SNI, an IP address,
//! an unknown name — the main certificate.
//!
//! The names of the mutual-TLS interface (SANs of the main certificate, chosen with
//! `get_csrs --mtls-san`) get the main certificate too, but their handshakes ask for a client
//! certificate: apps registered with a certificate authenticate with it there (R-TLS-4).

use crate::net::listener::{ChooseConfig, Service};
use coffer_core::InstalledCertificates;
use coffer_crypto::Secret;
use coffer_node::Node;
use rustls::ServerConfig;
use std::sync::{Arc, RwLock};

use coffer_node::vault::Purpose;

/// The current choice, swapped as a whole.
struct Choice {
    bootstrap: Arc<ServerConfig>,
    installed: Option<Installed>,
}

struct Installed {
    /// The chains served and the mutual-TLS names, to notice a new installation (two can happen
    /// within a second).
    chains: (String, String, Vec<String>),
    main: Arc<ServerConfig>,
    ui_names: Vec<String>,
    ui: Arc<ServerConfig>,
    /// Lower case.
    mtls_names: Vec<String>,
    /// The main certificate, asking for a client certificate.
    mtls: Arc<ServerConfig>,
}

/// The API listener's certificate chooser.
pub(crate) struct ServiceTls {
    choice: RwLock<Arc<Choice>>,
}

impl ServiceTls {
    /// Starts with the bootstrap configuration only.
    pub(crate) fn new(bootstrap: Arc<ServerConfig>) -> Self {
        Self {
            choice: RwLock::new(Arc::new(Choice {
                bootstrap,
                installed: None,
            })),
        }
    }

    /// Serves `installed`, the certificates of the cluster's current settings, unless they
    /// are the ones already served.
    pub(crate) fn install(&self, node: &Node, installed: Option<&InstalledCertificates>) {
        let Some(installed) = installed else { return };
        let current = self.current();
        let chains = (
            installed.main.chain_pem.clone(),
            installed.ui.chain_pem.clone(),
            installed.mtls_names.clone(),
        );
        if current
            .installed
            .as_ref()
            .is_some_and(|i| i.chains == chains)
        {
            return;
        }
        let key = |owner, service: &coffer_core::ServiceCertificate| {
            node.unseal(owner, &service.key)
                .map_err(|e| anyhow::anyhow!("{e}"))
        };
        let build = |owner,
                     service: &coffer_core::ServiceCertificate|
         -> anyhow::Result<Arc<ServerConfig>> {
            crate::net::tls::api_server_config(&service.chain_pem, &key(owner, service)?)
        };
        let build_mtls = || -> anyhow::Result<Arc<ServerConfig>> {
            mtls_server_config(
                &installed.main.chain_pem,
                &key(Purpose::MainTlsKey, &installed.main)?,
            )
        };
        match (
            build(Purpose::MainTlsKey, &installed.main),
            build(Purpose::UiTlsKey, &installed.ui),
            build_mtls(),
        ) {
            (Ok(main), Ok(ui), Ok(mtls)) => {
                let next = Choice {
                    bootstrap: current.bootstrap.clone(),
                    installed: Some(Installed {
                        chains,
                        main,
                        ui_names: lower(&installed.ui.names),
                        ui,
                        mtls_names: lower(&installed.mtls_names),
                        mtls,
                    }),
                };
                if let Ok(mut choice) = self.choice.write() {
                    *choice = Arc::new(next);
                }
                tracing::info!(
                    main = installed.main.domain,
                    ui = installed.ui.domain,
                    mtls = ?installed.mtls_names,
                    "serving the installed certificates"
                );
            }
            (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "installed certificates could not be loaded; still serving the previous ones"
                );
            }
        }
    }

    fn current(&self) -> Arc<Choice> {
        match self.choice.read() {
            Ok(choice) => choice.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl ChooseConfig for ServiceTls {
    fn choose(&self, server_name: Option<&str>) -> (Arc<ServerConfig>, Service) {
        let choice = self.current();
        let Some(installed) = &choice.installed else {
            return (choice.bootstrap.clone(), Service::Api);
        };
        let name = server_name.map(str::to_ascii_lowercase);
        match name {
            Some(name) if installed.ui_names.contains(&name) => (installed.ui.clone(), Service::Ui),
            Some(name) if installed.mtls_names.contains(&name) => {
                (installed.mtls.clone(), Service::Api)
            }
            _ => (installed.main.clone(), Service::Api),
        }
    }
}

/// The mutual-TLS interface's TLS: the main certificate; a client certificate is asked for and
/// optional (without one, apps cannot authenticate by certificate; everything else works).
fn mtls_server_config(chain_pem: &str, key_pem: &Secret) -> anyhow::Result<Arc<ServerConfig>> {
    let (chain, key) = crate::net::tls::chain_and_key(chain_pem, key_pem)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(danger::AnyClientCertificate::new(
        provider.signature_verification_algorithms,
    ));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Client certificates accepted without a trust chain.
///
/// DANGER: [`danger::AnyClientCertificate`] accepts any well-formed client certificate that is
/// within its validity period, whoever issued it. That is the point: an app registers its own
/// certificate (often self-signed), and the request is authenticated at the application layer
/// by comparing the presented certificate's fingerprint with the one the app registered, as
/// DSM does. The handshake signature is still verified, so the client must hold the
/// certificate's private key. Never use this verifier where the handshake alone is meant to
/// authenticate the client.
mod danger {
    use rustls::client::danger::HandshakeSignatureValid;
    use rustls::crypto::WebPkiSupportedAlgorithms;
    use rustls::pki_types::{CertificateDer, UnixTime};
    use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
    use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

    /// Asks for a client certificate (optional) and accepts any well-formed, current one whose
    /// holder proves possession of its key.
    #[derive(Debug)]
    pub(super) struct AnyClientCertificate {
        algorithms: WebPkiSupportedAlgorithms,
    }

    impl AnyClientCertificate {
        pub(super) fn new(algorithms: WebPkiSupportedAlgorithms) -> Self {
            Self { algorithms }
        }
    }

    impl ClientCertVerifier for AnyClientCertificate {
        fn offer_client_auth(&self) -> bool {
            true
        }

        fn client_auth_mandatory(&self) -> bool {
            false
        }

        fn root_hint_subjects(&self) -> &[DistinguishedName] {
            // No hints: the client sends whatever certificate it has.
            &[]
        }

        fn verify_client_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            now: UnixTime,
        ) -> Result<ClientCertVerified, rustls::Error> {
            let summary = coffer_crypto::certificate_summary(end_entity.as_ref())
                .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
            let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
            if now < summary.not_before {
                return Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidYet,
                ));
            }
            if now > summary.not_after {
                return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
            }
            Ok(ClientCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    }
}

fn lower(names: &[String]) -> Vec<String> {
    names.iter().map(|n| n.to_ascii_lowercase()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a failed test should panic"
    )]

    use super::danger::AnyClientCertificate;
    use super::*;
    use rustls::pki_types::{CertificateDer, UnixTime};
    use rustls::server::danger::ClientCertVerifier;
    use std::time::Duration;

    fn verifier() -> AnyClientCertificate {
        AnyClientCertificate::new(
            rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms,
        )
    }

    #[test]
    fn any_current_well_formed_certificate_is_asked_for_and_accepted() {
        let verifier = verifier();
        assert!(verifier.offer_client_auth() && !verifier.client_auth_mandatory());
        let ca = coffer_crypto::tls::bootstrap_ca("client").unwrap();
        let der = rustls_pemfile::certs(&mut ca.cert_pem.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&der, &[], now).is_ok());
        let long_after = UnixTime::since_unix_epoch(Duration::from_secs(u64::from(u32::MAX) * 4));
        assert!(
            verifier.verify_client_cert(&der, &[], long_after).is_err(),
            "an expired certificate is refused"
        );
        let garbage = CertificateDer::from(b"not a certificate".to_vec());
        assert!(verifier.verify_client_cert(&garbage, &[], now).is_err());
        assert!(!verifier.supported_verify_schemes().is_empty());
    }

    /// Moves TLS records between the two ends until neither has anything to say.
    fn pump(
        client: &mut rustls::ClientConnection,
        server: &mut rustls::ServerConnection,
    ) -> Result<(), rustls::Error> {
        for _ in 0..20 {
            let mut buffer = Vec::new();
            client.write_tls(&mut buffer).unwrap();
            server.read_tls(&mut buffer.as_slice()).unwrap();
            server.process_new_packets()?;
            let mut back = Vec::new();
            server.write_tls(&mut back).unwrap();
            client.read_tls(&mut back.as_slice()).unwrap();
            client.process_new_packets()?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("the handshake did not finish");
    }

    #[test]
    fn the_mutual_tls_configuration_serves_the_main_certificate_and_takes_a_client_one() {
        let ca = coffer_crypto::tls::bootstrap_ca("test CA").unwrap();
        let leaf =
            coffer_crypto::tls::issue_server_cert(&ca, &["mtls.example.com".to_owned()], &[])
                .unwrap();
        let config = mtls_server_config(&leaf.cert_chain_pem, &leaf.key_pem).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut ca.cert_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let client_ca = coffer_crypto::tls::bootstrap_ca("some app").unwrap();
        let client_chain: Vec<CertificateDer<'static>> =
            rustls_pemfile::certs(&mut client_ca.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let client_key = rustls_pemfile::private_key(&mut client_ca.key_pem.expose())
            .unwrap()
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let with_certificate = Arc::new(
            builder
                .clone()
                .with_client_auth_cert(client_chain.clone(), client_key)
                .unwrap(),
        );
        let without = Arc::new(builder.with_no_client_auth());
        let name = rustls::pki_types::ServerName::try_from("mtls.example.com").unwrap();

        let mut client = rustls::ClientConnection::new(with_certificate, name.clone()).unwrap();
        let mut server = rustls::ServerConnection::new(config.clone()).unwrap();
        pump(&mut client, &mut server).unwrap();
        assert_eq!(
            server.peer_certificates().and_then(|c| c.first()),
            client_chain.first(),
            "the server sees the client's certificate"
        );

        let mut client = rustls::ClientConnection::new(without, name).unwrap();
        let mut server = rustls::ServerConnection::new(config).unwrap();
        pump(&mut client, &mut server).unwrap();
        assert!(
            server.peer_certificates().is_none(),
            "a client without a certificate still connects"
        );
    }
}
