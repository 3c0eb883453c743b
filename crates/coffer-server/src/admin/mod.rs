//! The admin socket's edge: one JSON request in, one answer out, for the `sdkms-cluster`
//! commands. Each request is parsed in [`socket`], dispatched here, and answered by a module
//! that calls the node's use cases and maps their errors to an [`AdminError`] once.

pub(crate) mod certs;
pub(crate) mod config;
pub(crate) mod create;
pub(crate) mod join;
pub(crate) mod network_check;
pub(crate) mod reset;
pub(crate) mod socket;
pub(crate) mod status;
pub(crate) mod tokens;

use crate::runtime::Daemon;
use coffer_admin::{AdminError, AdminRequest, AdminResponse};
use coffer_node::Node;
use coffer_node::membership;
use std::sync::Arc;

impl Daemon {
    /// Answers one admin request: each command's typed result, serialized here once.
    pub(crate) async fn handle(self: &Arc<Self>, request: AdminRequest) -> AdminResponse {
        let result = match request {
            AdminRequest::Create {
                self_addr,
                config_yaml,
                node_name,
            } => reply(create::create(self, &self_addr, &config_yaml, node_name).await),
            AdminRequest::Join {
                peer,
                token,
                self_addr,
                node_name,
            } => reply(join::join(self, &peer, &token, self_addr.as_deref(), node_name).await),
            AdminRequest::TokenCreate { ttl_secs } => {
                reply(self.with_node(|node| tokens::create(node, ttl_secs)).await)
            }
            AdminRequest::TokenList => reply(self.with_node(tokens::list).await),
            AdminRequest::TokenDelete { id } => {
                reply(self.with_node(|node| tokens::delete(node, id)).await)
            }
            AdminRequest::Remove { node, force } => {
                reply(self.with_node(|n| membership::remove(n, node, force)).await)
            }
            AdminRequest::Reset {
                delete_data,
                reset_iptables,
            } => reply(reset::reset(self, delete_data, reset_iptables).await),
            AdminRequest::Status => reply(status::status(self).await),
            AdminRequest::Label { node, dc } => {
                reply(self.with_node(|n| membership::label(n, node, dc)).await)
            }
            AdminRequest::Repair => reply(self.with_node(membership::repair).await),
            AdminRequest::AuditRetention {
                max_age_days,
                max_records,
            } => reply(
                self.with_node(|n| membership::audit_retention(n, max_age_days, max_records))
                    .await,
            ),
            AdminRequest::CheckOutbound { url } => reply(
                self.with_node(|n| crate::net::outbound::check(n, url))
                    .await,
            ),
            AdminRequest::Metrics => reply(
                self.with_node(|n| async move { Ok(crate::telemetry::render(&n)) })
                    .await,
            ),
            AdminRequest::Signup { open } => {
                reply(self.with_node(|n| membership::set_signup(n, open)).await)
            }
            AdminRequest::RotateMasterKey => {
                reply(self.with_node(membership::rotate_master_key).await)
            }
            AdminRequest::CheckNetwork { peer } => {
                reply(self.with_node(|n| network_check::check(n, peer)).await)
            }
            AdminRequest::GetCsrs {
                main_domain,
                main_sans,
                mtls_sans,
                ui_domain,
                ui_sans,
                cluster_name,
                sysadmin_email,
                sysadmin_password,
                rotate,
            } => {
                let request = certs::CsrRequest {
                    main_domain,
                    main_sans,
                    mtls_sans,
                    ui_domain,
                    ui_sans,
                    cluster_name,
                    sysadmin_email,
                    sysadmin_password,
                    rotate,
                };
                reply(self.with_node(|n| certs::get_csrs(n, request)).await)
            }
            AdminRequest::InstallCerts {
                main_chain_pem,
                ui_chain_pem,
                rotate,
            } => reply(
                self.with_node(|n| certs::install_certs(n, main_chain_pem, ui_chain_pem, rotate))
                    .await,
            ),
            AdminRequest::Deploy {
                config_yaml,
                dry_run,
            } => reply(
                self.with_node(|n| config::deploy(n, config_yaml, dry_run))
                    .await,
            ),
            AdminRequest::ConfigShow => reply(self.with_node(config::show).await),
            AdminRequest::ConfigWatch {
                after,
                timeout_secs,
            } => reply(
                self.with_node(|n| config::watch(n, after, timeout_secs))
                    .await,
            ),
            AdminRequest::SysadminCreate { email, password } => reply(
                self.with_node(|n| membership::create_sysadmin(n, email, password))
                    .await,
            ),
        };
        match result {
            Ok(value) => AdminResponse::Ok(value),
            Err(error) => AdminResponse::Error(error),
        }
    }

    /// Writes the audit record of `command`, run by `uid`, when this node has an audit log (it
    /// is a member, or became one by the command).
    pub(crate) async fn audit_command(&self, command: &str, uid: u32, response: &AdminResponse) {
        let Some(node) = self.node().await else {
            return;
        };
        let refusal = match response {
            AdminResponse::Ok(_) => None,
            AdminResponse::Error(error) => Some(error.message.as_str()),
        };
        node.audit
            .record(coffer_node::audit::AuditRecord::admin_command(
                command, uid, refusal,
            ))
            .await;
    }

    /// Runs `f` with the member's node, or explains that there is no cluster here.
    async fn with_node<F, Fut, T>(&self, f: F) -> Result<T, AdminError>
    where
        F: FnOnce(Arc<Node>) -> Fut,
        Fut: std::future::Future<Output = Result<T, AdminError>>,
    {
        let node = self
            .node()
            .await
            .ok_or_else(|| not_member(self.phase_label()))?;
        f(node).await
    }
}

/// A command's result as the socket's payload.
fn reply<T: serde::Serialize>(
    result: Result<T, AdminError>,
) -> Result<serde_json::Value, AdminError> {
    coffer_admin::answer(&result?)
}

/// The error for commands that need a cluster on a node that has none.
fn not_member(phase: &str) -> AdminError {
    AdminError {
        message: format!("this node is not a cluster member (state: {phase})"),
        hint: Some(
            "create a cluster with `sdkms-cluster create` or join one with `sdkms-cluster join`"
                .into(),
        ),
    }
}
