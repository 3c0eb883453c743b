//! Accounts and groups are walls: through the official client, an app sees and uses only the
//! objects of the groups it belongs to, and nothing of another account.

use std::collections::HashMap;

use anyhow::{Context, ensure};
use coffer_compat_tests::clients::{self, uuid};
use coffer_compat_tests::data::{b64, unique_name};
use coffer_compat_tests::expect::{expect_one_of, expect_status};
use coffer_compat_tests::keys::{self, by_kid, kid};
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::SdkmsClient;
use sdkms::api_model::*;
use uuid::Uuid;

/// A new app with every permission in `group`, logged in with its API key.
fn app_in(
    server: &CofferServer,
    admin: &SdkmsClient,
    group: Uuid,
) -> anyhow::Result<(SdkmsClient, Uuid)> {
    let permissions = AppPermissions::ENCRYPT
        | AppPermissions::DECRYPT
        | AppPermissions::SIGN
        | AppPermissions::VERIFY
        | AppPermissions::EXPORT
        | AppPermissions::MANAGE;
    let app = admin.create_app(
        None,
        &AppRequest {
            name: Some(unique_name("walled")),
            add_groups: Some(AppGroups::from(HashMap::from([(group, Some(permissions))]))),
            default_group: Some(group),
            ..Default::default()
        },
    )?;
    let AppCredential::Secret(secret) = admin.get_app_credential(&app.app_id)?.credential else {
        anyhow::bail!("a new app has a secret");
    };
    let client =
        clients::api_key_client(server, &b64(format!("{}:{secret}", app.app_id).as_bytes()))?;
    Ok((client, app.app_id))
}

/// Every way `outsider` could reach `key` is refused as if the key did not exist.
fn walled_off(outsider: &SdkmsClient, key: Uuid, who: &str) -> anyhow::Result<()> {
    eprintln!("    {who}: get, encrypt, export, update, delete all refused");
    expect_status(outsider.get_sobject(None, &by_kid(key)), 404).context("get")?;
    expect_one_of(
        outsider.encrypt(&keys::aes_encrypt(key, CipherMode::Cbc, b"not yours")),
        &[403, 404],
    )
    .context("encrypt")?;
    expect_one_of(outsider.export_sobject(&by_kid(key)), &[403, 404]).context("export")?;
    expect_one_of(
        outsider.update_sobject(
            &key,
            &SobjectRequest {
                description: Some("taken over".into()),
                ..Default::default()
            },
        ),
        &[403, 404],
    )
    .context("update")?;
    expect_one_of(outsider.delete_sobject(&key), &[403, 404]).context("delete")?;
    let listed = outsider.list_sobjects(None)?;
    ensure!(
        listed.iter().all(|object| object.kid != Some(key)),
        "{who} lists the key"
    );
    Ok(())
}

#[test]
fn apps_reach_only_their_groups_and_never_another_account() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let admin = clients::sysadmin_session(&server)?;
    let dev_group = uuid(&server.credentials().group_id)?;
    let dev_app = clients::app_with_api_key(&server)?;
    let key_a = kid(&dev_app.create_sobject(&keys::generate(
        &unique_name("group-a"),
        ObjectType::Aes,
        256,
    ))?)?;

    eprintln!("--- a second group of the same account, with an app of its own");
    let group_2 = admin
        .create_group(&GroupRequest {
            name: Some(unique_name("group-2")),
            ..Default::default()
        })?
        .group_id;
    let (app_2, _) = app_in(&server, &admin, group_2)?;
    let key_2 = kid(&app_2.create_sobject(&keys::generate(
        &unique_name("group-2"),
        ObjectType::Aes,
        256,
    ))?)?;
    walled_off(&app_2, key_a, "an app of group 2 on a key of the dev group")?;
    walled_off(&dev_app, key_2, "the dev app on a key of group 2")?;
    app_2
        .encrypt(&keys::aes_encrypt(key_2, CipherMode::Cbc, b"mine"))
        .context("an app still uses its own group's key")?;

    eprintln!("--- another account, with its own group and app");
    let account_b = admin
        .create_account(&AccountRequest {
            name: Some(unique_name("account-b")),
            ..Default::default()
        })?
        .acct_id;
    admin.select_account(&SelectAccountRequest { acct_id: account_b })?;
    let group_b = admin
        .create_group(&GroupRequest {
            name: Some(unique_name("group-b")),
            ..Default::default()
        })?
        .group_id;
    let (app_b, _) = app_in(&server, &admin, group_b)?;
    walled_off(&app_b, key_a, "an app of account B on a key of account A")?;
    walled_off(&app_b, key_2, "an app of account B on group 2 of account A")?;
    eprintln!("    and it sees none of account A's groups or apps");
    expect_one_of(app_b.get_group(&dev_group), &[403, 404])?;
    expect_one_of(app_b.get_group(&group_2), &[403, 404])?;
    let dev_app_id = uuid(&server.credentials().app_id)?;
    expect_one_of(app_b.get_app(&dev_app_id, None), &[403, 404])?;
    ensure!(
        app_b
            .list_groups()?
            .iter()
            .all(|group| group.group_id != dev_group && group.group_id != group_2),
        "account B's app lists account A's groups"
    );

    eprintln!("--- nothing was changed by the refused calls");
    let still = dev_app.get_sobject(None, &by_kid(key_a))?;
    ensure!(
        still.description.as_deref() != Some("taken over"),
        "the key was changed"
    );
    dev_app.encrypt(&keys::aes_encrypt(key_a, CipherMode::Cbc, b"still mine"))?;
    Ok(())
}
