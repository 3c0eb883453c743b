//! Accounts, groups, apps and users through a user session (dsm-api.md §4; §10 items 7, 27).

use std::collections::HashMap;

use anyhow::{Context, ensure};
use coffer_compat_tests::clients::{self, uuid};
use coffer_compat_tests::data::{b64, unique_name};
use coffer_compat_tests::expect::{expect_client_error, expect_one_of, expect_raw, expect_status};
use coffer_compat_tests::keys;
use coffer_compat_tests::raw::{self, bearer};
use coffer_compat_tests::wire::is_lower_uuid;
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::api_model::*;
use serde_json::json;

#[test]
fn sysadmin_sees_the_dev_account_and_can_create_update_and_delete_accounts() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let account = uuid(&server.credentials().account_id)?;
    let admin = clients::sysadmin_session(&server)?;

    eprintln!("--- the dev account is listed and readable");
    let accounts = admin.list_accounts(None)?;
    ensure!(
        accounts.iter().any(|a| a.acct_id == account),
        "dev account missing from the list"
    );
    admin.list_accounts(Some(&GetAccountParams { with_totals: true }))?;
    let dev = admin.get_account(&account, None)?;
    ensure!(dev.enabled, "the dev account is enabled");

    eprintln!("--- create an account");
    let name = unique_name("account");
    let created = admin.create_account(&AccountRequest {
        name: Some(name.clone()),
        description: Some("made by the compat tests".to_owned()),
        ..Default::default()
    })?;
    ensure!(created.name == name, "name not kept: {created:?}");
    ensure!(created.enabled, "new accounts are enabled");
    ensure!(created.acct_id != account, "a new account gets a new id");

    eprintln!("--- update it");
    let updated = admin.update_account(
        &created.acct_id,
        &AccountRequest {
            description: Some("updated".to_owned()),
            ..Default::default()
        },
    )?;
    ensure!(
        updated.description.as_deref() == Some("updated"),
        "description not updated: {updated:?}"
    );
    ensure!(updated.name == name, "a partial update keeps the name");

    eprintln!("--- delete it");
    admin.delete_account(&created.acct_id)?;
    expect_status(admin.get_account(&created.acct_id, None), 404)?;
    Ok(())
}

#[test]
fn groups_can_be_created_read_updated_listed_and_deleted() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let account = uuid(&server.credentials().account_id)?;
    let dev_group = uuid(&server.credentials().group_id)?;
    let admin = clients::sysadmin_session(&server)?;
    let admin_id = admin.entity_id().context("no entity id")?;

    eprintln!("--- create a group");
    let name = unique_name("group");
    let group = admin.create_group(&GroupRequest {
        name: Some(name.clone()),
        description: Some("first".to_owned()),
        approval_policy: None,
    })?;
    ensure!(
        group.acct_id == account,
        "groups belong to the selected account"
    );
    ensure!(group.name == name, "name not kept");
    ensure!(
        group.creator == Principal::User(admin_id),
        "creator must be the user: {:?}",
        group.creator
    );

    eprintln!("--- a second group with the same name clashes");
    let clash = admin.create_group(&GroupRequest {
        name: Some(name.clone()),
        ..Default::default()
    });
    expect_status(clash, 409)?;

    eprintln!("--- read, list, update");
    let got = admin.get_group(&group.group_id)?;
    ensure!(got.group_id == group.group_id, "wrong group");
    let listed = admin.list_groups()?;
    for wanted in [dev_group, group.group_id] {
        ensure!(
            listed.iter().any(|g| g.group_id == wanted),
            "{wanted} missing from the group list"
        );
    }
    let updated = admin.update_group(
        &group.group_id,
        &GroupRequest {
            description: Some("second".to_owned()),
            ..Default::default()
        },
    )?;
    ensure!(
        updated.description.as_deref() == Some("second"),
        "not updated"
    );
    ensure!(updated.name == name, "a partial update keeps the name");

    eprintln!("--- delete");
    admin.delete_group(&group.group_id)?;
    expect_status(admin.get_group(&group.group_id), 404)?;

    eprintln!("--- apps list and read the groups they belong to");
    let app = clients::app_with_api_key(&server)?;
    let app_groups = app.list_groups()?;
    ensure!(
        app_groups.iter().any(|g| g.group_id == dev_group),
        "the dev app sees its group"
    );
    app.get_group(&dev_group)?;
    Ok(())
}

#[test]
fn apps_get_credentials_that_log_in_and_reset_secret_revokes_the_old_one() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let account = uuid(&server.credentials().account_id)?;
    let admin = clients::sysadmin_session(&server)?;

    eprintln!("--- a group for the new app");
    let group = admin.create_group(&GroupRequest {
        name: Some(unique_name("app-group")),
        ..Default::default()
    })?;

    eprintln!("--- create the app with add_groups as a map of permissions");
    let permissions = AppPermissions::ENCRYPT
        | AppPermissions::DECRYPT
        | AppPermissions::EXPORT
        | AppPermissions::MANAGE;
    let mut groups = HashMap::new();
    groups.insert(group.group_id, Some(permissions));
    let name = unique_name("app");
    let app = admin.create_app(
        None,
        &AppRequest {
            name: Some(name.clone()),
            description: Some("compat test app".to_owned()),
            add_groups: Some(AppGroups::from(groups)),
            default_group: Some(group.group_id),
            ..Default::default()
        },
    )?;
    ensure!(
        app.acct_id == account,
        "apps belong to the selected account"
    );
    ensure!(app.name == name, "name not kept");
    ensure!(app.enabled, "new apps are enabled");
    ensure!(
        app.groups.contains_key(&group.group_id),
        "group missing: {:?}",
        app.groups
    );

    eprintln!("--- group_permissions=true shows the permissions");
    let detailed = admin.get_app(
        &app.app_id,
        Some(&GetAppParams {
            group_permissions: true,
        }),
    )?;
    ensure!(
        detailed.groups.get(&group.group_id) == Some(&Some(permissions)),
        "permissions not reported: {:?}",
        detailed.groups
    );
    let listed = admin.list_apps(Some(&ListAppsParams::default()))?;
    ensure!(
        listed.iter().any(|a| a.app_id == app.app_id),
        "app not listed"
    );

    eprintln!("--- the credential logs in as that app");
    let credential = admin.get_app_credential(&app.app_id)?;
    ensure!(
        credential.app_id == app.app_id,
        "credential for another app"
    );
    let AppCredential::Secret(secret) = credential.credential else {
        anyhow::bail!("expected a secret credential");
    };
    ensure!(!secret.contains(':'), "secrets never contain ':'");
    let api_key = b64(format!("{}:{secret}", app.app_id).as_bytes());
    let session = clients::anonymous(&server)?.authenticate_with_api_key(&api_key)?;
    ensure!(
        session.entity_id() == Some(app.app_id),
        "logged in as another entity"
    );

    eprintln!("--- its keys land in its default group");
    let key = session.create_sobject(&keys::generate(
        &unique_name("app-key"),
        ObjectType::Aes,
        128,
    ))?;
    ensure!(
        key.group_id == Some(group.group_id),
        "key not in the default group"
    );

    eprintln!("--- a group that holds keys cannot be deleted");
    expect_client_error(admin.delete_group(&group.group_id))?;

    eprintln!("--- update the app");
    let updated = admin.update_app(
        &app.app_id,
        None,
        &AppRequest {
            description: Some("renamed".to_owned()),
            ..Default::default()
        },
    )?;
    ensure!(
        updated.description.as_deref() == Some("renamed"),
        "not updated"
    );

    eprintln!("--- reset the secret: the old one dies, the new one works");
    admin.reset_app_secret(
        &app.app_id,
        None,
        &AppResetSecretRequest {
            secret_size: Some(64),
        },
    )?;
    let old = clients::api_key_client(&server, &api_key)?;
    expect_status(old.list_sobjects(None), 401)?;
    let AppCredential::Secret(new_secret) = admin.get_app_credential(&app.app_id)?.credential
    else {
        anyhow::bail!("expected a secret credential");
    };
    ensure!(new_secret != secret, "reset_secret must change the secret");
    let new_key = b64(format!("{}:{new_secret}", app.app_id).as_bytes());
    clients::api_key_client(&server, &new_key)?.list_sobjects(None)?;
    // DSM keeps such sessions; Coffer ends them: a reset secret is often a leaked one.
    eprintln!("--- sessions opened before the reset end with it");
    expect_status(session.list_sobjects(None), 401)?;

    eprintln!("--- delete the app: its key no longer works");
    admin.delete_app(&app.app_id)?;
    expect_status(
        clients::api_key_client(&server, &new_key)?.list_sobjects(None),
        401,
    )?;
    expect_status(admin.get_app(&app.app_id, None), 404)?;
    Ok(())
}

#[test]
fn apps_accept_add_groups_as_a_plain_list_of_group_ids() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let admin = clients::sysadmin_session(&server)?;
    let group = uuid(&server.credentials().group_id)?;

    eprintln!("--- CLI create-app: add_groups is a list, plus stray nulls");
    let created = raw::json_ok(
        &server,
        "POST",
        "/sys/v1/apps",
        &bearer(&admin)?,
        Some(&json!({
            "name": unique_name("list-app"),
            "add_groups": [group.to_string()],
            "default_group": group.to_string(),
            "description": null,
            "credential": null,
            "app_type": "default",
        })),
    )?;
    let app_id = created["app_id"].as_str().context("no app_id")?;
    ensure!(
        is_lower_uuid(app_id),
        "app_id {app_id:?} is not a lower-case UUID"
    );
    ensure!(
        created.get("credential").is_none_or(|c| c.is_null()),
        "no secret in App"
    );

    eprintln!("--- the official client reads it back");
    let app = admin.get_app(&uuid(app_id)?, None)?;
    ensure!(
        app.groups.contains_key(&group),
        "group missing: {:?}",
        app.groups
    );
    Ok(())
}

#[test]
fn users_sign_up_and_log_in_with_utf8_or_latin1_passwords() -> anyhow::Result<()> {
    let server = CofferServer::start_dev_with(&["--allow-signup"])?;
    let email = format!("{}@example.com", unique_name("user"));
    let password = "Pässwörd-Ünïcödé-2024!";

    eprintln!("--- sign up without authentication");
    let user = clients::anonymous(&server)?.signup_user(&SignupRequest {
        user_email: email.clone(),
        user_password: password.to_owned(),
        recaptcha_response: None,
        first_name: Some("Compat".to_owned()),
        last_name: Some("Test".to_owned()),
    })?;
    ensure!(
        user.user_email.as_deref() == Some(email.as_str()),
        "email not kept"
    );

    eprintln!("--- Rs login encodes the password as UTF-8");
    let session = clients::user_session(&server, &email, password)?;
    ensure!(
        session.entity_id() == Some(user.user_id),
        "entity_id must be the user id"
    );

    eprintln!("--- Py login encodes it as Latin-1");
    let latin1: Vec<u8> = format!("{email}:{password}")
        .chars()
        .map(|c| u8::try_from(u32::from(c)))
        .collect::<Result<_, _>>()
        .context("the password must be Latin-1 encodable")?;
    let response = raw::send_bytes(
        &server,
        "POST",
        "/sys/v1/session/auth",
        &format!("Basic {}", b64(&latin1)),
        b"",
    )?;
    expect_raw(&response, &[200])?;
    ensure!(
        response.json()?["entity_id"] == user.user_id.to_string().as_str(),
        "Latin-1 login is the same user"
    );

    eprintln!("--- the wrong password is refused");
    let wrong = clients::anonymous(&server)?.authenticate_user(&email, "Passwort");
    expect_status(wrong.map(|_| ()), 401)?;
    Ok(())
}

#[test]
fn account_administrators_invite_list_update_and_remove_users() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let account = uuid(&credentials.account_id)?;
    let group = uuid(&credentials.group_id)?;
    let admin = clients::sysadmin_session(&server)?;
    let admin_id = admin.entity_id().context("no entity id")?;

    eprintln!("--- the sysadmin is a user of the account");
    let me = admin.get_user(&admin_id)?;
    ensure!(
        me.user_email.as_deref() == Some(credentials.sysadmin_email.as_str()),
        "get_user returns the sysadmin: {me:?}"
    );
    let users = admin.list_users(None)?;
    ensure!(
        users.iter().any(|u| u.user_id == admin_id),
        "sysadmin not listed"
    );

    eprintln!("--- invite a member with a group role");
    let email = format!("{}@example.com", unique_name("invitee"));
    let mut roles = HashMap::new();
    roles.insert(group, UserGroupRole::GroupAuditor);
    let invited = admin.invite_user(&UserRequest {
        user_email: Some(email.clone()),
        account_role: Some(UserAccountFlags::ACCOUNTMEMBER),
        add_groups: Some(roles),
        ..Default::default()
    })?;
    ensure!(
        invited.user_email.as_deref() == Some(email.as_str()),
        "email not kept"
    );
    ensure!(
        invited.groups.get(&group) == Some(&UserGroupRole::GroupAuditor),
        "group role not kept: {:?}",
        invited.groups
    );

    eprintln!("--- list with the Rs params (sort=user_id:asc, acct_id)");
    let listed = admin.list_users(Some(&ListUsersParams {
        acct_id: Some(account),
        ..Default::default()
    }))?;
    ensure!(
        listed.iter().any(|u| u.user_id == invited.user_id),
        "invitee not listed"
    );

    eprintln!("--- update the invitee's group role");
    let mut admin_role = HashMap::new();
    admin_role.insert(group, UserGroupRole::GroupAdministrator);
    let updated = admin.update_user(
        &invited.user_id,
        &UserRequest {
            mod_groups: Some(admin_role),
            description: Some("promoted".to_owned()),
            ..Default::default()
        },
    )?;
    ensure!(
        updated.groups.get(&group) == Some(&UserGroupRole::GroupAdministrator),
        "role not updated: {:?}",
        updated.groups
    );

    eprintln!("--- remove the invitee from the account");
    admin.delete_user_account(&invited.user_id)?;
    let after = admin.list_users(Some(&ListUsersParams {
        acct_id: Some(account),
        ..Default::default()
    }))?;
    ensure!(
        !after.iter().any(|u| u.user_id == invited.user_id),
        "the removed user is still listed"
    );
    Ok(())
}

#[test]
fn apps_cannot_administer_the_account() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;

    eprintln!("--- an app creating a group or an app is forbidden");
    let group = app.create_group(&GroupRequest {
        name: Some(unique_name("app-made-group")),
        ..Default::default()
    });
    expect_status(group, 403)?;
    let other = app.create_app(
        None,
        &AppRequest {
            name: Some(unique_name("app-made-app")),
            ..Default::default()
        },
    );
    expect_status(other, 403)?;

    eprintln!("--- and so is reading another app's secret");
    let admin = clients::sysadmin_session(&server)?;
    let mut groups = HashMap::new();
    groups.insert(
        uuid(&server.credentials().group_id)?,
        Some(AppPermissions::ENCRYPT),
    );
    let victim = admin.create_app(
        None,
        &AppRequest {
            name: Some(unique_name("victim")),
            add_groups: Some(AppGroups::from(groups)),
            ..Default::default()
        },
    )?;
    // 404 is as good as 403 here: the app need not learn that the other app exists.
    expect_one_of(app.get_app_credential(&victim.app_id), &[403, 404])?;
    Ok(())
}

fn signup(email: &str, password: &str) -> SignupRequest {
    SignupRequest {
        user_email: email.to_owned(),
        user_password: password.to_owned(),
        recaptcha_response: None,
        first_name: None,
        last_name: None,
    }
}

#[test]
fn signup_is_refused_unless_enabled_and_a_taken_email_answers_like_a_new_one() -> anyhow::Result<()>
{
    eprintln!("--- by default nobody can sign up, and nothing is stored");
    let closed = CofferServer::start_dev()?;
    let email = format!("{}@example.com", unique_name("closed"));
    let refused = clients::anonymous(&closed)?.signup_user(&signup(&email, "Closed-Signup-2024!"));
    let (status, message) = expect_client_error(refused.map(|_| ()))?;
    ensure!(
        status == 403 && message.contains("signup is disabled"),
        "{status}: {message}"
    );
    let wrong = clients::anonymous(&closed)?.authenticate_user(&email, "Closed-Signup-2024!");
    expect_status(wrong.map(|_| ()), 401)?;

    let server = CofferServer::start_dev_with(&["--allow-signup"])?;
    let email = format!("{}@example.com", unique_name("taken"));
    let first =
        clients::anonymous(&server)?.signup_user(&signup(&email, "First-Password-2024!"))?;

    eprintln!("--- signing up a taken email answers the same way, and stores nothing");
    let second =
        clients::anonymous(&server)?.signup_user(&signup(&email, "Second-Password-2024!"))?;
    ensure!(
        second.user_email == first.user_email && second.account_role == first.account_role,
        "the answers differ: {first:?} / {second:?}"
    );
    ensure!(
        second.user_id != first.user_id,
        "the second answer must not reveal the registered user's id"
    );
    let raw_first = raw::send_json(
        &server,
        "POST",
        "/sys/v1/users",
        "",
        &json!({"user_email": format!("{}@example.com", unique_name("fresh")), "user_password": "Fresh-Password-2024!"}),
    )?;
    let raw_taken = raw::send_json(
        &server,
        "POST",
        "/sys/v1/users",
        "",
        &json!({"user_email": email, "user_password": "Third-Password-2024!"}),
    )?;
    ensure!(
        raw_first.status == raw_taken.status,
        "status {} for a new email, {} for a taken one",
        raw_first.status,
        raw_taken.status
    );
    let keys = |response: &coffer_compat_tests::RawResponse| -> anyhow::Result<Vec<String>> {
        let json = response.json()?;
        let object = json.as_object().context("a JSON object")?;
        Ok(object.keys().cloned().collect())
    };
    ensure!(
        keys(&raw_first)? == keys(&raw_taken)?,
        "the answers have different fields"
    );

    eprintln!("--- the registered user keeps their password; the others open nothing");
    clients::user_session(&server, &email, "First-Password-2024!")?;
    for password in ["Second-Password-2024!", "Third-Password-2024!"] {
        let wrong = clients::anonymous(&server)?.authenticate_user(&email, password);
        expect_status(wrong.map(|_| ()), 401)?;
    }
    Ok(())
}
