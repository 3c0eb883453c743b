//! The replicated state and its deterministic transition function.

use crate::command::Command;
use crate::error::{ApplyError, Named};
use crate::ids::{AccountId, AppId, GroupId, KeyId, SessionId, UserId};
use crate::records::{Account, App, AuditRetention, ClusterInfo, Group, Sobject, UnixTime, User};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The tables of the replicated state. The discriminants are stored on disk: never reuse one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Table {
    /// [`Account`] records.
    Accounts = 1,
    /// [`Group`] records.
    Groups = 2,
    /// [`App`] records.
    Apps = 3,
    /// [`User`] records.
    Users = 4,
    /// [`Sobject`] records.
    Sobjects = 5,
    /// Revoked sessions, until their natural expiry.
    RevokedSessions = 6,
    /// The account each user session works in.
    SessionAccounts = 7,
    /// The one [`ClusterInfo`] record (id nil).
    Cluster = 8,
    /// When each live session was last seen in use, on any node.
    SessionsSeen = 9,
}

impl Table {
    /// The table for a stored discriminant.
    pub fn from_u8(n: u8) -> Option<Self> {
        Some(match n {
            1 => Self::Accounts,
            2 => Self::Groups,
            3 => Self::Apps,
            4 => Self::Users,
            5 => Self::Sobjects,
            6 => Self::RevokedSessions,
            7 => Self::SessionAccounts,
            8 => Self::Cluster,
            9 => Self::SessionsSeen,
            _ => return None,
        })
    }
}

/// Names one record of the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordKey {
    /// The table.
    pub table: Table,
    /// The record's id.
    pub id: Uuid,
}

impl RecordKey {
    /// A key from a table and an id.
    pub fn new(table: Table, id: Uuid) -> Self {
        Self { table, id }
    }

    /// 17 bytes: the table, then the id. Sorts by table, then id.
    pub fn to_bytes(self) -> [u8; 17] {
        let mut out = [0u8; 17];
        out[0] = self.table as u8;
        out[1..].copy_from_slice(self.id.as_bytes());
        out
    }

    /// The inverse of [`RecordKey::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (&table, id) = bytes.split_first()?;
        Some(Self {
            table: Table::from_u8(table)?,
            id: Uuid::from_slice(id).ok()?,
        })
    }
}

/// The result of applying one command.
#[derive(Debug, PartialEq, Eq)]
pub struct Applied {
    /// Accepted, or why not (then nothing changed).
    pub outcome: Result<(), ApplyError>,
    /// Records written or deleted; empty when refused.
    pub changed: Vec<RecordKey>,
}

/// A session's selected account, until the session can no longer be alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SessionAccount {
    account: AccountId,
    until: UnixTime,
}

/// When a session was last seen in use, and when the record may be dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SessionSeen {
    at: UnixTime,
    until: UnixTime,
}

/// Everything the cluster agrees on. Indexes are derived and rebuilt on load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    accounts: BTreeMap<AccountId, Account>,
    groups: BTreeMap<GroupId, Group>,
    apps: BTreeMap<AppId, App>,
    users: BTreeMap<UserId, User>,
    sobjects: BTreeMap<KeyId, Sobject>,
    revoked_sessions: BTreeMap<SessionId, UnixTime>,
    session_accounts: BTreeMap<SessionId, SessionAccount>,
    sessions_seen: BTreeMap<SessionId, SessionSeen>,
    cluster: Option<ClusterInfo>,
    /// (account, name) → key; names of keys are unique per account.
    key_names: BTreeMap<(AccountId, String), KeyId>,
    /// lower-cased email → user.
    user_emails: BTreeMap<String, UserId>,
}

impl State {
    /// Applies one command. Refusals leave the state untouched and report no changes.
    pub fn apply(&mut self, command: &Command) -> Applied {
        let mut changed = Vec::new();
        let outcome = self.apply_inner(command, &mut changed);
        if outcome.is_err() {
            debug_assert!(
                changed.is_empty(),
                "a refused command must not change anything"
            );
            changed.clear();
        }
        Applied { outcome, changed }
    }

    /// Each command is applied by its table's module (`state/accounts.rs`, `state/sobjects.rs`, …).
    fn apply_inner(
        &mut self,
        command: &Command,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        match command {
            Command::InitCluster(info) => self.init_cluster(info, changed)?,
            Command::SetConfig { config_yaml } => self.set_config(config_yaml, changed)?,
            Command::CreateJoinToken { token, at } => self.create_join_token(token, at, changed)?,
            Command::DeleteJoinToken { id } => self.delete_join_token(id, changed)?,
            Command::SetPendingCertificates(pending) => {
                self.set_pending_certificates(pending, changed)?
            }
            Command::InstallCertificates(installed) => {
                self.install_certificates(installed, changed)?
            }
            Command::SetNodeLabel { node, dc } => self.set_node_label(node, dc, changed)?,
            Command::SetAuditRetention(retention) => {
                if !AuditRetention::AGE_DAYS.contains(&retention.max_age_days)
                    || !AuditRetention::RECORDS.contains(&retention.max_records)
                {
                    return Err(ApplyError::OutOfRange(format!(
                        "audit retention: {} to {} days and {} to {} records",
                        AuditRetention::AGE_DAYS.start(),
                        AuditRetention::AGE_DAYS.end(),
                        AuditRetention::RECORDS.start(),
                        AuditRetention::RECORDS.end()
                    )));
                }
                self.cluster_mut()?.audit_retention = *retention;
                changed.push(Self::cluster_key());
            }
            Command::SetSignup { open } => {
                self.cluster_mut()?.signup_open = *open;
                changed.push(Self::cluster_key());
            }
            Command::CreateAccount(account) => self.create_account(account, changed)?,
            Command::CreateAccountWithAdministrator {
                account,
                administrator,
            } => self.create_account_with_administrator(account, administrator, changed)?,
            Command::UpdateAccount(account) => self.update_account(account, changed)?,
            Command::DeleteAccount(id) => self.delete_account(*id, changed)?,
            Command::CreateGroup(group) => self.create_group(group, changed)?,
            Command::UpdateGroup(group) => self.update_group(group, changed)?,
            Command::DeleteGroup(id) => self.delete_group(*id, changed)?,
            Command::CreateApp(app) => self.create_app(app, changed)?,
            Command::UpdateApp {
                app,
                new_credentials,
            } => self.update_app(app, *new_credentials, changed)?,
            Command::DeleteApp(id) => self.delete_app(id, changed)?,
            Command::CreateUser(user) => self.create_user(user, changed)?,
            Command::UpdateUser(user) => self.update_user(user, changed)?,
            Command::DeleteUser(id) => self.delete_user(id, changed)?,
            Command::CreateSobject(key) => self.create_sobject(key, changed)?,
            Command::UpdateSobject(key) => self.update_sobject(key, changed)?,
            Command::RekeySobject { old, new } => self.rekey_sobject(old, new, changed)?,
            Command::DeleteSobject(id) => self.delete_sobject(id, changed)?,
            Command::DropPrivateKey(id) => self.drop_private_key(id, changed)?,
            Command::RevokeSession { session, until, at } => {
                self.revoke_session(session, until, at, changed)?
            }
            Command::SwitchMasterKey { to } => self.switch_master_key(*to, changed)?,
            Command::Rewrap(items) => self.rewrap(items, changed)?,
            Command::RetireMasterKey { version } => self.retire_master_key(*version, changed)?,
            Command::SelectAccount {
                session,
                account,
                until,
                at,
            } => self.select_account(session, account, until, at, changed)?,
            Command::SessionsSeen { seen, at } => self.sessions_seen(seen, *at, changed),
        }
        changed.sort_unstable();
        changed.dedup();
        Ok(())
    }

    // ---- reads ----

    /// The cluster's shared record, once created.
    pub fn cluster(&self) -> Option<&ClusterInfo> {
        self.cluster.as_ref()
    }

    /// An account by id.
    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(&id)
    }

    /// Every account.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// A group by id.
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.get(&id)
    }

    /// The groups of an account, by id.
    pub fn groups_of(&self, account: AccountId) -> impl Iterator<Item = &Group> {
        self.groups.values().filter(move |g| g.account == account)
    }

    /// An app by id.
    pub fn app(&self, id: AppId) -> Option<&App> {
        self.apps.get(&id)
    }

    /// The apps of an account, by id.
    pub fn apps_of(&self, account: AccountId) -> impl Iterator<Item = &App> {
        self.apps.values().filter(move |a| a.account == account)
    }

    /// A user by id.
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(&id)
    }

    /// A user by email, case-insensitively.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.user_emails
            .get(&email.to_lowercase())
            .and_then(|id| self.users.get(id))
    }

    /// Every user, by id.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// A security object by id.
    pub fn sobject(&self, id: KeyId) -> Option<&Sobject> {
        self.sobjects.get(&id)
    }

    /// A security object by name within an account.
    pub fn sobject_by_name(&self, account: AccountId, name: &str) -> Option<&Sobject> {
        self.key_names
            .get(&(account, name.to_owned()))
            .and_then(|id| self.sobjects.get(id))
    }

    /// The security objects of an account, by kid.
    pub fn sobjects_of(&self, account: AccountId) -> impl Iterator<Item = &Sobject> {
        self.sobjects.values().filter(move |k| k.account == account)
    }

    /// True when the session was ended and could otherwise still be alive.
    pub fn session_revoked(&self, session: SessionId) -> bool {
        self.revoked_sessions.contains_key(&session)
    }

    /// When the session was last seen in use on any node, as far as the nodes reported it.
    pub fn session_last_seen(&self, session: SessionId) -> Option<UnixTime> {
        self.sessions_seen.get(&session).map(|seen| seen.at)
    }

    /// The account a user session selected, if any.
    pub fn selected_account(&self, session: SessionId) -> Option<AccountId> {
        self.session_accounts.get(&session).map(|s| s.account)
    }

    // ---- persistence ----

    /// The stored form of one record, or `None` when it does not exist (deleted).
    pub fn encode_record(&self, key: RecordKey) -> Option<Vec<u8>> {
        let id = key.id;
        let encoded = match key.table {
            Table::Accounts => self.accounts.get(&AccountId(id)).map(serde_json::to_vec),
            Table::Groups => self.groups.get(&GroupId(id)).map(serde_json::to_vec),
            Table::Apps => self.apps.get(&AppId(id)).map(serde_json::to_vec),
            Table::Users => self.users.get(&UserId(id)).map(serde_json::to_vec),
            Table::Sobjects => self.sobjects.get(&KeyId(id)).map(serde_json::to_vec),
            Table::RevokedSessions => self
                .revoked_sessions
                .get(&SessionId(id))
                .map(serde_json::to_vec),
            Table::SessionAccounts => self
                .session_accounts
                .get(&SessionId(id))
                .map(serde_json::to_vec),
            Table::Cluster => self
                .cluster
                .as_ref()
                .filter(|_| id.is_nil())
                .map(serde_json::to_vec),
            Table::SessionsSeen => self
                .sessions_seen
                .get(&SessionId(id))
                .map(serde_json::to_vec),
        };
        // Serializing these plain data types cannot fail: no maps with non-string keys that
        // serde_json rejects are serialized at the top level, and ids serialize as strings.
        encoded.and_then(Result::ok)
    }

    /// Puts back one stored record (at start-up or when installing a snapshot).
    pub fn load_record(&mut self, key: RecordKey, bytes: &[u8]) -> Result<(), serde_json::Error> {
        let id = key.id;
        match key.table {
            Table::Accounts => {
                self.accounts
                    .insert(AccountId(id), serde_json::from_slice(bytes)?);
            }
            Table::Groups => {
                self.groups
                    .insert(GroupId(id), serde_json::from_slice(bytes)?);
            }
            Table::Apps => {
                self.apps.insert(AppId(id), serde_json::from_slice(bytes)?);
            }
            Table::Users => {
                let user: User = serde_json::from_slice(bytes)?;
                self.user_emails.insert(user.email.to_lowercase(), user.id);
                self.users.insert(UserId(id), user);
            }
            Table::Sobjects => {
                let key: Sobject = serde_json::from_slice(bytes)?;
                if let Some(name) = &key.name {
                    self.key_names.insert((key.account, name.clone()), key.id);
                }
                self.sobjects.insert(KeyId(id), key);
            }
            Table::RevokedSessions => {
                self.revoked_sessions
                    .insert(SessionId(id), serde_json::from_slice(bytes)?);
            }
            Table::SessionAccounts => {
                self.session_accounts
                    .insert(SessionId(id), serde_json::from_slice(bytes)?);
            }
            Table::Cluster => {
                self.cluster = Some(serde_json::from_slice(bytes)?);
            }
            Table::SessionsSeen => {
                self.sessions_seen
                    .insert(SessionId(id), serde_json::from_slice(bytes)?);
            }
        }
        Ok(())
    }

    /// Every record in stored form, in key order; what a snapshot holds.
    pub fn records(&self) -> Vec<(RecordKey, Vec<u8>)> {
        let keys = self
            .accounts
            .keys()
            .map(|id| RecordKey::new(Table::Accounts, id.uuid()))
            .chain(
                self.groups
                    .keys()
                    .map(|id| RecordKey::new(Table::Groups, id.uuid())),
            )
            .chain(
                self.apps
                    .keys()
                    .map(|id| RecordKey::new(Table::Apps, id.uuid())),
            )
            .chain(
                self.users
                    .keys()
                    .map(|id| RecordKey::new(Table::Users, id.uuid())),
            )
            .chain(
                self.sobjects
                    .keys()
                    .map(|id| RecordKey::new(Table::Sobjects, id.uuid())),
            )
            .chain(
                self.revoked_sessions
                    .keys()
                    .map(|id| RecordKey::new(Table::RevokedSessions, id.uuid())),
            )
            .chain(
                self.session_accounts
                    .keys()
                    .map(|id| RecordKey::new(Table::SessionAccounts, id.uuid())),
            )
            .chain(self.cluster.iter().map(|_| Self::cluster_key()))
            .chain(
                self.sessions_seen
                    .keys()
                    .map(|id| RecordKey::new(Table::SessionsSeen, id.uuid())),
            );
        keys.filter_map(|key| self.encode_record(key).map(|bytes| (key, bytes)))
            .collect()
    }

    // ---- helpers ----

    fn cluster_key() -> RecordKey {
        RecordKey::new(Table::Cluster, Uuid::nil())
    }

    fn cluster_mut(&mut self) -> Result<&mut ClusterInfo, ApplyError> {
        self.cluster
            .as_mut()
            .ok_or(ApplyError::ClusterNotInitialized)
    }

    fn ensure_new_id(&self, id: Uuid) -> Result<(), ApplyError> {
        let taken = self.accounts.contains_key(&AccountId(id))
            || self.groups.contains_key(&GroupId(id))
            || self.apps.contains_key(&AppId(id))
            || self.users.contains_key(&UserId(id))
            || self.sobjects.contains_key(&KeyId(id));
        if taken {
            Err(ApplyError::IdTaken(id))
        } else {
            Ok(())
        }
    }

    fn ensure_account(&self, id: AccountId) -> Result<&Account, ApplyError> {
        self.accounts
            .get(&id)
            .ok_or(ApplyError::AccountNotFound(id))
    }

    fn ensure_group_in(&self, id: GroupId, account: AccountId) -> Result<(), ApplyError> {
        match self.groups.get(&id) {
            Some(group) if group.account == account => Ok(()),
            Some(_) => Err(ApplyError::GroupOfOtherAccount(id)),
            None => Err(ApplyError::GroupNotFound(id)),
        }
    }

    fn ensure_account_name_free(
        &self,
        name: &str,
        except: Option<AccountId>,
    ) -> Result<(), ApplyError> {
        let clash = self
            .accounts
            .values()
            .any(|a| a.name == name && Some(a.id) != except);
        if clash {
            Err(ApplyError::NameTaken {
                kind: Named::Account,
                name: name.to_owned(),
            })
        } else {
            Ok(())
        }
    }

    fn ensure_group_name_free(
        &self,
        group: &Group,
        except: Option<GroupId>,
    ) -> Result<(), ApplyError> {
        let clash = self
            .groups_of(group.account)
            .any(|g| g.name == group.name && Some(g.id) != except);
        if clash {
            Err(ApplyError::NameTaken {
                kind: Named::Group,
                name: group.name.clone(),
            })
        } else {
            Ok(())
        }
    }

    fn check_app(&self, app: &App, except: Option<AppId>) -> Result<(), ApplyError> {
        self.ensure_account(app.account)?;
        for group in app.groups.keys().chain(app.default_group.iter()) {
            self.ensure_group_in(*group, app.account)?;
        }
        if let Some(default) = app.default_group
            && !app.groups.contains_key(&default)
        {
            return Err(ApplyError::DefaultGroupNotMember(default));
        }
        let clash = self
            .apps_of(app.account)
            .any(|a| a.name == app.name && Some(a.id) != except);
        if clash {
            Err(ApplyError::NameTaken {
                kind: Named::App,
                name: app.name.clone(),
            })
        } else {
            Ok(())
        }
    }

    fn check_user(&self, user: &User, except: Option<UserId>) -> Result<(), ApplyError> {
        for (account, membership) in &user.memberships {
            self.ensure_account(*account)?;
            for group in membership.groups.keys() {
                self.ensure_group_in(*group, *account)?;
            }
        }
        match self.user_emails.get(&user.email.to_lowercase()) {
            Some(other) if Some(*other) != except => Err(ApplyError::NameTaken {
                kind: Named::User,
                name: user.email.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Checks a key's references and name; `except` are kids whose names may be taken over.
    fn check_sobject(&self, key: &Sobject, except: &[KeyId]) -> Result<(), ApplyError> {
        self.ensure_account(key.account)?;
        self.ensure_group_in(key.group, key.account)?;
        if let Some(name) = &key.name
            && let Some(holder) = self.key_names.get(&(key.account, name.clone()))
            && !except.contains(holder)
        {
            return Err(ApplyError::NameTaken {
                kind: Named::SecurityObject,
                name: name.clone(),
            });
        }
        Ok(())
    }

    fn insert_sobject(&mut self, key: Sobject, changed: &mut Vec<RecordKey>) {
        if let Some(name) = &key.name {
            self.key_names.insert((key.account, name.clone()), key.id);
        }
        changed.push(RecordKey::new(Table::Sobjects, key.id.uuid()));
        self.sobjects.insert(key.id, key);
    }

    fn remove_sobject(&mut self, id: KeyId, changed: &mut Vec<RecordKey>) {
        if let Some(key) = self.sobjects.remove(&id) {
            if let Some(name) = key.name
                && self.key_names.get(&(key.account, name.clone())) == Some(&id)
            {
                self.key_names.remove(&(key.account, name));
            }
            changed.push(RecordKey::new(Table::Sobjects, id.uuid()));
        }
    }

    fn delete_group(
        &mut self,
        id: GroupId,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        if !self.groups.contains_key(&id) {
            return Err(ApplyError::GroupNotFound(id));
        }
        if self.sobjects.values().any(|k| k.group == id) {
            return Err(ApplyError::GroupNotEmpty(id));
        }
        self.groups.remove(&id);
        changed.push(RecordKey::new(Table::Groups, id.uuid()));
        for app in self
            .apps
            .values_mut()
            .filter(|a| a.groups.contains_key(&id))
        {
            app.groups.remove(&id);
            if app.default_group == Some(id) {
                app.default_group = app.groups.keys().next().copied();
            }
            changed.push(RecordKey::new(Table::Apps, app.id.uuid()));
        }
        for user in self.users.values_mut() {
            let mut touched = false;
            for membership in user.memberships.values_mut() {
                touched |= membership.groups.remove(&id).is_some();
            }
            if touched {
                changed.push(RecordKey::new(Table::Users, user.id.uuid()));
            }
        }
        Ok(())
    }

    fn delete_account(
        &mut self,
        id: AccountId,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        if self.accounts.remove(&id).is_none() {
            return Err(ApplyError::AccountNotFound(id));
        }
        changed.push(RecordKey::new(Table::Accounts, id.uuid()));
        let keys: Vec<KeyId> = self.sobjects_of(id).map(|k| k.id).collect();
        for key in keys {
            self.remove_sobject(key, changed);
        }
        let apps: Vec<AppId> = self.apps_of(id).map(|a| a.id).collect();
        for app in apps {
            self.apps.remove(&app);
            changed.push(RecordKey::new(Table::Apps, app.uuid()));
        }
        let groups: Vec<GroupId> = self.groups_of(id).map(|g| g.id).collect();
        for group in groups {
            self.groups.remove(&group);
            changed.push(RecordKey::new(Table::Groups, group.uuid()));
        }
        for user in self.users.values_mut() {
            if user.memberships.remove(&id).is_some() {
                changed.push(RecordKey::new(Table::Users, user.id.uuid()));
            }
        }
        let sessions: Vec<SessionId> = self
            .session_accounts
            .iter()
            .filter(|(_, s)| s.account == id)
            .map(|(k, _)| *k)
            .collect();
        for session in sessions {
            self.session_accounts.remove(&session);
            changed.push(RecordKey::new(Table::SessionAccounts, session.uuid()));
        }
        Ok(())
    }

    /// Drops session records that can no longer matter at time `at`.
    fn prune_sessions(&mut self, at: UnixTime, changed: &mut Vec<RecordKey>) {
        prune(
            &mut self.revoked_sessions,
            Table::RevokedSessions,
            changed,
            |until| *until >= at,
        );
        prune(
            &mut self.session_accounts,
            Table::SessionAccounts,
            changed,
            |s| s.until >= at,
        );
        prune(&mut self.sessions_seen, Table::SessionsSeen, changed, |s| {
            s.until >= at
        });
    }
}

/// Drops the session records of `table` that `alive` rejects, noting each as changed.
fn prune<V>(
    records: &mut BTreeMap<SessionId, V>,
    table: Table,
    changed: &mut Vec<RecordKey>,
    alive: impl Fn(&V) -> bool,
) {
    records.retain(|id, record| {
        let keep = alive(record);
        if !keep {
            changed.push(RecordKey::new(table, id.uuid()));
        }
        keep
    });
}

mod accounts;
mod apps;
mod cluster;
mod groups;
mod master_keys;
mod sessions;
mod sobjects;
mod users;

#[cfg(test)]
mod tests;
