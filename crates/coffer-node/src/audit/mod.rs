//! The audit log: who did what to which object, with what result.
//!
//! Every auditable request hands an [`AuditRecord`] to the [`AuditSink`] before its response
//! leaves (the hand-over waits when the queue is full, so audit never silently drops). One writer
//! task drains the queue and commits records to the node-local audit table in batches of up to
//! [`MAX_BATCH`], one durable redb transaction per batch.
//!
//! Records of callers that did not authenticate go through
//! [`AuditSink::record_unauthenticated`], which writes a sample of them and a summary of the
//! rest per minute ([`sampling`]): anyone can send such requests, and must not be able to grow
//! the table without bound.
//!
//! What a crash can lose: records already handed over but not yet committed — at most the queue
//! ([`QUEUE_CAPACITY`] records) plus the batch being written. Their responses may have reached
//! clients. Nothing committed is ever lost or half-written (redb commits are atomic).

pub mod query;
pub mod sampling;

use crate::caller::Principal;
use coffer_api::{AuditActionType, AuditActorType, AuditLogEntry, AuditSeverity, ResponseTime};
use coffer_store::AuditLog;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

/// Records waiting for the writer at most.
pub const QUEUE_CAPACITY: usize = 65_536;
/// Records committed in one transaction at most.
pub const MAX_BATCH: usize = 4_096;

/// The kind of action, as DSM names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionType {
    /// Changes to accounts, groups, apps, users, keys.
    Administrative,
    /// Logins, logouts, failed authentication.
    Auth,
    /// Encrypt, sign, export and the like.
    CryptoOperation,
}

/// How much an operator should care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// Normal.
    Info,
    /// Refused or suspicious.
    Warning,
}

/// What a handler tells the audit log about a successful request.
#[derive(Clone, Debug)]
pub struct AuditNote {
    /// The kind of action.
    pub action: ActionType,
    /// A sentence an auditor can read; ids only, never secrets.
    pub message: String,
    /// The object acted on.
    pub object: Option<Uuid>,
    /// The groups the object belongs to.
    pub groups: Vec<Uuid>,
    /// The account the entry belongs to, when it is not the caller's (creating an account).
    pub account: Option<coffer_core::AccountId>,
}

impl AuditNote {
    /// A note about `object`.
    pub fn new(action: ActionType, message: impl Into<String>, object: Option<Uuid>) -> Self {
        Self {
            action,
            message: message.into(),
            object,
            groups: Vec::new(),
            account: None,
        }
    }

    /// The same note, filed under `account` rather than the caller's account.
    pub fn in_account(mut self, account: coffer_core::AccountId) -> Self {
        self.account = Some(account);
        self
    }

    /// The same note, naming the object's group.
    pub fn in_group(mut self, group: Uuid) -> Self {
        self.groups.push(group);
        self
    }
}

/// One audit log entry as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When the request arrived, nanoseconds since the epoch.
    pub time_nanos: u64,
    /// The account it concerned.
    pub account: Option<coffer_core::AccountId>,
    /// The kind of action.
    pub action: ActionType,
    /// Who acted; `None` when authentication failed.
    #[serde(with = "principal_serde")]
    pub actor: Option<Principal>,
    /// The object acted on.
    pub object: Option<Uuid>,
    /// The object's groups.
    pub groups: Vec<Uuid>,
    /// What happened.
    pub message: String,
    /// How much it matters.
    pub severity: Severity,
    /// The HTTP status answered.
    pub status: u16,
    /// The client's address.
    pub client_ip: Option<IpAddr>,
    /// How long the request took.
    pub response_time_nanos: u64,
}

impl AuditRecord {
    /// The DSM wire form, with its log id.
    pub fn to_wire(&self) -> AuditLogEntry {
        // Entries without a known actor or account (a login with an unknown name) carry the nil
        // id: the wire format requires both fields.
        let (actor_type, actor_id) = match self.actor {
            Some(Principal::App(app)) => (AuditActorType::App, app.uuid()),
            Some(Principal::User(user)) => (AuditActorType::User, user.uuid()),
            None => (AuditActorType::User, Uuid::nil()),
        };
        AuditLogEntry {
            acct_id: self.account.map_or(Uuid::nil(), |a| a.uuid()),
            action_type: match self.action {
                ActionType::Administrative => AuditActionType::Administrative,
                ActionType::Auth => AuditActionType::Auth,
                ActionType::CryptoOperation => AuditActionType::CryptoOperation,
            },
            actor_type,
            actor_id,
            object_id: self.object,
            group_ids: self.groups.clone(),
            message: self.message.clone(),
            severity: match self.severity {
                Severity::Info => AuditSeverity::Info,
                Severity::Warning => AuditSeverity::Warning,
            },
            time: coffer_api::format_rfc3339(
                self.time_nanos / 1_000_000_000,
                (self.time_nanos % 1_000_000_000) as u32,
            ),
            client_ip: self.client_ip.map(|ip| ip.to_string()),
            response_time: Some(ResponseTime {
                secs: self.response_time_nanos / 1_000_000_000,
                nanos: (self.response_time_nanos % 1_000_000_000) as u32,
            }),
        }
    }
}

mod principal_serde {
    use super::Principal;
    use coffer_core::{AppId, UserId};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use uuid::Uuid;

    #[derive(Serialize, Deserialize)]
    enum Stored {
        App(Uuid),
        User(Uuid),
    }

    pub(super) fn serialize<S: Serializer>(
        actor: &Option<Principal>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        actor
            .map(|p| match p {
                Principal::App(id) => Stored::App(id.uuid()),
                Principal::User(id) => Stored::User(id.uuid()),
            })
            .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Principal>, D::Error> {
        Ok(Option::<Stored>::deserialize(d)?.map(|s| match s {
            Stored::App(id) => Principal::App(AppId::new(id)),
            Stored::User(id) => Principal::User(UserId::new(id)),
        }))
    }
}

impl AuditRecord {
    /// The record of an `sdkms-cluster` command run on this node's admin socket by the local
    /// user `uid`: its name and outcome, never its arguments (they may hold passwords). Filed
    /// under no account, where sysadmins read it.
    pub fn admin_command(command: &str, uid: u32, refusal: Option<&str>) -> Self {
        let (message, severity, status) = match refusal {
            None => (
                format!("`sdkms-cluster {command}` run by uid {uid} on the admin socket"),
                Severity::Info,
                200,
            ),
            Some(reason) => (
                format!(
                    "`sdkms-cluster {command}` by uid {uid} on the admin socket failed: {reason}"
                ),
                Severity::Warning,
                400,
            ),
        };
        Self::system(message, severity, status)
    }

    /// The record of something the node did on its own or for its operator, outside any
    /// account and without an API caller.
    pub fn system(message: String, severity: Severity, status: u16) -> Self {
        Self {
            time_nanos: crate::now_nanos(),
            account: None,
            action: ActionType::Administrative,
            actor: None,
            object: None,
            groups: Vec::new(),
            message,
            severity,
            status,
            client_ip: None,
            response_time_nanos: 0,
        }
    }
}

/// The hand-over point to the writer task.
#[derive(Clone)]
pub struct AuditSink {
    queue: mpsc::Sender<AuditRecord>,
    /// Records handed over so far.
    handed: Arc<AtomicU64>,
    /// Records the writer has finished with (committed, or failed and logged) so far.
    done: watch::Receiver<u64>,
    /// Which records of unauthenticated callers are written.
    sampler: Arc<std::sync::Mutex<sampling::Sampler>>,
}

impl AuditSink {
    /// Starts the writer task over the node's audit table.
    pub fn start(log: AuditLog) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let (done_tx, done) = watch::channel(0);
        tokio::spawn(write_loop(log, receiver, done_tx));
        let sink = Self {
            queue,
            handed: Arc::new(AtomicU64::new(0)),
            done,
            sampler: Arc::new(std::sync::Mutex::new(sampling::Sampler::new(
                std::time::Instant::now(),
            ))),
        };
        tokio::spawn(summarize_loop(
            sink.queue.downgrade(),
            Arc::clone(&sink.handed),
            sink.done.clone(),
            Arc::clone(&sink.sampler),
        ));
        sink
    }

    /// Hands over the record of a request whose caller did not authenticate (no or refused
    /// credentials), if the sample takes it; the others are counted into a summary record.
    pub async fn record_unauthenticated(&self, record: AuditRecord) {
        let (write, summary) = self
            .lock_sampler()
            .admit(std::time::Instant::now(), record.client_ip);
        if let Some(summary) = summary {
            self.record(summary_record(&summary)).await;
        }
        if write {
            self.record(record).await;
        }
    }

    fn lock_sampler(&self) -> std::sync::MutexGuard<'_, sampling::Sampler> {
        self.sampler
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hands a record to the writer; waits while the queue is full.
    pub async fn record(&self, record: AuditRecord) {
        // Counted before the send so that a concurrent `flushed` never waits for less than
        // what has been handed over.
        self.handed.fetch_add(1, Ordering::SeqCst);
        if self.queue.send(record).await.is_err() {
            tracing::error!("audit writer stopped; an audit record was not stored");
        }
    }

    /// Records handed over and not yet written (or failed).
    pub fn queue_depth(&self) -> u64 {
        self.handed
            .load(Ordering::SeqCst)
            .saturating_sub(*self.done.borrow())
    }

    /// Waits (up to `limit`) until every record handed over before this call was written, so a
    /// reader of the audit log sees the actions that already got their responses.
    pub async fn flushed(&self, limit: Duration) {
        let target = self.handed.load(Ordering::SeqCst);
        let mut done = self.done.clone();
        let _ = tokio::time::timeout(limit, done.wait_for(|&n| n >= target)).await;
    }
}

/// Closes sampling windows on time, so a flood that stops still gets its summary. Holds the
/// queue only weakly: it ends with the last sink, and never keeps the writer (and the store)
/// alive.
async fn summarize_loop(
    queue: mpsc::WeakSender<AuditRecord>,
    handed: Arc<AtomicU64>,
    done: watch::Receiver<u64>,
    sampler: Arc<std::sync::Mutex<sampling::Sampler>>,
) {
    let mut tick = tokio::time::interval(sampling::WINDOW / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(queue) = queue.upgrade() else { return };
        let sink = AuditSink {
            queue,
            handed: Arc::clone(&handed),
            done: done.clone(),
            sampler: Arc::clone(&sampler),
        };
        let summary = sink.lock_sampler().close_if_due(std::time::Instant::now());
        if let Some(summary) = summary {
            sink.record(summary_record(&summary)).await;
        }
    }
}

/// The record that stands for the unauthenticated requests a window left out.
fn summary_record(summary: &sampling::Suppressed) -> AuditRecord {
    let top = summary.top_source.map_or_else(String::new, |(ip, count)| {
        format!(", {count} of them from {ip}")
    });
    AuditRecord {
        time_nanos: crate::now_nanos(),
        account: None,
        action: ActionType::Auth,
        actor: None,
        object: None,
        groups: Vec::new(),
        message: format!(
            "{} more requests without valid credentials in the last {} s were not recorded one by one{top}",
            summary.count,
            summary.window.as_secs()
        ),
        severity: Severity::Warning,
        status: 401,
        client_ip: summary.top_source.map(|(ip, _)| ip),
        response_time_nanos: 0,
    }
}

async fn write_loop(
    log: AuditLog,
    mut receiver: mpsc::Receiver<AuditRecord>,
    done: watch::Sender<u64>,
) {
    let mut last_id = log.last_id().ok().flatten().unwrap_or(0);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let count = batch.len() as u64;
        let rows: Vec<(u64, Vec<u8>)> = batch
            .drain(..)
            .filter_map(|record| {
                // Ids are the arrival time in nanoseconds, made strictly increasing.
                last_id = record.time_nanos.max(last_id + 1);
                serde_json::to_vec(&record)
                    .ok()
                    .map(|bytes| (last_id, bytes))
            })
            .collect();
        let log = log.clone();
        let written = tokio::task::spawn_blocking(move || log.append(&rows)).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "audit batch could not be written"),
            Err(error) => tracing::error!(%error, "audit writer task failed"),
        }
        done.send_modify(|n| *n += count);
    }
}
