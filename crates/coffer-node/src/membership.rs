//! Membership operations on a running member: remove, label, repair, availability, sysadmins,
//! and whether anyone may sign up.
//!
//! These are the control plane's use cases; they answer in the admin protocol's terms
//! (`coffer_admin`), because their results and refusals go to the operator unchanged — also
//! when a follower relays a [`LeaderAction`] to the leader and back.

use crate::availability::{self, Mode};
use crate::passwords;
use crate::{Membership, Node, now};
use coffer_admin::{AdminError, Labeled, Removed, RepairReport, SysadminCreated, answer};
use coffer_core::{Command, User, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// `remove --node NAME --force`: takes the node out of the membership (through the leader) and
/// tells it, so that it stops reporting healthy.
pub async fn remove(node: Arc<Node>, name: String, force: bool) -> Result<Removed, AdminError> {
    if !force {
        return Err(AdminError::new(
            format!(
                "removing {name} takes it out of the cluster for good and needs --force to confirm"
            ),
            Some(
                "run `sdkms-cluster remove --node NAME --force`, then `sdkms-cluster reset --delete-data` on that node",
            ),
        ));
    }
    let request = LeaderAction::Remove { name: name.clone() };
    from_leader(on_leader(&node, &request).await?)
}

/// `label --node NAME --dc DC`.
pub async fn label(node: Arc<Node>, name: String, dc: String) -> Result<Labeled, AdminError> {
    if !node
        .cluster
        .members()
        .iter()
        .any(|(_, info, _)| info.name == name)
    {
        return Err(AdminError::new(
            format!("no member is named {name}"),
            Some("see `sdkms-cluster status` for the members"),
        ));
    }
    if dc.trim().is_empty() || dc.len() > 64 {
        return Err(AdminError::new(
            "the data-centre label must be 1 to 64 characters",
            None,
        ));
    }
    node.propose(Command::SetNodeLabel {
        node: name.clone(),
        dc: dc.clone(),
    })
    .await
    .map_err(|e| AdminError::new(format!("could not store the label: {e}"), None))?;
    Ok(Labeled { node: name, dc })
}

/// `audit-retention`: the retention in force, after applying the changes given.
pub async fn audit_retention(
    node: Arc<Node>,
    max_age_days: Option<u32>,
    max_records: Option<u64>,
) -> Result<coffer_admin::AuditRetentionShown, AdminError> {
    let mut retention = crate::audit_retention::retention(&node);
    let current = retention;
    if let Some(days) = max_age_days {
        retention.max_age_days = days;
    }
    if let Some(records) = max_records {
        retention.max_records = records;
    }
    if retention != current {
        node.propose(Command::SetAuditRetention(retention))
            .await
            .map_err(|e| {
                AdminError::new(format!("could not change the audit retention: {e}"), None)
            })?;
        tracing::info!(?retention, "audit retention changed");
    }
    Ok(coffer_admin::AuditRetentionShown {
        max_age_days: retention.max_age_days,
        max_records: retention.max_records,
    })
}

/// `signup enable|disable`: whether anyone may register a user (`POST /sys/v1/users`).
pub async fn set_signup(node: Arc<Node>, open: bool) -> Result<serde_json::Value, AdminError> {
    node.propose(Command::SetSignup { open })
        .await
        .map_err(|e| AdminError::new(format!("could not change the signup setting: {e}"), None))?;
    tracing::info!(open, "self-registration setting changed");
    answer(&serde_json::json!({ "signup_open": open }))
}

/// `repair`: compares every replica's state digest with the leader's and re-syncs diverged ones.
pub async fn repair(node: Arc<Node>) -> Result<RepairReport, AdminError> {
    from_leader(on_leader(&node, &LeaderAction::Repair).await?)
}

/// The leader's answer to an action, as the action's result type.
fn from_leader<T: serde::de::DeserializeOwned>(answer: serde_json::Value) -> Result<T, AdminError> {
    serde_json::from_value(answer)
        .map_err(|e| AdminError::new(format!("bad answer from the leader: {e}"), None))
}

/// `sysadmin create --email --password`.
pub async fn create_sysadmin(
    node: Arc<Node>,
    email: String,
    password: String,
) -> Result<SysadminCreated, AdminError> {
    let id = add_sysadmin(&node, &email, &password).await?;
    Ok(SysadminCreated {
        user_id: id.to_string(),
        email,
    })
}

/// Adds a sysadmin: the one way the control plane creates one (`sysadmin create`, and the
/// first sysadmin of `get_csrs`).
pub async fn add_sysadmin(node: &Node, email: &str, password: &str) -> Result<UserId, AdminError> {
    if !email.contains('@') || email.len() > 254 {
        return Err(AdminError::new(
            format!("{email:?} is not an email address"),
            None,
        ));
    }
    if let Some(rule) = passwords::policy_violation(password) {
        return Err(AdminError::new(
            format!("the sysadmin password is too weak: {rule}"),
            None,
        ));
    }
    let user = User {
        id: UserId::new(uuid::Uuid::new_v4()),
        email: email.to_owned(),
        password_hash: passwords::hash(password)
            .map_err(|e| AdminError::new(format!("{e:#}"), None))?,
        sysadmin: true,
        first_name: None,
        last_name: None,
        description: None,
        created_at: now(),
        memberships: BTreeMap::new(),
        credential_generation: 0,
    };
    let id = user.id;
    node.propose(Command::CreateUser(user))
        .await
        .map_err(|e| AdminError::new(format!("could not create the sysadmin: {e}"), None))?;
    Ok(id)
}

/// Work only the leader can do, sent to it over the cluster port.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LeaderAction {
    /// Remove a member.
    Remove {
        /// Its name.
        name: String,
    },
    /// Compare and repair replicas.
    Repair,
    /// The leader's view of the cluster (replication progress is only known there).
    Status,
    /// `rotate --cmk`.
    RotateMasterKey,
}

impl LeaderAction {
    /// How long the leader may take.
    fn answer_within(&self) -> Duration {
        match self {
            // Re-sealing every secret of a large cluster takes a while.
            Self::RotateMasterKey => Duration::from_secs(3600),
            Self::Remove { .. } | Self::Repair | Self::Status => Duration::from_secs(30),
        }
    }
}

/// `rotate --cmk` (run on the leader, wherever the command was typed).
pub async fn rotate_master_key(
    node: Arc<Node>,
) -> Result<coffer_admin::MasterKeyRotated, AdminError> {
    from_leader(on_leader(&node, &LeaderAction::RotateMasterKey).await?)
}

/// Runs `action` on the leader: here when this node leads, else over the cluster port.
pub async fn on_leader(
    node: &Node,
    action: &LeaderAction,
) -> Result<serde_json::Value, AdminError> {
    if node.cluster.is_leader() {
        return run_on_leader(node, action.clone()).await;
    }
    let (_, leader) = node.cluster.leader().ok_or_else(|| {
        AdminError::new(
            "no leader is known right now",
            Some("check `sdkms-cluster status`; the cluster may have lost its quorum"),
        )
    })?;
    let membership = node
        .membership
        .as_ref()
        .ok_or_else(|| AdminError::new("not a cluster member", None))?;
    let answer = membership
        .peers
        .post(
            &leader.cluster_addr,
            "/node/leader-action",
            serde_json::to_vec(action)
                .map_err(|e| AdminError::new(format!("internal error: {e}"), None))?,
            action.answer_within(),
        )
        .await
        .map_err(|e| {
            AdminError::new(
                format!("could not reach the leader {}: {e}", leader.name),
                None,
            )
        })?;
    let answer: Result<serde_json::Value, coffer_admin::AdminError> =
        serde_json::from_slice(&answer.body)
            .map_err(|e| AdminError::new(format!("bad answer from the leader: {e}"), None))?;
    answer
}

/// The leader's side of [`on_leader`].
pub async fn run_on_leader(
    node: &Node,
    action: LeaderAction,
) -> Result<serde_json::Value, AdminError> {
    match action {
        LeaderAction::Remove { name } => {
            let members = node.cluster.members();
            let (id, info, _) = members
                .iter()
                .find(|(_, info, _)| info.name == name)
                .ok_or_else(|| {
                    AdminError::new(
                        format!("no member is named {name}"),
                        Some("see `sdkms-cluster status` for the members"),
                    )
                })?;
            node.cluster
                .remove_node(*id)
                .await
                .map_err(|e| AdminError::new(format!("could not remove {name}: {e}"), None))?;
            // Tell the removed node, so it stops reporting healthy at once (best effort: it may
            // be down; then it learns when it restarts and finds itself outside the membership).
            if *id == node.cluster.node_id() {
                mark_removed(node);
            } else if let Some(membership) = &node.membership {
                let _ = membership
                    .peers
                    .post(
                        &info.cluster_addr,
                        "/node/removed",
                        Vec::new(),
                        Duration::from_secs(30),
                    )
                    .await;
            }
            tracing::info!(node = name, "node removed from the cluster");
            answer(&Removed { removed: name })
        }
        LeaderAction::Repair => {
            let report = repair_here(node).await;
            let failure = (!report.failed.is_empty())
                .then(|| format!("replicas could not be checked: {:?}", report.failed));
            record_repair(node, failure);
            answer(&report)
        }
        LeaderAction::Status => answer(&crate::cluster_status::member_status(node).await),
        LeaderAction::RotateMasterKey => answer(&crate::master_keys::rotate_on_leader(node).await?),
    }
}

/// Compares every replica's state digest with this (the leader's) and re-syncs diverged ones.
async fn repair_here(node: &Node) -> RepairReport {
    let (index, digest) = node.cluster.state_digest();
    let mut report = RepairReport {
        index,
        consistent: Vec::new(),
        repaired: Vec::new(),
        failed: Vec::new(),
    };
    for (id, info, _) in node.cluster.members() {
        if id == node.cluster.node_id() {
            report.consistent.push(info.name.clone());
            continue;
        }
        match node.cluster.peer_digest(id).await {
            Ok((peer_index, peer_digest)) if peer_index == index && peer_digest == digest => report.consistent.push(info.name),
            Ok((peer_index, _)) if peer_index != index => report.failed.push((
                info.name,
                format!("at index {peer_index} while the leader is at {index}; run repair again once it caught up"),
            )),
            Ok(_) => match node.cluster.resync(id).await {
                Ok(()) => report.repaired.push(info.name),
                Err(e) => report.failed.push((info.name, format!("diverged, and re-sync failed: {e}"))),
            },
            Err(e) => report.failed.push((info.name, e.to_string())),
        }
    }
    report
}

/// Decides this member's availability from its lease and what it can reach of its data centre.
pub async fn evaluate_availability(node: &Node, membership: &Membership) -> Mode {
    if membership.availability.mode() == Mode::Removed {
        return Mode::Removed;
    }
    if node.cluster.lease_valid() {
        return Mode::Member;
    }
    let me = &membership.identity.name;
    let labels = node
        .cluster
        .state()
        .read()
        .cluster()
        .map(|c| c.dc_labels.clone())
        .unwrap_or_default();
    let Some(my_dc) = labels.get(me).cloned() else {
        return availability::decide(false, false, None, 0, 0);
    };
    let peers: Vec<_> = node
        .cluster
        .members()
        .into_iter()
        .filter(|(_, info, _)| labels.get(&info.name) == Some(&my_dc))
        .collect();
    let mut reachable = 0;
    for (_, info, _) in &peers {
        if &info.name == me || node.cluster.peer_ping(&info.cluster_addr).await.is_ok() {
            reachable += 1;
        }
    }
    availability::decide(false, false, Some(&my_dc), peers.len(), reachable)
}

/// The node-local key that records this node's removal, so that a restart remembers it.
pub const REMOVED_MARK: &str = "removed_from_cluster";

/// Records that this node was removed: it stops serving, now and after a restart.
pub fn mark_removed(node: &Node) {
    if let Some(membership) = &node.membership {
        tracing::warn!("this node was removed from the cluster");
        membership.availability.set(Mode::Removed);
        if let Err(error) = node.cluster.store().node_local().put(REMOVED_MARK, b"1") {
            tracing::warn!(%error, "could not record the removal; a restart would forget it");
        }
    }
}

/// How often the leader compares the replicas (R-CLU-8's periodic job; `repair` runs it now).
pub const REPAIR_INTERVAL: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// On the leader, compares and repairs the replicas every [`REPAIR_INTERVAL`]. A failed run is
/// logged as an error and shown by `status` until a later run (or `sdkms-cluster repair`)
/// succeeds.
pub async fn repair_loop(node: Arc<Node>, mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            () = tokio::time::sleep(REPAIR_INTERVAL) => {}
        }
        if !node.cluster.is_leader() {
            continue;
        }
        let report = repair_here(&node).await;
        let outcome = if report.failed.is_empty() {
            tracing::info!(repaired = ?report.repaired, "periodic replica check passed");
            None
        } else {
            Some(format!(
                "replicas could not be checked: {:?}",
                report.failed
            ))
        };
        if let Some(reason) = &outcome {
            tracing::error!(
                reason,
                "periodic replica check failed; fix the cause and run `sdkms-cluster repair`"
            );
        }
        record_repair(&node, outcome);
    }
}

/// Remembers the last repair outcome for `status`.
pub fn record_repair(node: &Node, failure: Option<String>) {
    if let Some(membership) = &node.membership
        && let Ok(mut last) = membership.repair_failure.lock()
    {
        *last = failure;
    }
}
