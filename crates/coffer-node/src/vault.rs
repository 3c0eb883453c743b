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
//!   CMK has versions (`sdkms-cluster rotate --cmk` adds one and destroys the old); each sealed
//!   value starts with the version that sealed it, and the session and app-secret keys are
//!   derived per version. The CMK leaves the vault only sealed: to a joining node's transport
//!   key ([`Vault::send_to_joiner`]), under a node's sealing key (in its own file,
//!   [`MASTER_KEYS_FILE`], rewritten whole on every change: the database is copy-on-write and
//!   would keep a replaced key in its free pages), or inside the pinned mutual-TLS channel to a
//!   member during a rotation.
//!
//! Every sealed value is bound (as associated data) to a [`Purpose`] or [`NodePurpose`], so a
//! value sealed for one purpose never opens as another. Nothing outside this module calls the
//! sealing primitives.

use crate::error::{ServiceError, ServiceResult};
use anyhow::{Context, bail};
use coffer_core::Sealed;
use coffer_crypto::{DigestAlgorithm, Envelope, SealingKey, Secret, TransportKey};
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use uuid::Uuid;
use zeroize::Zeroizing;

/// The file in the data directory that holds the node's master keys, sealed under its
/// sealing key.
pub const MASTER_KEYS_FILE: &str = "master-keys.sealed";
/// Node-local records sealed under the master key, with what each is for: a rotation re-seals
/// them on every node before the old key is destroyed.
pub const NODE_LOCAL_SEALED: [(&str, Purpose<'static>); 2] = [
    (BOOTSTRAP_TLS_KEY, Purpose::BootstrapTlsKey),
    (DEV_SECRETS, Purpose::DevCredentials),
];
/// The node-local record of the evaluation node's bootstrap certificate key.
pub const BOOTSTRAP_TLS_KEY: &str = "tls_bootstrap_key";
/// The node-local record of the evaluation node's first credentials.
pub const DEV_SECRETS: &str = "dev_credentials";

const PLATFORM_SECRET_LEN: usize = 32;
const KEY_LEN: usize = 32;
const VERSION_LEN: usize = 4;

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
    /// The cluster master keys (every live version).
    ClusterMasterKey,
    /// The private key of this node's certificate, bound to the node's name.
    NodeKey(&'a str),
}

impl<'a> NodePurpose<'a> {
    fn associated_data(self) -> &'a [u8] {
        match self {
            Self::ClusterMasterKey => b"coffer cluster master keys v2",
            Self::NodeKey(name) => name.as_bytes(),
        }
    }
}

/// One version of the cluster master key, with the keys derived from it.
struct MasterKey {
    cmk: SealingKey,
    raw: Secret,
    session: Secret,
    app_digest: Secret,
}

impl MasterKey {
    fn new(raw: Secret) -> anyhow::Result<Self> {
        let derive =
            |info: &str| coffer_crypto::hkdf_sha256(raw.expose(), b"coffer", info.as_bytes(), 32);
        Ok(Self {
            cmk: SealingKey::from_bytes(raw.expose())?,
            session: derive("session-mac-v1")?,
            app_digest: derive("app-secret-digest-v1")?,
            raw,
        })
    }
}

/// Where a node keeps its master keys: a file sealed under its own sealing key.
struct Keeper {
    seal: Arc<NodeSeal>,
    path: PathBuf,
}

/// The cluster layer: every live version of the cluster master key, sealing and opening the
/// secrets kept under them. Sealing names the version (the state says which is current);
/// opening reads it from the value.
pub struct Vault {
    keys: RwLock<BTreeMap<u32, MasterKey>>,
    keeper: Option<Keeper>,
}

impl Vault {
    /// A vault with a new random master key, version 1 (a new cluster).
    pub fn generate() -> anyhow::Result<Self> {
        let raw = Secret::new(coffer_crypto::random::random_vec(KEY_LEN)?);
        Self::from_keys([(1, raw)])
    }

    fn from_keys(keys: impl IntoIterator<Item = (u32, Secret)>) -> anyhow::Result<Self> {
        let keys = keys
            .into_iter()
            .map(|(version, raw)| Ok((version, MasterKey::new(raw)?)))
            .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
        if keys.is_empty() {
            bail!("no master key");
        }
        Ok(Self {
            keys: RwLock::new(keys),
            keeper: None,
        })
    }

    /// The same vault, kept in the file `path` sealed by `seal` (written now, and again on
    /// every change).
    pub fn kept_in(mut self, seal: Arc<NodeSeal>, path: PathBuf) -> anyhow::Result<Self> {
        self.keeper = Some(Keeper { seal, path });
        self.persist()?;
        Ok(self)
    }

    /// The oldest version held.
    pub fn oldest_version(&self) -> Option<u32> {
        self.read(|keys| keys.keys().next().copied())
    }

    /// The versions held, oldest first.
    pub fn versions(&self) -> Vec<u32> {
        self.read(|keys| keys.keys().copied().collect())
    }

    /// Seals `plaintext` for `purpose` under master key `version`.
    pub fn seal(
        &self,
        version: u32,
        purpose: Purpose<'_>,
        plaintext: &[u8],
    ) -> ServiceResult<Sealed> {
        self.with_key(version, |key| {
            let blob = key
                .cmk
                .seal(&purpose.associated_data(), plaintext)
                .map_err(ServiceError::internal)?;
            let mut out = Vec::with_capacity(VERSION_LEN + blob.len());
            out.extend_from_slice(&version.to_be_bytes());
            out.extend_from_slice(&blob);
            Ok(Sealed(out))
        })
    }

    /// Opens a value sealed for the same `purpose`, under whichever version sealed it.
    pub fn unseal(&self, purpose: Purpose<'_>, sealed: &Sealed) -> ServiceResult<Secret> {
        let version = sealed.key_version().ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("a sealed value is truncated"))
        })?;
        self.with_key(version, |key| {
            key.cmk
                .unseal(&purpose.associated_data(), &sealed.0[VERSION_LEN..])
                .map_err(ServiceError::internal)
        })
    }

    /// The keyed hash of an app secret under master key `version`.
    pub fn app_secret_digest(&self, version: u32, secret: &[u8]) -> ServiceResult<Vec<u8>> {
        self.with_key(version, |key| {
            coffer_crypto::hmac(DigestAlgorithm::Sha256, key.app_digest.expose(), secret)
                .map_err(ServiceError::internal)
        })
    }

    /// The MAC of a session token body under master key `version`.
    pub fn session_mac(&self, version: u32, body: &[u8]) -> ServiceResult<Vec<u8>> {
        self.with_key(version, |key| {
            coffer_crypto::hmac(DigestAlgorithm::Sha256, key.session.expose(), body)
                .map_err(ServiceError::internal)
        })
    }

    /// True when `mac` is the session MAC of `body` under master key `version` (false for a
    /// version this node does not hold, such as a destroyed one). Constant-time.
    pub fn session_mac_matches(&self, version: u32, body: &[u8], mac: &[u8]) -> bool {
        self.read(|keys| {
            keys.get(&version).is_some_and(|key| {
                coffer_crypto::hmac_verify(DigestAlgorithm::Sha256, key.session.expose(), body, mac)
                    .unwrap_or(false)
            })
        })
    }

    /// Makes a new random master key `version` and returns it, to be sent to the other
    /// members (a rotation, on the leader). Already held: the held one.
    pub fn create_version(&self, version: u32) -> anyhow::Result<Secret> {
        if let Some(raw) = self.key_for_members(version) {
            return Ok(raw);
        }
        let raw = Secret::new(coffer_crypto::random::random_vec(KEY_LEN)?);
        self.add_version(version, raw.clone())?;
        Ok(raw)
    }

    /// The key of `version` itself, to send to a member inside the pinned mutual-TLS channel
    /// during a rotation.
    pub fn key_for_members(&self, version: u32) -> Option<Secret> {
        self.read(|keys| keys.get(&version).map(|key| key.raw.clone()))
    }

    /// Takes master key `version` (sent by the leader during a rotation) and keeps it.
    /// Taking the same key twice is harmless; another key under a held version is refused.
    pub fn add_version(&self, version: u32, raw: Secret) -> anyhow::Result<()> {
        if raw.expose().len() != KEY_LEN {
            bail!(
                "a master key is {KEY_LEN} bytes, not {}",
                raw.expose().len()
            );
        }
        {
            let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            if let Some(held) = keys.get(&version) {
                if coffer_crypto::constant_time_eq(held.raw.expose(), raw.expose()) {
                    return Ok(());
                }
                bail!("this node holds another master key version {version}");
            }
            keys.insert(version, MasterKey::new(raw)?);
        }
        self.persist()
    }

    /// Destroys every version up to `version` (in memory and on disk), keeping at least the
    /// newest. True when something was destroyed.
    pub fn retire_through(&self, version: u32) -> anyhow::Result<bool> {
        let retired = {
            let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            let newest = keys.keys().next_back().copied().unwrap_or(0);
            let before = keys.len();
            keys.retain(|held, _| *held > version || *held == newest);
            before != keys.len()
        };
        if retired {
            self.persist()?;
        }
        Ok(retired)
    }

    /// Every key held, in the sealed-file format: (version, 32 bytes) after each other.
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        self.read(|keys| {
            let mut out = Zeroizing::new(Vec::with_capacity(keys.len() * (VERSION_LEN + KEY_LEN)));
            for (version, key) in keys {
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(key.raw.expose());
            }
            out
        })
    }

    fn decode(bytes: &[u8]) -> anyhow::Result<Self> {
        let entry = VERSION_LEN + KEY_LEN;
        if bytes.is_empty() || !bytes.len().is_multiple_of(entry) {
            bail!("the master keys are damaged ({} bytes)", bytes.len());
        }
        Self::from_keys(bytes.chunks_exact(entry).map(|chunk| {
            let (version, raw) = chunk.split_at(VERSION_LEN);
            let version = u32::from_be_bytes([version[0], version[1], version[2], version[3]]);
            (version, Secret::new(raw.to_vec()))
        }))
    }

    /// Writes the keys to the keeper's file, whole, atomically: the old file (and the keys it
    /// held) is gone once this returns.
    fn persist(&self) -> anyhow::Result<()> {
        let Some(keeper) = &self.keeper else {
            return Ok(());
        };
        let sealed = keeper
            .seal
            .seal(NodePurpose::ClusterMasterKey, &self.encode())?;
        crate::private_file::write(&keeper.path, &sealed)
    }

    /// Every master key, sealed to the transport public key of the joining node `joiner`
    /// (ECDH P-256 and AES-GCM, bound to its name): what the leader grants a joiner.
    pub fn send_to_joiner(&self, transport_public: &[u8], joiner: &str) -> ServiceResult<Envelope> {
        coffer_crypto::seal_to(
            transport_public,
            &self.encode(),
            &transfer_associated_data(joiner),
        )
        .map_err(|e| ServiceError::invalid(format!("transport_key: {e}")))
    }

    /// Opens the master keys that the cluster sealed to this joining node, named `name`.
    pub fn receive_as_joiner(
        transport: TransportKey,
        envelope: &Envelope,
        name: &str,
    ) -> anyhow::Result<Self> {
        let keys = transport
            .open(envelope, &transfer_associated_data(name))
            .context("the master keys sent by the cluster did not open")?;
        Self::decode(keys.expose())
    }

    /// Every held key itself (version, key): for forensic checks that no file keeps a
    /// destroyed one. Whoever can call this holds the platform secret and the data directory,
    /// and could read the keys anyway.
    pub fn expose_for_inspection(&self) -> Vec<(u32, Secret)> {
        self.read(|keys| keys.iter().map(|(v, k)| (*v, k.raw.clone())).collect())
    }

    fn read<T>(&self, f: impl FnOnce(&BTreeMap<u32, MasterKey>) -> T) -> T {
        f(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn with_key<T>(
        &self,
        version: u32,
        f: impl FnOnce(&MasterKey) -> ServiceResult<T>,
    ) -> ServiceResult<T> {
        self.read(|keys| match keys.get(&version) {
            Some(key) => f(key),
            None => Err(ServiceError::internal(anyhow::anyhow!(
                "this node does not hold master key version {version} (it holds {:?})",
                keys.keys().collect::<Vec<_>>()
            ))),
        })
    }
}

/// The associated data of the master keys sealed to the joining node `name`.
fn transfer_associated_data(name: &str) -> Vec<u8> {
    format!("coffer master keys for {name} v2").into_bytes()
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
}

/// Opens the master keys kept in the data directory `dir`, if there are any.
pub fn load_master_keys(seal: Arc<NodeSeal>, dir: &Path) -> anyhow::Result<Option<Vault>> {
    let path = dir.join(MASTER_KEYS_FILE);
    let sealed = match fs::read(&path) {
        Ok(sealed) => sealed,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let keys = seal.unseal(NodePurpose::ClusterMasterKey, &sealed).context(
        "cannot unseal the cluster master keys: the platform secret does not match this data directory",
    )?;
    let mut vault = Vault::decode(keys.expose())?;
    vault.keeper = Some(Keeper { seal, path });
    Ok(Some(vault))
}

/// Keeps `vault` in the data directory `dir`, sealed under `seal`.
pub fn keep_master_keys(seal: Arc<NodeSeal>, dir: &Path, vault: Vault) -> anyhow::Result<Vault> {
    vault.kept_in(seal, dir.join(MASTER_KEYS_FILE))
}

/// The master keys of `dir`, or a new one made and kept there (the evaluation node).
pub fn load_or_create_master_keys(seal: Arc<NodeSeal>, dir: &Path) -> anyhow::Result<Vault> {
    if let Some(vault) = load_master_keys(seal.clone(), dir)? {
        return Ok(vault);
    }
    let vault = keep_master_keys(seal, dir, Vault::generate()?)?;
    tracing::info!("generated and sealed a new cluster master key");
    Ok(vault)
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
            .seal(1, Purpose::Record(Uuid::from_u128(1)), b"material")
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
            .seal(1, Purpose::Record(id), b"material")
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
    fn a_rotation_keeps_both_versions_until_the_old_one_is_retired_on_disk_too() {
        let dir = tempfile::tempdir().expect("a directory");
        let seal = Arc::new(NodeSeal::open(&dir.path().join("platform.secret")).expect("seal"));
        let vault = keep_master_keys(seal.clone(), dir.path(), Vault::generate().expect("key"))
            .expect("kept");
        let id = Uuid::from_u128(3);
        let old = vault.seal(1, Purpose::Record(id), b"old").expect("sealed");
        let file = dir.path().join(MASTER_KEYS_FILE);
        let before = fs::read(&file).expect("the keys file");

        let raw = vault.create_version(2).expect("a new version");
        assert_eq!(
            vault.create_version(2).expect("again").expose(),
            raw.expose()
        );
        let new = vault.seal(2, Purpose::Record(id), b"new").expect("sealed");
        assert_eq!(new.key_version(), Some(2));
        let reloaded = load_master_keys(seal.clone(), dir.path())
            .expect("loads")
            .expect("present");
        assert_eq!(reloaded.versions(), vec![1, 2]);
        assert_eq!(
            reloaded
                .unseal(Purpose::Record(id), &old)
                .expect("v1")
                .expose(),
            b"old"
        );
        assert!(
            vault.add_version(2, Secret::new(vec![9; 32])).is_err(),
            "another key under a held version is refused"
        );

        assert!(vault.retire_through(1).expect("retired"));
        assert!(vault.unseal(Purpose::Record(id), &old).is_err());
        let reloaded = load_master_keys(seal, dir.path())
            .expect("loads")
            .expect("present");
        assert_eq!(reloaded.versions(), vec![2]);
        assert_eq!(
            reloaded
                .unseal(Purpose::Record(id), &new)
                .expect("v2")
                .expose(),
            b"new"
        );
        assert_ne!(fs::read(&file).expect("the keys file"), before);
        assert!(
            !vault.retire_through(5).expect("nothing"),
            "the newest version always stays"
        );
        assert_eq!(vault.versions(), vec![2]);
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
