//! `coffer server --dev`: the first principals of an evaluation node, and the credentials file.

use crate::Node;
use crate::vault::Purpose;
use crate::{app_secrets, passwords};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_core::{
    Account, AccountId, AccountRole, App, AppId, AppPermission, Command, Creator, Group, GroupId,
    Membership, User, UserId,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use uuid::Uuid;

/// Where the dev principals' secrets are kept (sealed) between restarts.
use crate::vault::DEV_SECRETS;
/// The name of the credentials file in the data directory.
pub const CREDENTIALS_FILE: &str = "dev-credentials.json";

/// The dev principals and their secrets.
#[derive(Serialize, Deserialize)]
pub struct DevSecrets {
    /// The sysadmin's login.
    pub sysadmin_email: String,
    /// The sysadmin's password.
    pub sysadmin_password: String,
    /// The dev account.
    pub account_id: AccountId,
    /// The dev group.
    pub group_id: GroupId,
    /// The dev app.
    pub app_id: AppId,
    /// The dev app's API key.
    pub api_key: String,
}

/// The contract file other tools and tests read.
#[derive(Serialize)]
struct CredentialsFile<'a> {
    url: &'a str,
    api_key: &'a str,
    sysadmin_email: &'a str,
    sysadmin_password: &'a str,
    account_id: AccountId,
    group_id: GroupId,
    app_id: AppId,
    ca_cert_pem: &'a str,
    pid: u32,
}

/// Loads the dev principals, creating them on a fresh node.
pub async fn ensure_principals(node: &Node) -> anyhow::Result<DevSecrets> {
    let local = node.cluster.store().node_local();
    if let Some(sealed) = local.get(DEV_SECRETS)? {
        let plain = node
            .unseal(Purpose::DevCredentials, &coffer_core::Sealed(sealed))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return serde_json::from_slice(plain.expose()).context("reading the dev credentials");
    }
    let now = crate::now();
    let account = AccountId::new(Uuid::new_v4());
    let group = GroupId::new(Uuid::new_v4());
    let user = UserId::new(Uuid::new_v4());
    let app = AppId::new(Uuid::new_v4());
    let password = passwords::generate()?;
    let secret = app_secrets::generate_secret(app_secrets::DEFAULT_SECRET_SIZE)?;

    node.propose(Command::CreateAccount(Account::new(
        account,
        "Dev Account",
        now,
    )))
    .await
    .map_err(api)?;
    node.propose(Command::CreateGroup(Group {
        id: group,
        account,
        name: "Dev Group".into(),
        description: Some("Keys of the evaluation node".into()),
        created_at: now,
        creator: Creator::User(user),
    }))
    .await
    .map_err(api)?;
    let membership = Membership {
        roles: BTreeSet::from([AccountRole::Administrator]),
        groups: BTreeMap::from([(group, coffer_core::GroupRole::Administrator)]),
    };
    node.propose(Command::CreateUser(User {
        id: user,
        email: "admin@coffer.localhost".into(),
        password_hash: passwords::hash(&password)?,
        sysadmin: true,
        first_name: Some("Dev".into()),
        last_name: Some("Sysadmin".into()),
        description: None,
        created_at: now,
        memberships: BTreeMap::from([(account, membership)]),
        credential_generation: 0,
    }))
    .await
    .map_err(api)?;
    node.propose(Command::CreateApp(App {
        id: app,
        account,
        name: "Dev App".into(),
        description: Some("The evaluation node's app".into()),
        app_type: "default".into(),
        created_at: now,
        creator: Creator::User(user),
        enabled: true,
        groups: BTreeMap::from([(group, AppPermission::ALL.into_iter().collect())]),
        default_group: Some(group),
        secret: node
            .seal(Purpose::Record(app.uuid()), secret.as_bytes())
            .map_err(api)?,
        secret_digest: node.app_secret_digest(secret.as_bytes()).map_err(api)?,
        client_certificate: None,
        credential_generation: 0,
    }))
    .await
    .map_err(api)?;

    let secrets = DevSecrets {
        sysadmin_email: "admin@coffer.localhost".into(),
        sysadmin_password: password,
        account_id: account,
        group_id: group,
        app_id: app,
        api_key: STANDARD.encode(format!("{app}:{secret}")),
    };
    let sealed = node
        .seal(Purpose::DevCredentials, &serde_json::to_vec(&secrets)?)
        .map_err(api)?;
    local.put(DEV_SECRETS, &sealed.0)?;
    Ok(secrets)
}

/// Writes `dev-credentials.json` (mode 0600) atomically: readers never see half a file.
pub fn write_credentials(
    dir: &Path,
    url: &str,
    secrets: &DevSecrets,
    ca_cert_pem: &str,
) -> anyhow::Result<()> {
    let file = CredentialsFile {
        url,
        api_key: &secrets.api_key,
        sysadmin_email: &secrets.sysadmin_email,
        sysadmin_password: &secrets.sysadmin_password,
        account_id: secrets.account_id,
        group_id: secrets.group_id,
        app_id: secrets.app_id,
        ca_cert_pem,
        pid: std::process::id(),
    };
    crate::private_file::write(
        &dir.join(CREDENTIALS_FILE),
        &serde_json::to_vec_pretty(&file)?,
    )
}

fn api(error: crate::error::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}
