//! The one door to sealed data: both key layers, and what each sealed value is for.
//!
//! - **The node layer.** Each node derives a sealing key (HKDF-SHA256) from a root-only platform
//!   secret file and never stores it. The platform secret stands in for SGX's sealing key under
//!   the default `sgx` policy: whoever can read it and the data directory can unseal, so it lives
//!   in a 0600 file owned by the service user. [`NodeSeal`] seals what belongs to this node alone:
//!   the cluster master key and the node's TLS key.
//! - **The cluster layer.** The cluster master key (CMK) is the same on every node. [`Vault`]
//!   seals every secret kept in replicated or node-local records under it: key material, app
//!   secrets, join-token signing keys, service and CA private keys, the dev credentials. The
//!   CMK itself leaves the vault only sealed: to a joining node's transport key
//!   ([`Vault::send_to_joiner`]) or under a node's sealing key ([`NodeSeal::store_cmk`]).
//!
//! Every sealed value is bound (as associated data) to a [`Purpose`] or [`NodePurpose`], so a
//! value sealed for one purpose never opens as another. Nothing outside this module calls the
//! sealing primitives.

use crate::error::{ServiceError, ServiceResult};
use anyhow::{Context, bail};
use coffer_core::Sealed;
use coffer_crypto::{DigestAlgorithm, Envelope, SealingKey, Secret, TransportKey};
use coffer_store::Store;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use uuid::Uuid;

/// The node-local record holding the sealed CMK.
const SEALED_CMK: &str = "sealed_cmk";
const PLATFORM_SECRET_LEN: usize = 32;

/// What a value sealed under the cluster master key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// A secret held in a replicated record (a key's material, an app's secret), bound to the
    /// record's id.
    Record(Uuid),
    /// The signing key of the join token with this id.
    JoinToken(&'a str),
    /// The cluster CA's private key.
    ClusterCaKey,
    /// The private key of the installed main (API) certificate.
    MainTlsKey,
    /// The private key of the installed UI certificate.
    UiTlsKey,
    /// The private key of the evaluation node's bootstrap certificate.
    BootstrapTlsKey,
    /// The evaluation node's first credentials.
    DevCredentials,
}

impl Purpose<'_> {
    /// The associated data: a record's id, or a fixed id per purpose (these values are on disk;
    /// they never change).
    fn associated_data(self) -> [u8; 16] {
        let id = match self {
            Self::Record(id) => id,
            Self::JoinToken(token) => {
                let digest = coffer_crypto::digest(
                    DigestAlgorithm::Sha256,
                    format!("join-token:{token}").as_bytes(),
                );
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(&digest[..16]);
                Uuid::from_bytes(bytes)
            }
            Self::ClusterCaKey => Uuid::from_u128(0x6361_5f6b_6579),
            Self::MainTlsKey => Uuid::from_u128(0x746c_735f_6d61_696e),
            Self::UiTlsKey => Uuid::from_u128(0x746c_735f_7569),
            Self::BootstrapTlsKey => Uuid::from_u128(0x0074_6c73_5f6b_6579),
            Self::DevCredentials => Uuid::from_u128(0x6465_765f_6372_6564),
        };
        *id.as_bytes()
    }
}

/// What a value sealed under the node's own sealing key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodePurpose<'a> {
    /// The cluster master key.
    ClusterMasterKey,
    /// The private key of this node's certificate, bound to the node's name.
    NodeKey(&'a str),
}

impl<'a> NodePurpose<'a> {
    fn associated_data(self) -> &'a [u8] {
        match self {
            Self::ClusterMasterKey => b"coffer cluster master key v1",
            Self::NodeKey(name) => name.as_bytes(),
        }
    }
}

/// The cluster layer: seals and opens secrets under the cluster master key.
pub struct Vault {
    cmk: SealingKey,
}

impl Vault {
    /// A vault over an unsealed cluster master key.
    pub fn new(cmk: SealingKey) -> Self {
        Self { cmk }
    }

    /// A vault with a new random cluster master key (a new cluster).
    pub fn generate() -> anyhow::Result<Self> {
        Ok(Self::new(SealingKey::generate()?))
    }

    /// Seals `plaintext` for `purpose`.
    pub fn seal(&self, purpose: Purpose<'_>, plaintext: &[u8]) -> ServiceResult<Sealed> {
        self.cmk
            .seal(&purpose.associated_data(), plaintext)
            .map(Sealed)
            .map_err(ServiceError::internal)
    }

    /// Opens a value sealed for the same `purpose`.
    pub fn unseal(&self, purpose: Purpose<'_>, sealed: &Sealed) -> ServiceResult<Secret> {
        self.cmk
            .unseal(&purpose.associated_data(), &sealed.0)
            .map_err(ServiceError::internal)
    }

    /// A 32-byte key derived from the CMK for one use (`info` names it), the same on every node.
    pub fn derive(&self, info: &str) -> anyhow::Result<Secret> {
        Ok(coffer_crypto::hkdf_sha256(
            self.cmk.to_secret().expose(),
            b"coffer",
            info.as_bytes(),
            32,
        )?)
    }

    /// The cluster master key sealed to the transport public key of the joining node `joiner`
    /// (ECDH P-256 and AES-GCM, bound to its name): what the leader grants a joiner.
    pub fn send_to_joiner(&self, transport_public: &[u8], joiner: &str) -> ServiceResult<Envelope> {
        coffer_crypto::seal_to(
            transport_public,
            self.cmk.to_secret().expose(),
            &transfer_associated_data(joiner),
        )
        .map_err(|e| ServiceError::invalid(format!("transport_key: {e}")))
    }

    /// Opens the cluster master key that the cluster sealed to this joining node, named `name`.
    pub fn receive_as_joiner(
        transport: TransportKey,
        envelope: &Envelope,
        name: &str,
    ) -> anyhow::Result<Self> {
        let cmk = transport
            .open(envelope, &transfer_associated_data(name))
            .context("the master key sent by the cluster did not open")?;
        Self::from_cmk_secret(&cmk)
    }

    /// The cluster master key itself, for keeping under a node's sealing key.
    fn cmk_secret(&self) -> Secret {
        self.cmk.to_secret()
    }

    fn from_cmk_secret(secret: &Secret) -> anyhow::Result<Self> {
        Ok(Self::new(SealingKey::from_bytes(secret.expose())?))
    }
}

/// The associated data of the cluster master key sealed to the joining node `name`.
fn transfer_associated_data(name: &str) -> Vec<u8> {
    format!("coffer cmk for {name} v1").into_bytes()
}

/// The node layer: the sealing key derived from this node's platform secret.
pub struct NodeSeal {
    key: SealingKey,
}

impl NodeSeal {
    /// The sealing key of the platform secret file at `path`, which is made (mode 0600) when
    /// absent. A secret readable by others, or of the wrong length, is refused.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let platform = platform_secret(path)?;
        let key =
            coffer_crypto::hkdf_sha256(platform.expose(), b"coffer-sealing", b"policy=sgx v1", 32)?;
        Ok(Self {
            key: SealingKey::from_bytes(key.expose())?,
        })
    }

    /// Seals `plaintext` for `purpose`.
    pub fn seal(&self, purpose: NodePurpose<'_>, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        Ok(self.key.seal(purpose.associated_data(), plaintext)?)
    }

    /// Opens a value sealed for the same `purpose`.
    pub fn unseal(&self, purpose: NodePurpose<'_>, sealed: &[u8]) -> anyhow::Result<Secret> {
        Ok(self.key.unseal(purpose.associated_data(), sealed)?)
    }

    /// The node's cluster master key, if it holds one.
    pub fn load_cmk(&self, store: &Store) -> anyhow::Result<Option<Vault>> {
        let Some(sealed) = store.node_local().get(SEALED_CMK)? else {
            return Ok(None);
        };
        let cmk = self.unseal(NodePurpose::ClusterMasterKey, &sealed).context(
            "cannot unseal the cluster master key: the platform secret does not match this data directory",
        )?;
        Ok(Some(Vault::from_cmk_secret(&cmk)?))
    }

    /// Keeps the vault's CMK in `store`, sealed under this node's key.
    pub fn store_cmk(&self, store: &Store, vault: &Vault) -> anyhow::Result<()> {
        let sealed = self.seal(NodePurpose::ClusterMasterKey, vault.cmk_secret().expose())?;
        store.node_local().put(SEALED_CMK, &sealed)?;
        Ok(())
    }

    /// The node's CMK, or a new one made and sealed when the node has none yet.
    pub fn load_or_create_cmk(&self, store: &Store) -> anyhow::Result<Vault> {
        if let Some(vault) = self.load_cmk(store)? {
            return Ok(vault);
        }
        let vault = Vault::generate()?;
        self.store_cmk(store, &vault)?;
        tracing::info!("generated and sealed a new cluster master key");
        Ok(vault)
    }
}

/// Reads the platform secret, creating it (mode 0600) on first start.
fn platform_secret(path: &Path) -> anyhow::Result<Secret> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut file) => {
            let secret = Secret::new(coffer_crypto::random::random_vec(PLATFORM_SECRET_LEN)?);
            file.write_all(secret.expose())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "created the platform secret");
            Ok(secret)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                bail!(
                    "{} is readable by other users (mode {:o}); it must be 0600",
                    path.display(),
                    mode & 0o777
                );
            }
            let mut bytes = Vec::new();
            fs::File::open(path)?
                .read_to_end(&mut bytes)
                .with_context(|| format!("reading {}", path.display()))?;
            if bytes.len() != PLATFORM_SECRET_LEN {
                bail!(
                    "{} is damaged: {} bytes instead of {PLATFORM_SECRET_LEN}",
                    path.display(),
                    bytes.len()
                );
            }
            Ok(Secret::new(bytes))
        }
        Err(error) => Err(error).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_key_sent_to_a_joiner_opens_only_as_that_joiner() {
        let vault = Vault::generate().expect("a key");
        let sealed = vault
            .seal(Purpose::Record(Uuid::from_u128(1)), b"material")
            .expect("sealed");

        let transport = TransportKey::generate().expect("a transport key");
        let envelope = vault
            .send_to_joiner(transport.public_key(), "node-2")
            .expect("sent");
        let received =
            Vault::receive_as_joiner(transport, &envelope, "node-2").expect("opens as node-2");
        assert_eq!(
            received
                .unseal(Purpose::Record(Uuid::from_u128(1)), &sealed)
                .expect("the same master key")
                .expose(),
            b"material"
        );

        let transport = TransportKey::generate().expect("a transport key");
        let envelope = vault
            .send_to_joiner(transport.public_key(), "node-2")
            .expect("sent");
        assert!(Vault::receive_as_joiner(transport, &envelope, "node-3").is_err());
    }

    #[test]
    fn a_value_sealed_for_one_purpose_does_not_open_as_another() {
        let vault = Vault::generate().expect("a key");
        let id = Uuid::from_u128(7);
        let sealed = vault
            .seal(Purpose::Record(id), b"material")
            .expect("sealed");
        assert_eq!(
            vault
                .unseal(Purpose::Record(id), &sealed)
                .expect("opens")
                .expose(),
            b"material"
        );
        assert!(
            vault
                .unseal(Purpose::Record(Uuid::from_u128(8)), &sealed)
                .is_err()
        );
        assert!(vault.unseal(Purpose::MainTlsKey, &sealed).is_err());
    }

    #[test]
    fn the_platform_secret_is_made_private_and_refused_when_others_can_read_it() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("platform.secret");
        let first = NodeSeal::open(&path).expect("made");
        assert_eq!(
            fs::metadata(&path).expect("exists").permissions().mode() & 0o777,
            0o600
        );
        let sealed = first
            .seal(NodePurpose::NodeKey("n1"), b"k")
            .expect("sealed");
        let again = NodeSeal::open(&path).expect("read back");
        assert_eq!(
            again
                .unseal(NodePurpose::NodeKey("n1"), &sealed)
                .expect("opens")
                .expose(),
            b"k"
        );
        assert!(again.unseal(NodePurpose::NodeKey("n2"), &sealed).is_err());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(NodeSeal::open(&path).is_err());
    }
}
