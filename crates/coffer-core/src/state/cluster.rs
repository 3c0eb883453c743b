//! Commands on the cluster record: its creation, `config.yaml`, join tokens, certificates and
//! data-centre labels.

use super::{RecordKey, State};
use crate::error::ApplyError;
use crate::records::{
    ClusterInfo, InstalledCertificates, JoinToken, PendingCertificates, UnixTime,
};

impl State {
    pub(super) fn init_cluster(
        &mut self,
        info: &ClusterInfo,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        if self.cluster.is_some() {
            return Err(ApplyError::ClusterAlreadyInitialized);
        }

        self.cluster = Some(info.clone());
        changed.push(Self::cluster_key());
        Ok(())
    }

    pub(super) fn set_config(
        &mut self,
        config_yaml: &str,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        config_yaml.clone_into(&mut self.cluster_mut()?.config_yaml);
        changed.push(Self::cluster_key());
        Ok(())
    }

    pub(super) fn create_join_token(
        &mut self,
        token: &JoinToken,
        at: &UnixTime,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.check_sealed(&token.signing_key)?;
        let cluster = self.cluster_mut()?;
        cluster.tokens.retain(|_, t| t.expires_at > *at);
        cluster.tokens.insert(token.id.clone(), token.clone());
        changed.push(Self::cluster_key());
        Ok(())
    }

    pub(super) fn delete_join_token(
        &mut self,
        id: &str,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        if self.cluster_mut()?.tokens.remove(id).is_some() {
            changed.push(Self::cluster_key());
        }
        Ok(())
    }

    pub(super) fn set_pending_certificates(
        &mut self,
        pending: &PendingCertificates,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.check_sealed(&pending.main.key)?;
        self.check_sealed(&pending.ui.key)?;
        self.cluster_mut()?.tls.pending = Some(pending.clone());
        changed.push(Self::cluster_key());
        Ok(())
    }

    pub(super) fn install_certificates(
        &mut self,
        installed: &InstalledCertificates,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.check_sealed(&installed.main.key)?;
        self.check_sealed(&installed.ui.key)?;
        let cluster = self.cluster_mut()?;
        if cluster.tls.pending.is_none() {
            return Err(ApplyError::NoPendingCertificates);
        }
        cluster.tls.pending = None;
        cluster.tls.installed = Some(installed.clone());
        changed.push(Self::cluster_key());
        Ok(())
    }

    pub(super) fn set_node_label(
        &mut self,
        node: &str,
        dc: &str,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let cluster = self.cluster_mut()?;
        if dc.is_empty() {
            cluster.dc_labels.remove(node);
        } else {
            cluster.dc_labels.insert(node.to_owned(), dc.to_owned());
        }
        changed.push(Self::cluster_key());
        Ok(())
    }
}
