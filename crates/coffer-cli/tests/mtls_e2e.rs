//! Client-certificate (mutual-TLS) authentication of apps end to end (R-TLS-4, guide §5.5: "add
//! an additional interface as SAN Name on the main certificate"), with real components only: a
//! real `coffer server` daemon on 127.21.0.1, the real `sdkms-cluster`, `get_csrs` and
//! `install_certs` binaries, a CA and client certificates made with the `openssl` command, and
//! a rustls client that trusts only that CA.
//!
//! ```text
//! coffer server --data-dir D --api-port 8443 --cluster-port 8444      (own process group)
//! sdkms-cluster create --self=127.21.0.1/8 --config cfg --node-name node1
//! get_csrs --main-domain dsm.coffer.test --mtls-san mtls.coffer.test --ui-domain ui.coffer.test …
//! openssl: CA signs Main (dsm.coffer.test + mtls.coffer.test) and UI; install_certs
//! sysadmin: account, group, app with credential {"certificate": <b64 DER>}
//! SNI mtls.coffer.test + the app's client certificate + Basic base64(app_id:)
//!   → POST /sys/v1/session/auth gives a token; POST /crypto/v1/keys works
//! no client certificate, another certificate, or SNI dsm.coffer.test → 401
//! ```
//!
//! Needs the `coffer` binary: `cargo build --workspace --bins` first (or set `COFFER_BIN`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed test should panic"
)]

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;
use support::*;

/// The node's own loopback address; no other test uses it.
const NODE_IP: &str = "127.21.0.1";
const MAIN_DOMAIN: &str = "dsm.coffer.test";
const MTLS_NAME: &str = "mtls.coffer.test";
const UI_DOMAIN: &str = "ui.coffer.test";
const SYSADMIN_EMAIL: &str = "admin@coffer.test";
const SYSADMIN_PASSWORD: &str = "Coffer-mtls-Pa55word!";

/// The PEM request printed after `heading` by `get_csrs`.
fn csr_block(stdout: &str, heading: &str) -> String {
    let start = stdout
        .find(&format!("{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading:?} in:\n{stdout}"))
        + heading.len()
        + 1;
    let end_marker = "-----END CERTIFICATE REQUEST-----\n";
    let end = stdout[start..].find(end_marker).expect("the request's end") + end_marker.len();
    stdout[start..start + end].to_owned()
}

// ---------------------------------------------------------------------------------------------
// Certificates, with the openssl command
// ---------------------------------------------------------------------------------------------

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
                "/O=Coffer e2e/CN=Coffer mTLS e2e test CA",
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

    /// Signs `csr_pem` as a server certificate for the DNS names `dns`; returns the chain file
    /// (leaf, then the CA) and the leaf PEM.
    fn sign(&self, name: &str, csr_pem: &str, dns: &[&str]) -> (PathBuf, String) {
        let (csr, ext, crt) = (
            format!("{name}.csr"),
            format!("{name}.ext"),
            format!("{name}.crt"),
        );
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
        let leaf = std::fs::read_to_string(self.dir.join(&crt)).unwrap();
        let chain = self.dir.join(format!("{name}.chain.pem"));
        std::fs::write(&chain, format!("{leaf}{}", self.cert_pem)).unwrap();
        (chain, leaf)
    }
}

/// An app's client certificate and key, self-signed by `openssl req -x509`.
struct ClientCertificate {
    cert_pem: String,
    key_pem: String,
}

impl ClientCertificate {
    fn new(dir: &Path, name: &str) -> Self {
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
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
                "-days",
                "5",
                "-subj",
                &format!("/O=Coffer e2e/CN={name}"),
                "-addext",
                "extendedKeyUsage=clientAuth",
            ],
        );
        Self {
            cert_pem: std::fs::read_to_string(dir.join(format!("{name}.pem"))).unwrap(),
            key_pem: std::fs::read_to_string(dir.join(format!("{name}.key"))).unwrap(),
        }
    }

    fn der(&self) -> Vec<u8> {
        der(&self.cert_pem)
    }
}

/// DER of the first certificate in `pem`.
fn der(pem: &str) -> Vec<u8> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .expect("a certificate")
        .unwrap()
        .to_vec()
}

/// Standard padded base64.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0_u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

// ---------------------------------------------------------------------------------------------
// HTTPS over rustls
// ---------------------------------------------------------------------------------------------

/// One HTTP/1.1 exchange on a fresh TLS connection to the node with SNI `server_name`,
/// trusting only `ca_pem` and presenting `client` when the server asks for a certificate.
struct Https<'a> {
    ca_pem: &'a str,
}

/// An answer: status and body (JSON when it parses, else the text).
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
}

impl Https<'_> {
    fn connect(
        &self,
        server_name: &str,
        client: Option<&ClientCertificate>,
    ) -> Result<rustls::StreamOwned<ClientConnection, TcpStream>, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from(der(self.ca_pem))).unwrap();
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = match client {
            Some(client) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from(client.der())],
                    PrivateKeyDer::from_pem_slice(client.key_pem.as_bytes()).unwrap(),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        let name = ServerName::try_from(server_name.to_owned()).unwrap();
        let mut connection = ClientConnection::new(Arc::new(config), name).unwrap();
        let address: SocketAddr = format!("{NODE_IP}:{API_PORT}").parse().unwrap();
        let mut tcp = TcpStream::connect_timeout(&address, Duration::from_secs(5))
            .map_err(|error| format!("connect {address}: {error}"))?;
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        tcp.set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        while connection.is_handshaking() {
            connection
                .complete_io(&mut tcp)
                .map_err(|error| format!("TLS handshake with SNI {server_name}: {error}"))?;
        }
        Ok(rustls::StreamOwned::new(connection, tcp))
    }

    fn request(
        &self,
        server_name: &str,
        client: Option<&ClientCertificate>,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut stream = self
            .connect(server_name, client)
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {server_name}:{API_PORT}\r\n\
             Connection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        if let Some(authorization) = authorization {
            head.push_str(&format!("Authorization: {authorization}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        stream.flush().unwrap();
        let mut response = Vec::new();
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => response.extend_from_slice(&buffer[..read]),
                // A server that closes without close_notify has still answered.
                Err(_) if !response.is_empty() => break,
                Err(error) => panic!("reading the answer to {method} {path}: {error}"),
            }
        }
        parse_response(&response)
            .unwrap_or_else(|| panic!("{method} {path}: not an HTTP answer: {response:?}"))
    }
}

fn parse_response(response: &[u8]) -> Option<Answer> {
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut raw = response[split + 4..].to_vec();
    let status = head
        .lines()
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    if chunked {
        let mut body = Vec::new();
        let mut rest = raw.as_slice();
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&rest[..end])
                    .split(';')
                    .next()?
                    .trim(),
                16,
            )
            .ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(rest.get(end + 2..end + 2 + size)?);
            rest = rest.get(end + 2 + size + 2..)?;
        }
        raw = body;
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Some(Answer { status, body })
}

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

#[test]
fn apps_authenticate_with_their_client_certificate_on_the_mutual_tls_interface() {
    let mut daemon = Daemon::start("coffer-mtls-e2e-");
    let config = daemon.dir.join("config.yaml");
    // No attestation service, and no cluster IP to hold on a network interface: a loopback
    // node behind an "external" load balancer (see config.yaml.example).
    std::fs::write(
        &config,
        "global:\n  attestation: null\n  externalLoadBalancer: true\n  clusterIp: dummy\n",
    )
    .unwrap();
    let created = run(
        env!("CARGO_BIN_EXE_sdkms-cluster"),
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

    eprintln!("--- get_csrs --mtls-san {MTLS_NAME}");
    let log = daemon.dir.join("get_csrs.log");
    let requested = run(
        env!("CARGO_BIN_EXE_get_csrs"),
        &daemon.data_dir,
        &[
            "--log-file",
            log.to_str().unwrap(),
            "--main-domain",
            MAIN_DOMAIN,
            "--mtls-san",
            MTLS_NAME,
            "--ui-domain",
            UI_DOMAIN,
            "--cluster-name",
            "mtls-e2e",
            "--sysadmin-email",
            SYSADMIN_EMAIL,
            "--sysadmin-password",
            SYSADMIN_PASSWORD,
        ],
    );
    assert!(requested.status.success(), "get_csrs: {}", show(&requested));
    let text = String::from_utf8_lossy(&requested.stdout).into_owned();
    assert!(
        text.contains(&format!("mutual-TLS interface {MTLS_NAME}")),
        "get_csrs says the Cluster request names the interface: {text}"
    );
    let main_csr = csr_block(&text, "Cluster Certificate Request:");
    let ui_csr = csr_block(&text, "UI Certificate Request:");
    let ca = Ca::new(&daemon.dir.join("ca"));
    let install = |main: &Path, ui: &Path| {
        run(
            env!("CARGO_BIN_EXE_install_certs"),
            &daemon.data_dir,
            &[
                "--log-file",
                daemon.dir.join("install_certs.log").to_str().unwrap(),
                "--main-chain",
                main.to_str().unwrap(),
                "--ui-chain",
                ui.to_str().unwrap(),
            ],
        )
    };
    let (ui_chain, _) = ca.sign("ui", &ui_csr, &[UI_DOMAIN]);

    eprintln!("--- a Main certificate without the interface's name is refused");
    let (without, _) = ca.sign("main-without-mtls", &main_csr, &[MAIN_DOMAIN]);
    let refused = install(&without, &ui_chain);
    assert_eq!(refused.status.code(), Some(1), "{}", show(&refused));
    let reason = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(
        reason.contains(MTLS_NAME) && reason.contains("mutual-TLS"),
        "the refusal names the interface: {reason}"
    );

    eprintln!("--- install_certs with the interface's name on the Main certificate");
    let (main_chain, main_leaf) = ca.sign("main", &main_csr, &[MAIN_DOMAIN, MTLS_NAME]);
    let installed = install(&main_chain, &ui_chain);
    assert!(
        installed.status.success(),
        "install_certs: {}",
        show(&installed)
    );
    let https = Https {
        ca_pem: &ca.cert_pem,
    };
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let served = https.connect(MTLS_NAME, None).map(|stream| {
            stream
                .conn
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|leaf| leaf.to_vec())
        });
        if matches!(&served, Ok(Some(leaf)) if *leaf == der(&main_leaf)) {
            break;
        }
        daemon.assert_running();
        assert!(
            Instant::now() < deadline,
            "the Main certificate is not served for {MTLS_NAME} within {READY_TIMEOUT:?}: {:?}",
            served.err()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    eprintln!("--- the sysadmin makes an account, a group and a certificate app");
    let login = https.request(
        MAIN_DOMAIN,
        None,
        "POST",
        "/sys/v1/session/auth",
        Some(&format!(
            "Basic {}",
            base64(format!("{SYSADMIN_EMAIL}:{SYSADMIN_PASSWORD}").as_bytes())
        )),
        None,
    );
    assert_eq!(login.status, 200, "sysadmin login: {login:?}");
    let sysadmin = format!("Bearer {}", login.body["access_token"].as_str().unwrap());
    let admin = |method: &str, path: &str, body: Option<Value>| {
        https.request(
            MAIN_DOMAIN,
            None,
            method,
            path,
            Some(&sysadmin),
            body.as_ref(),
        )
    };
    let account = admin(
        "POST",
        "/sys/v1/accounts",
        Some(json!({"name": "mtls e2e"})),
    );
    assert_eq!(account.status, 200, "{account:?}");
    let acct_id = account.body["acct_id"].as_str().unwrap().to_owned();
    let selected = admin(
        "POST",
        "/sys/v1/session/select_account",
        Some(json!({"acct_id": acct_id})),
    );
    assert_eq!(selected.status, 200, "{selected:?}");
    let group = admin(
        "POST",
        "/sys/v1/groups",
        Some(json!({"name": "mtls group"})),
    );
    assert_eq!(group.status, 200, "{group:?}");
    let group_id = group.body["group_id"].as_str().unwrap().to_owned();

    let certificates = daemon.dir.join("clients");
    std::fs::create_dir_all(&certificates).unwrap();
    let app_certificate = ClientCertificate::new(&certificates, "app");
    let other_certificate = ClientCertificate::new(&certificates, "other");

    let refused = admin(
        "POST",
        "/sys/v1/apps",
        Some(json!({
            "name": "broken",
            "add_groups": [group_id],
            "credential": {"certificate": base64(b"not a certificate")},
        })),
    );
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(
        refused.body.to_string().contains("credential.certificate"),
        "the refusal names the field: {refused:?}"
    );

    let app = admin(
        "POST",
        "/sys/v1/apps",
        Some(json!({
            "name": "certificate app",
            "add_groups": [group_id],
            "credential": {"certificate": base64(&app_certificate.der())},
        })),
    );
    assert_eq!(app.status, 200, "{app:?}");
    assert_eq!(app.body["auth_type"], "Certificate", "{app:?}");
    assert!(app.body["cert_not_after"].is_string(), "{app:?}");
    let app_id = app.body["app_id"].as_str().unwrap().to_owned();
    let credential = admin("GET", &format!("/sys/v1/apps/{app_id}/credential"), None);
    assert_eq!(credential.status, 200, "{credential:?}");
    assert_eq!(
        credential.body["credential"]["certificate"],
        base64(&app_certificate.der()),
        "the registered certificate reads back"
    );

    let basic = format!("Basic {}", base64(format!("{app_id}:").as_bytes()));
    let new_key = |name: &str| json!({"name": name, "obj_type": "AES", "key_size": 256, "key_ops": ["ENCRYPT", "DECRYPT"]});

    eprintln!("--- SNI {MTLS_NAME} + the app's certificate + Basic base64(app_id:) logs in");
    let session = https.request(
        MTLS_NAME,
        Some(&app_certificate),
        "POST",
        "/sys/v1/session/auth",
        Some(&basic),
        None,
    );
    assert_eq!(session.status, 200, "certificate login: {session:?}");
    assert_eq!(session.body["token_type"], "Bearer", "{session:?}");
    assert_eq!(session.body["entity_id"], app_id.as_str(), "{session:?}");
    let token = format!("Bearer {}", session.body["access_token"].as_str().unwrap());
    let key = https.request(
        MTLS_NAME,
        Some(&app_certificate),
        "POST",
        "/crypto/v1/keys",
        Some(&token),
        Some(&new_key("made with a certificate session")),
    );
    assert_eq!(
        key.status, 200,
        "POST /crypto/v1/keys with the session: {key:?}"
    );
    assert_eq!(key.body["group_id"], group_id.as_str(), "{key:?}");

    eprintln!("--- the certificate and Basic base64(app_id:) work on any endpoint too");
    let key = https.request(
        MTLS_NAME,
        Some(&app_certificate),
        "POST",
        "/crypto/v1/keys",
        Some(&basic),
        Some(&new_key("made with the certificate alone")),
    );
    assert_eq!(key.status, 200, "POST /crypto/v1/keys with Basic: {key:?}");

    eprintln!("--- refused: no client certificate, another certificate, the main domain");
    let cases: [(&str, &str, Option<&ClientCertificate>); 3] = [
        ("no client certificate", MTLS_NAME, None),
        ("another certificate", MTLS_NAME, Some(&other_certificate)),
        (
            "the main domain, which asks for no certificate",
            MAIN_DOMAIN,
            Some(&app_certificate),
        ),
    ];
    for (case, server_name, client) in cases {
        for (method, path, body) in [
            ("POST", "/sys/v1/session/auth", None),
            ("POST", "/crypto/v1/keys", Some(new_key(case))),
        ] {
            let answer = https.request(
                server_name,
                client,
                method,
                path,
                Some(&basic),
                body.as_ref(),
            );
            assert_eq!(
                answer.status, 401,
                "{case}: {method} {path} with SNI {server_name}: {answer:?}"
            );
        }
    }

    eprintln!("--- the failed certificate logins are in the audit log");
    let logs = admin("GET", "/sys/v1/logs?limit=100", None);
    assert_eq!(logs.status, 200, "{logs:?}");
    let text = logs.body.to_string();
    assert!(
        text.contains(&app_id) && text.contains("401"),
        "the audit log records the refused certificate logins of the app: {text}"
    );
    daemon.assert_running();
}
