//! The cluster master key at rest.
//!
//! The node keeps the CMK only sealed under its sealing key, which is derived (HKDF-SHA256) from
//! a root-only platform secret file and never stored. The platform secret stands in for SGX's
//! sealing key under the default `sgx` policy: whoever can read it and the data directory can
//! unseal, so it lives in a 0600 file owned by the service user.

use anyhow::{Context, bail};
use coffer_crypto::{SealingKey, Secret};
use coffer_store::Store;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The node-local record holding the sealed CMK.
const SEALED_CMK: &str = "sealed_cmk";
/// Associated data binding the sealed CMK to its purpose.
const CMK_AAD: &[u8] = b"coffer cluster master key v1";
const PLATFORM_SECRET_LEN: usize = 32;

/// Reads the platform secret, creating it (mode 0600) on first start.
pub(crate) fn platform_secret(path: &Path) -> anyhow::Result<Secret> {
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

/// The sealing key of the `sgx` policy: derived from the platform secret alone.
pub(crate) fn sealing_key(platform: &Secret) -> anyhow::Result<SealingKey> {
    let key =
        coffer_crypto::hkdf_sha256(platform.expose(), b"coffer-sealing", b"policy=sgx v1", 32)?;
    Ok(SealingKey::from_bytes(key.expose())?)
}

/// Unseals the node's CMK, or makes and seals a new one when the node has none yet.
pub(crate) fn unseal_or_create_cmk(
    store: &Store,
    sealing: &SealingKey,
) -> anyhow::Result<SealingKey> {
    if let Some(cmk) = unseal_cmk(store, sealing)? {
        return Ok(cmk);
    }
    let cmk = SealingKey::generate()?;
    store_cmk(store, sealing, &cmk)?;
    tracing::info!("generated and sealed a new cluster master key");
    Ok(cmk)
}

/// The node's CMK, if it holds one.
pub(crate) fn unseal_cmk(
    store: &Store,
    sealing: &SealingKey,
) -> anyhow::Result<Option<SealingKey>> {
    let Some(sealed) = store.node_local().get(SEALED_CMK)? else {
        return Ok(None);
    };
    let cmk = sealing.unseal(CMK_AAD, &sealed).context(
        "cannot unseal the cluster master key: the platform secret does not match this data directory",
    )?;
    Ok(Some(SealingKey::from_bytes(cmk.expose())?))
}

/// Keeps `cmk` sealed under this node's sealing key.
pub(crate) fn store_cmk(
    store: &Store,
    sealing: &SealingKey,
    cmk: &SealingKey,
) -> anyhow::Result<()> {
    store.node_local().put(
        SEALED_CMK,
        &sealing.seal(CMK_AAD, cmk.to_secret().expose())?,
    )?;
    Ok(())
}
