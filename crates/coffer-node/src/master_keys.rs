//! `sdkms-cluster rotate --cmk`: a new cluster master key, every secret re-sealed under it
//! while the cluster keeps serving, and the old key destroyed on every node.
//!
//! The leader runs it, in steps that each survive a crash (running the command again resumes):
//! 1. **Distribute.** It makes version N+1 and hands it to every member inside the pinned
//!    mutual-TLS channel (never through the Raft log, where a holder of version N could read
//!    it); each member keeps it under its own sealing key. One member that does not take it
//!    stops the rotation before anything changed.
//! 2. **Switch.** A command makes N+1 current: from then on every node seals under it, signs
//!    new sessions with it, and hashes new app secrets with it.
//! 3. **Re-seal.** Batches of `Rewrap` commands replace each value still under N (key
//!    material, app secrets with their keyed hashes, the CA key, join-token and service keys)
//!    with the same secret under N+1; a value changed meanwhile is left to the next pass.
//! 4. **Retire.** A command, refused while any value still needs N, marks N destroyed; every
//!    node then re-seals its own node-local records and drops N from memory and from its
//!    master-keys file. Sessions signed under N end there: whoever held N (a removed node)
//!    could have forged them.

use crate::Node;
use crate::error::ServiceError;
use crate::peers::{self, PeerCallError};
use crate::vault::{NODE_LOCAL_SEALED, Purpose};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_admin::{AdminError, MasterKeyRotated};
use coffer_core::{ApplyError, Command, Rewrapped, Sealed, SealedAt, TlsService};
use coffer_crypto::Secret;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use zeroize::Zeroizing;

/// The cluster-port route that hands a member a new master key (the leader only).
pub const OFFER_ROUTE: &str = "/node/master-key";
/// The cluster-port route that reports the master key versions a member holds.
pub const HELD_ROUTE: &str = "/node/master-key-versions";
/// Values re-sealed per command.
const BATCH: usize = 256;
/// Passes over the state before giving up on values that keep changing under the re-sealing.
const MAX_PASSES: usize = 20;
/// How long the leader waits for the members to confirm they destroyed the old version.
const CONFIRM_WITHIN: Duration = Duration::from_secs(30);
const PEER_TIMEOUT: Duration = Duration::from_secs(10);

/// A master key handed to a member (inside the pinned mutual-TLS channel).
#[derive(Serialize, Deserialize)]
pub struct MasterKeyOffer {
    /// Its version.
    pub version: u32,
    /// The key, base64.
    pub key: Zeroizing<String>,
}

/// The versions a member holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct HeldVersions {
    /// Oldest first.
    pub versions: Vec<u32>,
}

/// Runs the rotation on this node, which must lead (see the module's steps).
pub async fn rotate_on_leader(node: &Node) -> Result<MasterKeyRotated, AdminError> {
    let membership = node
        .membership
        .as_ref()
        .ok_or_else(|| AdminError::new("only a cluster member rotates its master key", None))?;
    let _one_at_a_time = membership
        .rotation
        .try_lock()
        .map_err(|_| AdminError::new("a master key rotation is already running", None))?;
    let versions = node.cluster.state().read().master_keys();
    let resuming = versions.rotating();
    let (from, to) = if resuming {
        (versions.current - 1, versions.current)
    } else {
        let next = versions
            .current
            .checked_add(1)
            .ok_or_else(|| AdminError::new("no master key version is left", None))?;
        (versions.current, next)
    };
    let key = if resuming {
        node.vault().key_for_members(to).ok_or_else(|| {
            AdminError::new(
                format!("the leader does not hold master key version {to}, which a rotation in progress switched to"),
                Some("run `sdkms-cluster rotate --cmk` again once the member that started it leads"),
            )
        })?
    } else {
        node.vault()
            .create_version(to)
            .map_err(|e| failed("making the new master key", e))?
    };
    if resuming {
        tracing::info!(from, to, "resuming a master key rotation");
    } else {
        tracing::info!(from, to, "rotating the cluster master key");
    }

    let mut served = distribute(node, to, &key, &[]).await?;
    if !resuming {
        node.propose(Command::SwitchMasterKey { to })
            .await
            .map_err(|e| failed("switching to the new master key", e))?;
    }
    // A node that joined in between got the keys at its join; hand them again all the same.
    served.extend(distribute(node, to, &key, &served).await?);
    drop(key);

    let mut resealed = 0;
    let mut attempts = 0;
    loop {
        resealed += reseal_all(node, to).await?;
        match node
            .propose(Command::RetireMasterKey { version: from })
            .await
        {
            Ok(()) => break,
            // A value sealed under the old version arrived after the last pass: one more.
            Err(ServiceError::Refused(ApplyError::MasterKeyStep(_))) if attempts < 3 => {
                attempts += 1;
            }
            Err(error) => return Err(failed("retiring the old master key", error)),
        }
    }
    retire_destroyed(node).map_err(|e| failed("destroying the old master key here", e))?;
    tracing::info!(
        from,
        to,
        resealed,
        "master key rotated; the old version is retired"
    );
    let (destroyed_on, pending) = confirm_destroyed(node, from).await;
    Ok(MasterKeyRotated {
        from,
        to,
        resealed,
        destroyed_on,
        pending,
    })
}

/// Hands master key `version` to every member except this node and those in `skip`; the names
/// of the members served. Any member that does not take it stops the rotation.
async fn distribute(
    node: &Node,
    version: u32,
    key: &Secret,
    skip: &[String],
) -> Result<Vec<String>, AdminError> {
    let Some(membership) = &node.membership else {
        return Ok(Vec::new());
    };
    let offer = MasterKeyOffer {
        version,
        key: Zeroizing::new(STANDARD.encode(key.expose())),
    };
    let mut served = Vec::new();
    for (id, info, _) in node.cluster.members() {
        if id == node.cluster.node_id() || skip.contains(&info.name) {
            continue;
        }
        let answer: Result<HeldVersions, PeerCallError> = peers::post_json(
            membership.peers.as_ref(),
            &info.cluster_addr,
            OFFER_ROUTE,
            &offer,
            PEER_TIMEOUT,
        )
        .await;
        match answer {
            Ok(held) if held.versions.contains(&version) => served.push(info.name.clone()),
            Ok(held) => {
                return Err(AdminError::new(
                    format!(
                        "{} did not keep the new master key (it holds {:?})",
                        info.name, held.versions
                    ),
                    None,
                ));
            }
            Err(error) => {
                return Err(AdminError::new(
                    format!("{} did not take the new master key: {error}", info.name),
                    Some(
                        "every member must be reachable: bring it back or remove it, then run `sdkms-cluster rotate --cmk` again",
                    ),
                ));
            }
        }
    }
    Ok(served)
}

/// Re-seals every value not under `to`, in batches; how many were replaced.
async fn reseal_all(node: &Node, to: u32) -> Result<usize, AdminError> {
    let mut resealed = 0;
    for _ in 0..MAX_PASSES {
        let stale: Vec<SealedAt> = node
            .cluster
            .state()
            .read()
            .sealed_values()
            .filter(|(_, sealed)| sealed.key_version() != Some(to))
            .map(|(at, _)| at)
            .collect();
        if stale.is_empty() {
            return Ok(resealed);
        }
        for batch in stale.chunks(BATCH) {
            let olds: Vec<(SealedAt, Sealed)> = {
                let state = node.cluster.state();
                let state = state.read();
                batch
                    .iter()
                    .filter_map(|at| {
                        let sealed = state.sealed_at(at)?;
                        (sealed.key_version() != Some(to)).then(|| (at.clone(), sealed.clone()))
                    })
                    .collect()
            };
            let items = olds
                .into_iter()
                .map(|(at, old)| reseal_one(node, to, at, old))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| failed("re-sealing a value", e))?;
            if items.is_empty() {
                continue;
            }
            let count = items.len();
            node.propose(Command::Rewrap(items))
                .await
                .map_err(|e| failed("storing re-sealed values", e))?;
            resealed += count;
        }
    }
    Err(AdminError::new(
        format!("values kept changing under the re-sealing for {MAX_PASSES} passes"),
        Some("run `sdkms-cluster rotate --cmk` again: it resumes where it stopped"),
    ))
}

/// The same secret as `old`, sealed under `to`.
fn reseal_one(node: &Node, to: u32, at: SealedAt, old: Sealed) -> Result<Rewrapped, ServiceError> {
    let vault = node.vault();
    let purpose = purpose_of(&at);
    let secret = vault.unseal(purpose, &old)?;
    let new = vault.seal(to, purpose, secret.expose())?;
    let digest = match at {
        SealedAt::AppSecret(_) => Some(vault.app_secret_digest(to, secret.expose())?),
        _ => None,
    };
    Ok(Rewrapped {
        at,
        old,
        new,
        digest,
    })
}

/// What a value at `at` was sealed for.
fn purpose_of(at: &SealedAt) -> Purpose<'_> {
    match at {
        SealedAt::SobjectMaterial(id) => Purpose::Record(id.uuid()),
        SealedAt::AppSecret(id) => Purpose::Record(id.uuid()),
        SealedAt::ClusterCaKey => Purpose::ClusterCaKey,
        SealedAt::JoinTokenKey(id) => Purpose::JoinToken(id),
        SealedAt::PendingTlsKey(TlsService::Main) | SealedAt::InstalledTlsKey(TlsService::Main) => {
            Purpose::MainTlsKey
        }
        SealedAt::PendingTlsKey(TlsService::Ui) | SealedAt::InstalledTlsKey(TlsService::Ui) => {
            Purpose::UiTlsKey
        }
    }
}

/// Asks each member until it no longer holds `retired` (or the time is up).
async fn confirm_destroyed(node: &Node, retired: u32) -> (Vec<String>, Vec<(String, String)>) {
    let mut destroyed_on = vec![node.cluster.me().name.clone()];
    let mut pending = Vec::new();
    let Some(membership) = &node.membership else {
        return (destroyed_on, pending);
    };
    let deadline = Instant::now() + CONFIRM_WITHIN;
    for (id, info, _) in node.cluster.members() {
        if id == node.cluster.node_id() {
            continue;
        }
        let why = loop {
            let held: Result<HeldVersions, PeerCallError> = peers::post_json(
                membership.peers.as_ref(),
                &info.cluster_addr,
                HELD_ROUTE,
                &(),
                PEER_TIMEOUT,
            )
            .await;
            let why = match held {
                Ok(held) if held.versions.iter().all(|v| *v > retired) => break None,
                Ok(held) => format!("still holds versions {:?}", held.versions),
                Err(error) => format!("did not answer: {error}"),
            };
            if Instant::now() >= deadline {
                break Some(why);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        match why {
            None => destroyed_on.push(info.name.clone()),
            Some(why) => pending.push((info.name.clone(), why)),
        }
    }
    (destroyed_on, pending)
}

/// A member's side of [`OFFER_ROUTE`]: keeps the offered key, if it is the next or the
/// current version.
pub fn accept_offer(node: &Node, offer: &MasterKeyOffer) -> Result<HeldVersions, ServiceError> {
    let versions = node.cluster.state().read().master_keys();
    if offer.version != versions.current && Some(offer.version) != versions.current.checked_add(1) {
        return Err(ServiceError::invalid(format!(
            "master key version {} is neither the current ({}) nor the next",
            offer.version, versions.current
        )));
    }
    let key = Secret::new(
        STANDARD
            .decode(offer.key.as_bytes())
            .map_err(|_| ServiceError::invalid("key: not base64"))?,
    );
    node.vault()
        .add_version(offer.version, key)
        .map_err(|e| ServiceError::invalid(format!("{e:#}")))?;
    tracing::info!(
        version = offer.version,
        "took a new cluster master key from the leader"
    );
    Ok(held(node))
}

/// The versions this node holds ([`HELD_ROUTE`]).
pub fn held(node: &Node) -> HeldVersions {
    HeldVersions {
        versions: node.vault().versions(),
    }
}

/// Destroys the versions the cluster retired, after re-sealing this node's own records that
/// still use them. Nothing to do (the usual case) is cheap.
pub fn retire_destroyed(node: &Node) -> anyhow::Result<()> {
    let versions = node.cluster.state().read().master_keys();
    let vault = node.vault();
    if vault
        .oldest_version()
        .is_none_or(|oldest| oldest > versions.retired_through)
    {
        return Ok(());
    }
    let local = node.cluster.store().node_local();
    for (record, purpose) in NODE_LOCAL_SEALED {
        let Some(bytes) = local.get(record)? else {
            continue;
        };
        let sealed = Sealed(bytes);
        if sealed
            .key_version()
            .is_some_and(|v| v > versions.retired_through)
        {
            continue;
        }
        let secret = vault
            .unseal(purpose, &sealed)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let new = vault
            .seal(versions.current, purpose, secret.expose())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        local.put(record, &new.0)?;
    }
    if vault.retire_through(versions.retired_through)? {
        tracing::info!(
            through = versions.retired_through,
            "destroyed retired cluster master key versions"
        );
    }
    Ok(())
}

/// Follows the state and destroys retired versions as soon as they are retired, until `stop`.
pub async fn follow_retirements(node: std::sync::Arc<Node>, mut stop: watch::Receiver<bool>) {
    let mut changes = node.cluster.state().changes();
    loop {
        if let Err(error) = retire_destroyed(&node) {
            tracing::error!(
                error = format!("{error:#}"),
                "could not destroy a retired master key"
            );
        }
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            changed = changes.changed() => if changed.is_err() { return },
        }
    }
}

fn failed(what: &str, error: impl std::fmt::Display) -> AdminError {
    AdminError::new(
        format!("{what}: {error}"),
        Some("run `sdkms-cluster rotate --cmk` again: it resumes where it stopped"),
    )
}
