//! `get_csrs` and `install_certs` end to end, with real components only: a real `coffer server`
//! daemon on 127.20.0.1, the real `sdkms-cluster`, `get_csrs` and `install_certs` binaries, a CA
//! made and operated with the `openssl` command, a rustls client that trusts only that CA, and
//! the official Fortanix DSM client (`sdkms`).
//!
//! ```text
//! coffer server --data-dir D --api-port 8443 --cluster-port 8444      (own process group)
//! sdkms-cluster create --self=127.20.0.1/8 --config cfg --node-name node1
//! get_csrs --main-domain dsm.coffer.test --ui-domain ui.coffer.test …
//! openssl req -x509 (CA) / openssl x509 -req -extfile (SAN, serverAuth)
//! install_certs --main-chain … --ui-chain …
//! TLS with SNI dsm.coffer.test / ui.coffer.test → the signed leaves
//! get_csrs --rotate, sign, install_certs --rotate → the new leaves, same daemon process
//! ```
//!
//! Every refusal (wrong order, wrong name, one certificate for both services, wildcard, key not
//! the request's, `--rotate` on one command only) must leave the served certificate as it was.
//!
//! Needs the `coffer` binary: `cargo build --workspace --bins` first (or set `COFFER_BIN`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed test should panic"
)]

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use simple_hyper_client::{HttpOrHttpsConnection, NetworkConnection, NetworkConnector, Uri};
use std::error::Error as StdError;
use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;
use support::*;

/// The node's own loopback address; no other test uses it.
const NODE_IP: &str = "127.20.0.1";
const MAIN_DOMAIN: &str = "dsm.coffer.test";
const UI_DOMAIN: &str = "ui.coffer.test";
const SYSADMIN_EMAIL: &str = "admin@coffer.test";
const SYSADMIN_PASSWORD: &str = "Coffer-e2e-Pa55word!";

/// The certificate commands of one node, each logging its failures into the scratch directory.
struct Operator<'a> {
    daemon: &'a Daemon,
}

impl Operator<'_> {
    fn get_csrs_log(&self) -> PathBuf {
        self.daemon.dir.join("get_csrs.log")
    }

    fn install_certs_log(&self) -> PathBuf {
        self.daemon.dir.join("install_certs.log")
    }

    /// `get_csrs` with every value as a flag.
    fn get_csrs(&self, rotate: bool) -> Output {
        let log = self.get_csrs_log();
        self.get_csrs_logging_to(rotate, &log)
    }

    fn get_csrs_logging_to(&self, rotate: bool, log: &Path) -> Output {
        let mut args = vec![
            "--log-file",
            log.to_str().unwrap(),
            "--main-domain",
            MAIN_DOMAIN,
            "--ui-domain",
            UI_DOMAIN,
            "--cluster-name",
            "certs-e2e",
            "--sysadmin-email",
            SYSADMIN_EMAIL,
            "--sysadmin-password",
            SYSADMIN_PASSWORD,
        ];
        if rotate {
            args.push("--rotate");
        }
        run(env!("CARGO_BIN_EXE_get_csrs"), &self.daemon.data_dir, &args)
    }

    /// `get_csrs` that must succeed; returns the Cluster and UI requests and all it printed.
    fn requests(&self, rotate: bool) -> (Csrs, String) {
        let output = self.get_csrs(rotate);
        assert!(output.status.success(), "get_csrs: {}", show(&output));
        let text = stdout(&output);
        (Csrs::parse(&text), text)
    }

    fn install_certs(&self, rotate: bool, main: &Path, ui: &Path) -> Output {
        let log = self.install_certs_log();
        let mut args = vec![
            "--log-file",
            log.to_str().unwrap(),
            "--main-chain",
            main.to_str().unwrap(),
            "--ui-chain",
            ui.to_str().unwrap(),
        ];
        if rotate {
            args.push("--rotate");
        }
        run(
            env!("CARGO_BIN_EXE_install_certs"),
            &self.daemon.data_dir,
            &args,
        )
    }

    /// A failed command: exit code 1, `<command> failed: …; details in <log>` on stderr, the
    /// log entry holding the same message. Returns stderr.
    fn expect_failure(&self, command: &str, output: &Output, log: &Path) -> String {
        assert_eq!(output.status.code(), Some(1), "{command}: {}", show(output));
        let text = stderr(output);
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("{command} failed: "))
                && first.ends_with(&format!("; details in {}", log.display())),
            "{command}: {}",
            show(output)
        );
        let message = first
            .trim_start_matches(&format!("{command} failed: "))
            .trim_end_matches(&format!("; details in {}", log.display()));
        eprintln!("    refused: {message}");
        let logged = std::fs::read_to_string(log).unwrap();
        assert!(
            logged.contains(&format!("error (from the daemon): {message}\n")),
            "the log {} lacks the daemon's error {message:?}:\n{logged}",
            log.display()
        );
        assert!(
            !logged.contains(SYSADMIN_PASSWORD),
            "the password reached {}",
            log.display()
        );
        text
    }
}

/// The two requests printed by `get_csrs`.
struct Csrs {
    main: String,
    ui: String,
}

impl Csrs {
    /// Exactly one "Cluster Certificate Request:" block, then exactly one "UI Certificate
    /// Request:" block, each a heading line followed by a PEM request.
    fn parse(stdout: &str) -> Self {
        let block = |heading: &str| -> (usize, String) {
            let line = format!("{heading}\n");
            assert_eq!(
                stdout.matches(&line).count(),
                1,
                "one {heading:?} heading expected:\n{stdout}"
            );
            let start = stdout.find(&line).unwrap() + line.len();
            let rest = &stdout[start..];
            assert!(
                rest.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"),
                "{heading} is not followed by a PEM request:\n{stdout}"
            );
            let end_marker = "-----END CERTIFICATE REQUEST-----\n";
            let end = rest.find(end_marker).expect("the request's end") + end_marker.len();
            (start, rest[..end].to_owned())
        };
        let (main_at, main) = block("Cluster Certificate Request:");
        let (ui_at, ui) = block("UI Certificate Request:");
        assert!(
            main_at < ui_at,
            "the Cluster request comes first:\n{stdout}"
        );
        assert_eq!(
            stdout
                .matches("-----BEGIN CERTIFICATE REQUEST-----")
                .count(),
            2,
            "exactly two requests expected:\n{stdout}"
        );
        assert_ne!(main, ui);
        Self { main, ui }
    }
}

// ---------------------------------------------------------------------------------------------
// The CA, with the openssl command
// ---------------------------------------------------------------------------------------------

/// A CA made with `openssl req -x509`, signing with `openssl x509 -req`.
struct Ca {
    dir: PathBuf,
    cert_pem: String,
}

impl Ca {
    fn new(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "30",
                "-subj",
                "/O=Coffer e2e/CN=Coffer e2e test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        let cert_pem = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
        Self {
            dir: dir.to_path_buf(),
            cert_pem,
        }
    }

    /// Signs `csr_pem` as a server certificate for the DNS names `dns` (its only SANs); returns
    /// the leaf PEM, also written to `<name>.crt`.
    fn sign(&self, name: &str, csr_pem: &str, dns: &[&str]) -> String {
        let csr = format!("{name}.csr");
        let ext = format!("{name}.ext");
        let crt = format!("{name}.crt");
        std::fs::write(self.dir.join(&csr), csr_pem).unwrap();
        let san: Vec<String> = dns.iter().map(|name| format!("DNS:{name}")).collect();
        std::fs::write(
            self.dir.join(&ext),
            format!(
                "basicConstraints=CA:FALSE\n\
                 keyUsage=critical,digitalSignature\n\
                 extendedKeyUsage=serverAuth\n\
                 subjectAltName={}\n",
                san.join(",")
            ),
        )
        .unwrap();
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "10",
                "-sha256",
                "-extfile",
                &ext,
                "-out",
                &crt,
            ],
        );
        std::fs::read_to_string(self.dir.join(crt)).unwrap()
    }

    /// A request for `common_name` with a fresh key that Coffer never saw.
    fn foreign_csr(&self, name: &str, common_name: &str) -> String {
        let csr = format!("{name}.csr");
        openssl(
            &self.dir,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-subj",
                &format!("/CN={common_name}"),
                "-out",
                &csr,
            ],
        );
        std::fs::read_to_string(self.dir.join(csr)).unwrap()
    }

    /// Writes `pems` one after the other to `<name>.chain.pem` and returns the path.
    fn chain(&self, name: &str, pems: &[&str]) -> PathBuf {
        let path = self.dir.join(format!("{name}.chain.pem"));
        std::fs::write(&path, pems.concat()).unwrap();
        path
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("running openssl (is it installed?)");
    assert!(
        output.status.success(),
        "openssl {}: {}",
        args.join(" "),
        show(&output)
    );
}

/// DER of the first certificate in `pem`.
fn der(pem: &str) -> Vec<u8> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .expect("a certificate")
        .unwrap()
        .to_vec()
}

/// Subject, issuer, serial and SANs of a DER certificate, for messages.
fn describe(der: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args([
            "x509",
            "-inform",
            "DER",
            "-noout",
            "-subject",
            "-issuer",
            "-serial",
            "-ext",
            "subjectAltName",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(der).unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// TLS clients
// ---------------------------------------------------------------------------------------------

/// A verifier that trusts only the test CA and remembers the leaf the server presented.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap() = Some(end_entity.to_vec());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// What the API port presented for one server name.
struct Handshake {
    /// The leaf, when the server got as far as presenting one.
    leaf: Option<Vec<u8>>,
    /// The open connection when the chain verified against the test CA, else why not.
    verified: Result<rustls::StreamOwned<ClientConnection, TcpStream>, String>,
}

impl Handshake {
    fn leaf_description(&self) -> String {
        self.leaf
            .as_deref()
            .map_or_else(|| "no certificate".to_owned(), describe)
    }
}

/// Connects to 127.20.0.1:8443 with SNI `server_name`, trusting only `ca_pem`.
fn handshake(server_name: &str, ca_pem: &str) -> Handshake {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(der(ca_pem))).unwrap();
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let recording = Arc::new(Recording {
        inner,
        seen: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(recording.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(server_name.to_owned()).unwrap();
    let mut connection = ClientConnection::new(Arc::new(config), name).unwrap();
    let address: SocketAddr = format!("{NODE_IP}:{API_PORT}").parse().unwrap();
    let verified = match TcpStream::connect_timeout(&address, Duration::from_secs(5)) {
        Err(error) => Err(format!("connect {address}: {error}")),
        Ok(mut tcp) => {
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            tcp.set_write_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut result = Ok(());
            while connection.is_handshaking() {
                if let Err(error) = connection.complete_io(&mut tcp) {
                    result = Err(format!("TLS handshake with SNI {server_name}: {error}"));
                    break;
                }
            }
            result.map(|()| rustls::StreamOwned::new(connection, tcp))
        }
    };
    let leaf = recording.seen.lock().unwrap().take();
    Handshake { leaf, verified }
}

/// The leaf presented for `server_name`, whether or not it verifies.
fn presented_leaf(server_name: &str, ca_pem: &str) -> Vec<u8> {
    let handshake = handshake(server_name, ca_pem);
    match handshake.leaf {
        Some(leaf) => leaf,
        None => panic!(
            "no certificate presented for SNI {server_name}: {:?}",
            handshake.verified.err()
        ),
    }
}

/// Which service a name reaches, and what proves it over the verified connection.
#[derive(Clone, Copy)]
enum Service {
    /// The API: `GET /sys/v1/health` answers 204.
    Main,
    /// The UI (assets) service: `GET /` answers 200.
    Ui,
}

/// Waits until the API port presents `expected` for `server_name` and it verifies against
/// `ca_pem` alone; then the service's probe over that same connection must succeed.
fn expect_served(
    server_name: &str,
    ca_pem: &str,
    expected_pem: &str,
    what: &str,
    service: Service,
) {
    let expected = der(expected_pem);
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let handshake = handshake(server_name, ca_pem);
        if handshake.leaf.as_deref() == Some(expected.as_slice())
            && let Ok(stream) = handshake.verified
        {
            let (path, expected_status) = match service {
                Service::Main => ("/sys/v1/health", 204),
                Service::Ui => ("/", 200),
            };
            let status = get_status(stream, server_name, path);
            assert_eq!(
                status, expected_status,
                "GET {path} over TLS with SNI {server_name}"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "with SNI {server_name} the API port should present {what} ({}) within \
             {READY_TIMEOUT:?}; it presents {} (verification against the test CA only: {})",
            describe(&expected),
            handshake.leaf_description(),
            handshake
                .verified
                .map_or_else(|error| error, |_| "ok".to_owned())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET path` over an established connection; the status code.
fn get_status(
    mut stream: rustls::StreamOwned<ClientConnection, TcpStream>,
    server_name: &str,
    path: &str,
) -> u16 {
    stream
        .write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {server_name}:{API_PORT}\r\n\
                 Connection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    stream.flush().unwrap();
    let mut response = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => response.extend_from_slice(&buffer[..read]),
            // A server that closes without close_notify has still answered.
            Err(_) if !response.is_empty() => break,
            Err(error) => panic!("reading the answer to GET {path}: {error}"),
        }
    }
    let text = String::from_utf8_lossy(&response);
    let status_line = text.lines().next().unwrap_or_default();
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"))
}

/// A connector for the official client's HTTP stack that resolves every host to the node's
/// address; TLS (native-tls) still uses the URL's host for SNI and name checks.
struct PinnedAddress {
    address: SocketAddr,
    tls: tokio_native_tls::TlsConnector,
}

impl NetworkConnector for PinnedAddress {
    fn connect(
        &self,
        uri: Uri,
    ) -> Pin<
        Box<dyn Future<Output = Result<NetworkConnection, Box<dyn StdError + Send + Sync>>> + Send>,
    > {
        let address = self.address;
        let tls = self.tls.clone();
        Box::pin(async move {
            let host = uri.host().ok_or("the URL names no host")?.to_owned();
            let tcp = tokio::net::TcpStream::connect(address).await?;
            let stream = tls.connect(&host, tcp).await?;
            Ok(NetworkConnection::new(HttpOrHttpsConnection::Https(stream)))
        })
    }
}

/// The official client for `https://dsm.coffer.test:8443`, trusting only `ca_pem`.
fn official_client(ca_pem: &str) -> sdkms::SdkmsClientBuilder {
    use tokio_native_tls::native_tls;
    let tls = native_tls::TlsConnector::builder()
        .disable_built_in_roots(true)
        .add_root_certificate(native_tls::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let connector = PinnedAddress {
        address: format!("{NODE_IP}:{API_PORT}").parse().unwrap(),
        tls: tls.into(),
    };
    sdkms::SdkmsClient::builder()
        .with_http_client(simple_hyper_client::blocking::Client::with_connector(
            connector,
        ))
        .with_api_endpoint(&format!("https://{MAIN_DOMAIN}:{API_PORT}"))
}

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

#[test]
fn certificates_are_requested_signed_installed_served_by_name_and_rotated() {
    let mut daemon = Daemon::start("coffer-certs-e2e-");
    let pid = daemon.pid();
    let config = daemon.dir.join("config.yaml");
    // No attestation service, and no cluster IP to hold on a network interface: a loopback
    // node behind an "external" load balancer (see config.yaml.example).
    std::fs::write(
        &config,
        "global:\n  attestation: null\n  externalLoadBalancer: true\n  clusterIp: dummy\n",
    )
    .unwrap();
    let created = sdkms_cluster(
        &daemon.data_dir,
        &[
            "create",
            &format!("--self={NODE_IP}/8"),
            "--config",
            config.to_str().unwrap(),
            "--node-name",
            "node1",
        ],
    );
    assert!(created.status.success(), "create: {}", show(&created));

    let ca = Ca::new(&daemon.dir.join("ca"));
    let operator = Operator { daemon: &daemon };

    eprintln!(
        "--- before install_certs the API serves a bootstrap certificate the CA did not sign"
    );
    let deadline = Instant::now() + READY_TIMEOUT;
    let bootstrap = loop {
        let handshake = handshake(MAIN_DOMAIN, &ca.cert_pem);
        if let Some(leaf) = handshake.leaf {
            assert!(
                handshake.verified.is_err(),
                "the bootstrap certificate must not verify against the test CA"
            );
            break leaf;
        }
        assert!(
            Instant::now() < deadline,
            "the API port did not present a certificate: {:?}",
            handshake.verified.err()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let unchanged = |when: &str, expected: &[u8]| {
        for name in [MAIN_DOMAIN, UI_DOMAIN] {
            let served = presented_leaf(name, &ca.cert_pem);
            assert!(
                served == expected,
                "{when}: with SNI {name} the API should still present {}, it presents {}",
                describe(expected),
                describe(&served)
            );
        }
    };

    eprintln!("--- get_csrs --rotate before anything is installed is refused");
    let fallback_dir = daemon.dir.join("no-such-directory");
    let refused = operator.get_csrs_logging_to(true, &fallback_dir.join("get_csrs.log"));
    let fallback_log = daemon.data_dir.join("get_csrs.log");
    let text = operator.expect_failure("get_csrs", &refused, &fallback_log);
    assert!(text.contains("none are installed"), "{text}");
    assert!(
        std::fs::read_to_string(&fallback_log)
            .unwrap()
            .contains("command line: get_csrs --data-dir"),
        "the fallback log holds the command line"
    );

    eprintln!("--- get_csrs prints the two requests and creates the sysadmin");
    let (first, text) = operator.requests(false);
    assert!(
        text.contains(&format!(
            "The first sysadmin, {SYSADMIN_EMAIL}, was created."
        )),
        "{text}"
    );
    assert!(
        text.contains("install_certs"),
        "the next steps name install_certs: {text}"
    );

    let main_leaf = ca.sign("main", &first.main, &[MAIN_DOMAIN]);
    let ui_leaf = ca.sign("ui", &first.ui, &[UI_DOMAIN]);
    let main_chain = ca.chain("main", &[&main_leaf, &ca.cert_pem]);
    let ui_chain = ca.chain("ui", &[&ui_leaf, &ca.cert_pem]);
    let install_log = operator.install_certs_log();

    eprintln!("--- refusals before the first install leave the bootstrap certificate in place");
    let refused = operator.install_certs(true, &main_chain, &ui_chain);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(text.contains("without --rotate"), "{text}");
    unchanged(
        "after install_certs --rotate following a plain get_csrs",
        &bootstrap,
    );

    let reversed = ca.chain("main-reversed", &[&ca.cert_pem, &main_leaf]);
    let refused = operator.install_certs(false, &reversed, &ui_chain);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(
        text.contains("order"),
        "the refusal names the order: {text}"
    );
    unchanged("after a chain in the wrong order", &bootstrap);

    let wrong_name_leaf = ca.sign("main-wrong-name", &first.main, &["other.coffer.test"]);
    let wrong_name = ca.chain("main-wrong-name", &[&wrong_name_leaf, &ca.cert_pem]);
    let refused = operator.install_certs(false, &wrong_name, &ui_chain);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(
        text.contains(MAIN_DOMAIN) && text.contains("other.coffer.test"),
        "the refusal names the expected and the certified names: {text}"
    );
    unchanged("after a certificate for the wrong name", &bootstrap);

    let refused = operator.install_certs(false, &main_chain, &main_chain);
    operator.expect_failure("install_certs", &refused, &install_log);
    unchanged("after one chain given for both services", &bootstrap);

    let both_leaf = ca.sign("ui-both", &first.ui, &[UI_DOMAIN, MAIN_DOMAIN]);
    let both = ca.chain("ui-both", &[&both_leaf, &ca.cert_pem]);
    let refused = operator.install_certs(false, &main_chain, &both);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(
        text.contains("both"),
        "a certificate naming both services' domains is refused as such: {text}"
    );
    unchanged("after a certificate for both services", &bootstrap);

    let wildcard_leaf = ca.sign(
        "main-wildcard",
        &first.main,
        &["*.coffer.test", MAIN_DOMAIN],
    );
    let wildcard = ca.chain("main-wildcard", &[&wildcard_leaf, &ca.cert_pem]);
    let refused = operator.install_certs(false, &wildcard, &ui_chain);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(text.contains("wildcard"), "{text}");
    unchanged("after a wildcard certificate", &bootstrap);

    let foreign_csr = ca.foreign_csr("foreign", MAIN_DOMAIN);
    let foreign_leaf = ca.sign("main-foreign-key", &foreign_csr, &[MAIN_DOMAIN]);
    let foreign = ca.chain("main-foreign-key", &[&foreign_leaf, &ca.cert_pem]);
    let refused = operator.install_certs(false, &foreign, &ui_chain);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(text.contains("key"), "the refusal names the key: {text}");
    unchanged("after a chain for another key", &bootstrap);

    eprintln!("--- install_certs installs both chains");
    let output = operator.install_certs(false, &main_chain, &ui_chain);
    assert!(output.status.success(), "install_certs: {}", show(&output));
    let text = stdout(&output);
    assert!(
        text.contains(&format!("Main (Cluster): {MAIN_DOMAIN}; expires "))
            && text.contains(&format!("Assets (UI):    {UI_DOMAIN}; expires ")),
        "install_certs names what it installed: {text}"
    );

    eprintln!("--- the API presents each service's certificate by SNI, verified by the CA alone");
    expect_served(
        MAIN_DOMAIN,
        &ca.cert_pem,
        &main_leaf,
        "the signed Main certificate",
        Service::Main,
    );
    expect_served(
        UI_DOMAIN,
        &ca.cert_pem,
        &ui_leaf,
        "the signed UI certificate",
        Service::Ui,
    );

    eprintln!("--- the official client reaches https://{MAIN_DOMAIN}:{API_PORT}");
    let anonymous = official_client(&ca.cert_pem).build().unwrap();
    let version = anonymous.version().expect("GET /sys/v1/version");
    assert!(!version.version.is_empty());
    let mut sysadmin = anonymous
        .authenticate_user(SYSADMIN_EMAIL, SYSADMIN_PASSWORD)
        .expect("the sysadmin made by get_csrs logs in");
    sysadmin.terminate().expect("logging out");

    eprintln!("--- get_csrs without --rotate once certificates are installed is refused");
    let refused = operator.get_csrs(false);
    let text = operator.expect_failure("get_csrs", &refused, &operator.get_csrs_log());
    assert!(text.contains("--rotate"), "{text}");
    unchanged_served(&ca, &main_leaf, &ui_leaf, "after a refused get_csrs");

    eprintln!("--- get_csrs --rotate: new requests while the installed certificates keep serving");
    let (second, text) = operator.requests(true);
    assert_ne!(second.main, first.main);
    assert_ne!(second.ui, first.ui);
    assert!(
        text.contains("keep serving") && text.contains("install_certs --rotate"),
        "get_csrs --rotate says the old certificates keep serving and what to run next: {text}"
    );
    assert!(
        text.contains("A sysadmin already exists"),
        "the existing sysadmin is kept: {text}"
    );
    unchanged_served(&ca, &main_leaf, &ui_leaf, "after get_csrs --rotate");

    let new_main_leaf = ca.sign("main2", &second.main, &[MAIN_DOMAIN]);
    let new_ui_leaf = ca.sign("ui2", &second.ui, &[UI_DOMAIN]);
    let new_main_chain = ca.chain("main2", &[&new_main_leaf, &ca.cert_pem]);
    let new_ui_chain = ca.chain("ui2", &[&new_ui_leaf, &ca.cert_pem]);

    eprintln!("--- install_certs without --rotate after get_csrs --rotate is refused");
    let refused = operator.install_certs(false, &new_main_chain, &new_ui_chain);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(text.contains("with --rotate"), "{text}");
    unchanged_served(&ca, &main_leaf, &ui_leaf, "after a refused install_certs");

    eprintln!("--- the old chains do not match the rotated requests");
    let refused = operator.install_certs(true, &main_chain, &ui_chain);
    let text = operator.expect_failure("install_certs", &refused, &install_log);
    assert!(text.contains("key"), "{text}");
    unchanged_served(
        &ca,
        &main_leaf,
        &ui_leaf,
        "after old chains for new requests",
    );

    eprintln!("--- install_certs --rotate swaps both certificates without a restart");
    let output = operator.install_certs(true, &new_main_chain, &new_ui_chain);
    assert!(
        output.status.success(),
        "install_certs --rotate: {}",
        show(&output)
    );
    expect_served(
        MAIN_DOMAIN,
        &ca.cert_pem,
        &new_main_leaf,
        "the rotated Main certificate",
        Service::Main,
    );
    expect_served(
        UI_DOMAIN,
        &ca.cert_pem,
        &new_ui_leaf,
        "the rotated UI certificate",
        Service::Ui,
    );
    daemon.assert_running();
    assert_eq!(
        daemon.pid(),
        pid,
        "the same daemon process serves the new certificates"
    );

    let logs = daemon.log();
    assert!(
        !logs.contains(SYSADMIN_PASSWORD),
        "the sysadmin password reached the daemon log"
    );
}

/// Both services still present the certificates installed before.
fn unchanged_served(ca: &Ca, main_leaf: &str, ui_leaf: &str, when: &str) {
    for (name, leaf) in [(MAIN_DOMAIN, main_leaf), (UI_DOMAIN, ui_leaf)] {
        let served = presented_leaf(name, &ca.cert_pem);
        let expected = der(leaf);
        assert!(
            served == expected,
            "{when}: with SNI {name} the API should still present {}, it presents {}",
            describe(&expected),
            describe(&served)
        );
    }
}
