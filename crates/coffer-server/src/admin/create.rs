//! `sdkms-cluster create`: make this node a one-node cluster.

use crate::runtime::{Daemon, PENDING_STORE_FILE, Phase, STORE_FILE};
use coffer_admin::{AdminError, Created};
use coffer_core::{ClusterInfo, Command, Sealed};
use coffer_node::identity::{NodeIdentity, check_node_name, host_name, parse_addr};
use coffer_node::now;
use coffer_node::vault::{self, NodePurpose, Purpose, Vault};
use coffer_store::Store;
use std::sync::Arc;

/// Creates the cluster.
pub(crate) async fn create(
    daemon: &Arc<Daemon>,
    self_addr: &str,
    config_yaml: &str,
    node_name: Option<String>,
) -> Result<Created, AdminError> {
    let mut phase = daemon.phase.lock().await;
    if matches!(*phase, Phase::Member(_)) {
        return Err(AdminError::new(
            "this node already belongs to a cluster",
            Some("to start over, run `sdkms-cluster reset --delete-data` first"),
        ));
    }
    let (ip, prefix) =
        parse_addr(self_addr).map_err(|e| AdminError::new(format!("--self: {e}"), None))?;
    let name = node_name.unwrap_or_else(host_name);
    check_node_name(&name).map_err(|e| AdminError::new(e, None))?;
    check_config(config_yaml)?;

    if daemon.config.dir.join(STORE_FILE).exists() {
        return Err(AdminError::new(
            "this node holds the data of a cluster member",
            Some("run `sdkms-cluster reset --delete-data` to discard it first"),
        ));
    }
    let path = daemon.config.dir.join(PENDING_STORE_FILE);
    let _ = std::fs::remove_file(&path);
    let failed = |what: &str, e: anyhow::Error| AdminError::new(format!("{what}: {e:#}"), None);
    let store = Store::open(&path).map_err(|e| failed("opening the store", e.into()))?;
    let node_seal = daemon
        .sealing()
        .map_err(|e| AdminError::new(format!("{e:#}"), None))?;
    // Kept in the data directory, where the node's start below reads it.
    Vault::generate()
        .and_then(|vault| vault::keep_master_keys(node_seal.clone(), &daemon.config.dir, vault))
        .map_err(|e| failed("making and sealing the cluster master key", e))?;
    let ca = coffer_crypto::tls::bootstrap_ca("Coffer cluster CA")
        .map_err(|e| failed("making the cluster CA", e.into()))?;
    let csr =
        coffer_crypto::node_csr(&name, ip).map_err(|e| failed("making the node key", e.into()))?;
    let chain = coffer_crypto::sign_node_csr(&ca, &csr.csr_pem, &name, ip)
        .map_err(|e| failed("signing the node certificate", e.into()))?;
    let sealed_key = node_seal
        .seal(NodePurpose::NodeKey(&name), csr.key_pem.expose())
        .map_err(|e| failed("sealing the node key", e))?;
    let identity = NodeIdentity {
        node_id: 1,
        name: name.clone(),
        ip,
        prefix,
        api_port: daemon.config.api_port,
        cluster_port: daemon.config.cluster_port,
        cert_chain_pem: chain,
        ca_cert_pem: ca.cert_pem.clone(),
        sealed_key: Sealed(sealed_key),
    };

    let running = daemon
        .start_member(store, identity.clone(), true)
        .await
        .map_err(|e| failed("starting the node", e))?;
    let node = running.node.clone();
    let init = async {
        let ca_key = node
            .seal(Purpose::ClusterCaKey, ca.key_pem.expose())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let info = ClusterInfo {
            cluster_id: uuid::Uuid::new_v4(),
            ca_cert_pem: ca.cert_pem.clone(),
            ca_key: Some(ca_key),
            config_yaml: config_yaml.to_owned(),
            created_at: now(),
            ..Default::default()
        };
        node.propose(Command::InitCluster(info))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // The identity is saved last and the store renamed into place after it: a node that
        // crashed before this point is not a member and `create` can simply be run again.
        identity.save(node.cluster.store())?;
        crate::runtime::promote_pending_store(&daemon.config.dir)
    };
    if let Err(error) = init.await {
        crate::runtime::stop_running(running).await;
        return Err(failed("initializing the cluster", error));
    }
    daemon.set_phase(&mut phase, Phase::Member(running));
    tracing::info!(node = name, "cluster created");
    Ok(Created {
        node: name,
        api_url: format!("https://{}", identity.api_addr()),
        cluster_addr: identity.cluster_addr().to_string(),
    })
}

/// `config.yaml` must be valid as a whole before the cluster is created.
fn check_config(yaml: &str) -> Result<(), AdminError> {
    let validated = coffer_node::config::validate(yaml)?;
    for warning in &validated.warnings {
        tracing::warn!(%warning, "config.yaml");
    }
    Ok(())
}
