//! What an attacker holding a node's data directory and its platform secret can take from
//! them: the node's certificate and private key, and — through the cluster master key the node
//! holds — the cluster CA, with which to mint certificates for any name. Tests use it to show
//! that none of this opens the cluster port of a cluster that does not count that key.

use std::net::SocketAddrV4;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};
use coffer_crypto::CaBundle;
use coffer_node::identity::NodeIdentity;
use coffer_node::vault::{NodePurpose, NodeSeal, Purpose};
use coffer_store::Store;

/// A certificate and its key, as files a TLS client can present.
pub struct ClientIdentity {
    dir: tempfile::TempDir,
}

impl ClientIdentity {
    fn write(chain_pem: &str, key_pem: &[u8], ca_pem: &str) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a directory for the stolen identity")?;
        std::fs::write(dir.path().join("chain.pem"), chain_pem)?;
        std::fs::write(dir.path().join("key.pem"), key_pem)?;
        std::fs::write(dir.path().join("ca.pem"), ca_pem)?;
        Ok(Self { dir })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The HTTP status `curl`, presenting this identity, gets for `method path` with a JSON
    /// `body` on the cluster port at `addr` (trusting the cluster CA). `None` when no HTTP
    /// answer came (the TLS handshake was refused).
    pub fn status(
        &self,
        addr: SocketAddrV4,
        method: &str,
        path: &str,
        body: &str,
    ) -> anyhow::Result<Option<u16>> {
        let mut command = Command::new("curl");
        command
            .args([
                "--silent",
                "--show-error",
                "--output",
                "/dev/null",
                "--write-out",
                "%{http_code}",
            ])
            .args(["--max-time", "20", "--request", method])
            .arg("--cacert")
            .arg(self.file("ca.pem"))
            .arg("--cert")
            .arg(self.file("chain.pem"))
            .arg("--key")
            .arg(self.file("key.pem"));
        if method != "GET" {
            command.args(["--header", "content-type: application/json", "--data", body]);
        }
        let output = command
            .arg(format!("https://{addr}{path}"))
            .output()
            .context("running curl")?;
        let code: u16 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .context("curl printed no status")?;
        if code == 0 {
            eprintln!(
                "    {method} {path} on {addr}: no answer ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok((code != 0).then_some(code))
    }
}

/// The secrets of one stopped node's data directory.
pub struct StolenDisk {
    node: ClientIdentity,
    ca: CaBundle,
}

impl StolenDisk {
    /// Reads the node identity and the cluster CA out of `data_dir` (the node must be stopped:
    /// its store is opened here), unsealing them with the platform secret at
    /// `DIR/platform.secret`.
    pub fn take(data_dir: &Path) -> anyhow::Result<Self> {
        let store = Store::open(&data_dir.join("coffer.redb")).context("opening the store")?;
        let seal = NodeSeal::open(&data_dir.join("platform.secret"))?;
        let identity = NodeIdentity::load(&store)?.context("the store holds no node identity")?;
        let node_key = seal.unseal(NodePurpose::NodeKey(&identity.name), &identity.sealed_key.0)?;
        let node = ClientIdentity::write(
            &identity.cert_chain_pem,
            node_key.expose(),
            &identity.ca_cert_pem,
        )?;
        let vault = coffer_node::vault::load_master_keys(std::sync::Arc::new(seal), data_dir)?
            .context("the data directory holds no master key")?;
        let sealed_ca_key = store
            .state()
            .read()
            .cluster()
            .and_then(|cluster| cluster.ca_key.clone())
            .context("the state holds no CA key")?;
        let ca_key = vault
            .unseal(Purpose::ClusterCaKey, &sealed_ca_key)
            .map_err(|e| anyhow::anyhow!("unsealing the CA key: {e}"))?;
        let ca = CaBundle {
            cert_pem: identity.ca_cert_pem.clone(),
            key_pem: ca_key,
        };
        ensure!(!ca.cert_pem.is_empty(), "no CA certificate");
        Ok(Self { node, ca })
    }

    /// The node's own certificate and key.
    pub fn node(&self) -> &ClientIdentity {
        &self.node
    }

    /// A new certificate from the cluster CA for a node `name` at `addr` that never joined.
    pub fn mint(&self, name: &str, addr: SocketAddrV4) -> anyhow::Result<ClientIdentity> {
        let ip = std::net::IpAddr::V4(*addr.ip());
        let csr = coffer_crypto::node_csr(name, ip)?;
        let chain = coffer_crypto::sign_node_csr(&self.ca, &csr.csr_pem, name, ip)?;
        ClientIdentity::write(&chain, csr.key_pem.expose(), &self.ca.cert_pem)
    }
}
