//! The master key's versions, and every sealed value of the state: the rotation moves the
//! current version on, re-seals every value under it, and retires the old version once no
//! value needs it. Commands that bring in a value sealed under a dead version are refused.

use super::{RecordKey, State, Table};
use crate::command::{Rewrapped, SealedAt, TlsService};
use crate::error::ApplyError;
use crate::records::{MasterKeyVersions, Sealed};

impl State {
    /// The live master key versions (the defaults before the cluster record exists).
    pub fn master_keys(&self) -> MasterKeyVersions {
        self.cluster
            .as_ref()
            .map(|c| c.master_keys)
            .unwrap_or_default()
    }

    /// Every non-empty sealed value of the state, with where it lives.
    pub fn sealed_values(&self) -> impl Iterator<Item = (SealedAt, &Sealed)> {
        let sobjects = self.sobjects.values().filter_map(|key| {
            let material = key.material.as_ref()?;
            Some((SealedAt::SobjectMaterial(key.id), material))
        });
        let apps = self
            .apps
            .values()
            .map(|app| (SealedAt::AppSecret(app.id), &app.secret));
        let cluster = self.cluster.iter().flat_map(|cluster| {
            let ca = cluster
                .ca_key
                .iter()
                .map(|key| (SealedAt::ClusterCaKey, key));
            let tokens = cluster
                .tokens
                .values()
                .map(|token| (SealedAt::JoinTokenKey(token.id.clone()), &token.signing_key));
            let pending = cluster.tls.pending.iter().flat_map(|pending| {
                [
                    (SealedAt::PendingTlsKey(TlsService::Main), &pending.main.key),
                    (SealedAt::PendingTlsKey(TlsService::Ui), &pending.ui.key),
                ]
            });
            let installed = cluster.tls.installed.iter().flat_map(|installed| {
                [
                    (
                        SealedAt::InstalledTlsKey(TlsService::Main),
                        &installed.main.key,
                    ),
                    (SealedAt::InstalledTlsKey(TlsService::Ui), &installed.ui.key),
                ]
            });
            ca.chain(tokens).chain(pending).chain(installed)
        });
        sobjects
            .chain(apps)
            .chain(cluster)
            .filter(|(_, sealed)| !sealed.0.is_empty())
    }

    /// Refuses a value sealed under a version that is not live. Empty values pass.
    pub(super) fn check_sealed(&self, sealed: &Sealed) -> Result<(), ApplyError> {
        if sealed.0.is_empty() {
            return Ok(());
        }
        let versions = self.master_keys();
        match sealed.key_version() {
            Some(version) if versions.is_live(version) => Ok(()),
            version => Err(ApplyError::DeadMasterKey {
                version: version.unwrap_or(0),
                live: format!("{}..={}", versions.retired_through + 1, versions.current),
            }),
        }
    }

    pub(super) fn switch_master_key(
        &mut self,
        to: u32,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let versions = self.master_keys();
        if versions.rotating() {
            return Err(ApplyError::MasterKeyStep(format!(
                "version {} is still being replaced by {}",
                versions.current - 1,
                versions.current
            )));
        }
        if Some(to) != versions.current.checked_add(1) {
            return Err(ApplyError::MasterKeyStep(format!(
                "the next version is {}, not {to}",
                versions.current.saturating_add(1)
            )));
        }
        self.cluster_mut()?.master_keys.current = to;
        changed.push(Self::cluster_key());
        Ok(())
    }

    pub(super) fn rewrap(
        &mut self,
        items: &[Rewrapped],
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let current = self.master_keys().current;
        for item in items {
            if item.new.key_version() != Some(current) {
                return Err(ApplyError::MasterKeyStep(format!(
                    "a re-sealed value must be under the current version {current}"
                )));
            }
        }
        self.cluster_mut()?;
        for item in items {
            if let Some(key) = self.rewrap_one(item) {
                changed.push(key);
            }
        }
        Ok(())
    }

    /// Replaces one value if it is still the one re-sealed; the record changed, if any.
    fn rewrap_one(&mut self, item: &Rewrapped) -> Option<RecordKey> {
        let replace = |slot: &mut Sealed| {
            let still = *slot == item.old;
            if still {
                slot.clone_from(&item.new);
            }
            still
        };
        let cluster_key = Self::cluster_key();
        match &item.at {
            SealedAt::SobjectMaterial(id) => {
                let key = self.sobjects.get_mut(id)?;
                replace(key.material.as_mut()?).then(|| RecordKey::new(Table::Sobjects, id.uuid()))
            }
            SealedAt::AppSecret(id) => {
                let app = self.apps.get_mut(id)?;
                let digest = item.digest.as_ref()?;
                if !replace(&mut app.secret) {
                    return None;
                }
                digest.clone_into(&mut app.secret_digest);
                Some(RecordKey::new(Table::Apps, id.uuid()))
            }
            SealedAt::ClusterCaKey => {
                let cluster = self.cluster.as_mut()?;
                replace(cluster.ca_key.as_mut()?).then_some(cluster_key)
            }
            SealedAt::JoinTokenKey(id) => {
                let token = self.cluster.as_mut()?.tokens.get_mut(id)?;
                replace(&mut token.signing_key).then_some(cluster_key)
            }
            SealedAt::PendingTlsKey(service) => {
                let pending = self.cluster.as_mut()?.tls.pending.as_mut()?;
                let request = match service {
                    TlsService::Main => &mut pending.main,
                    TlsService::Ui => &mut pending.ui,
                };
                replace(&mut request.key).then_some(cluster_key)
            }
            SealedAt::InstalledTlsKey(service) => {
                let installed = self.cluster.as_mut()?.tls.installed.as_mut()?;
                let certificate = match service {
                    TlsService::Main => &mut installed.main,
                    TlsService::Ui => &mut installed.ui,
                };
                replace(&mut certificate.key).then_some(cluster_key)
            }
        }
    }

    pub(super) fn retire_master_key(
        &mut self,
        version: u32,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let versions = self.master_keys();
        if !versions.rotating() || version != versions.retired_through + 1 {
            return Err(ApplyError::MasterKeyStep(format!(
                "version {version} is not the oldest of a rotation (live: {}..={})",
                versions.retired_through + 1,
                versions.current
            )));
        }
        let left = self
            .sealed_values()
            .filter(|(_, sealed)| sealed.key_version().is_none_or(|v| v <= version))
            .count();
        if left > 0 {
            return Err(ApplyError::MasterKeyStep(format!(
                "{left} values are still sealed under version {version}"
            )));
        }
        self.cluster_mut()?.master_keys.retired_through = version;
        changed.push(Self::cluster_key());
        Ok(())
    }
}

impl State {
    /// The sealed value at `at`, if there is one.
    pub fn sealed_at(&self, at: &SealedAt) -> Option<&Sealed> {
        let cluster = self.cluster.as_ref();
        match at {
            SealedAt::SobjectMaterial(id) => self.sobjects.get(id)?.material.as_ref(),
            SealedAt::AppSecret(id) => Some(&self.apps.get(id)?.secret),
            SealedAt::ClusterCaKey => cluster?.ca_key.as_ref(),
            SealedAt::JoinTokenKey(id) => Some(&cluster?.tokens.get(id)?.signing_key),
            SealedAt::PendingTlsKey(service) => {
                let pending = cluster?.tls.pending.as_ref()?;
                Some(match service {
                    TlsService::Main => &pending.main.key,
                    TlsService::Ui => &pending.ui.key,
                })
            }
            SealedAt::InstalledTlsKey(service) => {
                let installed = cluster?.tls.installed.as_ref()?;
                Some(match service {
                    TlsService::Main => &installed.main.key,
                    TlsService::Ui => &installed.ui.key,
                })
            }
        }
        .filter(|sealed| !sealed.0.is_empty())
    }
}
