//! Version, sessions, accounts, groups, apps and users.

use super::*;

#[test]
fn version_and_session_answers_decode_in_rs() {
    let theirs: rs::VersionResponse = via_json(&api::VersionResponse {
        version: "1.0.25".into(),
        api_version: "1.0".into(),
        server_mode: api::ServerMode::Software,
        fips_level: None,
    });
    assert_eq!(theirs.version, "1.0.25");
    assert_eq!(theirs.server_mode, rs::ServerMode::Software);
    assert_eq!(theirs.fips_level, None);

    let theirs: rs::AuthResponse = via_json(&api::AuthResponse::bearer("tok", 600, id(7)));
    assert_eq!(
        (
            theirs.token_type.as_str(),
            theirs.expires_in,
            theirs.access_token.as_str(),
            theirs.entity_id
        ),
        ("Bearer", 600, "tok", id(7))
    );
    assert!(theirs.challenge.is_none());

    let theirs: rs::SelectAccountResponse = via_json(&api::SelectAccountResponse::default());
    assert!(theirs.cookie.is_none());
    let ours: api::SelectAccountRequest = via_json(&rs::SelectAccountRequest { acct_id: id(3) });
    assert_eq!(ours.acct_id, id(3));
}

// ---------------------------------------------------------------- accounts, groups, apps, users

fn account() -> api::Account {
    api::Account {
        acct_id: id(1),
        name: "acme".into(),
        enabled: true,
        subscription: api::SubscriptionType::OnPrem,
        logging_configs: BTreeMap::new(),
        description: Some("d".into()),
        organization: Some("Acme".into()),
        country: Some("NL".into()),
        phone: None,
        notification_pref: Some(api::NotificationPref::Email),
        auth_config: Some(api::AuthConfig {
            password: Some(api::AuthConfigPassword {
                require_2fa: false,
                administrators_only: false,
            }),
        }),
        created_at: Some(at(1_714_564_800)),
        initial_purchase_at: None,
        custom_metadata: Some(BTreeMap::from([("k".into(), "v".into())])),
        approval_policy: None,
        parent_acct_id: None,
        totals: Some(api::ObjectCounts {
            groups: 1,
            apps: 2,
            users: 3,
            plugins: 0,
            sobjects: 9,
        }),
        state: Some(api::AccountState::Activated),
        auth_type: Some(api::AccountAuthType::Fortanix),
    }
}

#[test]
fn accounts_decode_in_rs() {
    let theirs: rs::Account = via_json(&account());
    assert_eq!(
        (theirs.acct_id, theirs.name.as_str(), theirs.enabled),
        (id(1), "acme", true)
    );
    assert_eq!(theirs.subscription, rs::SubscriptionType::OnPrem);
    assert!(theirs.logging_configs.is_empty());
    assert_eq!(theirs.totals.map(|t| t.sobjects), Some(9));
    assert_eq!(theirs.created_at, Some(rs::Time(1_714_564_800)));

    let minimal = api::Account {
        description: None,
        organization: None,
        country: None,
        notification_pref: None,
        auth_config: None,
        created_at: None,
        custom_metadata: None,
        totals: None,
        state: None,
        auth_type: None,
        ..account()
    };
    let theirs: Vec<rs::Account> = via_json(&vec![minimal]);
    assert_eq!(theirs.len(), 1);

    let trial = api::SubscriptionType::Trial {
        expires_at: Some(at(2_000_000_000)),
    };
    let theirs: rs::SubscriptionType = via_json(&trial);
    assert_eq!(
        theirs,
        rs::SubscriptionType::Trial {
            expires_at: Some(rs::Time(2_000_000_000))
        }
    );
}

#[test]
fn account_requests_from_rs_decode() {
    let ours: api::AccountRequest = via_json(&rs::AccountRequest {
        name: Some("acme".into()),
        description: Some("d".into()),
        enabled: Some(false),
        notification_pref: Some(rs::NotificationPref::Both),
        subscription: Some(rs::SubscriptionType::OnPrem),
        ..Default::default()
    });
    assert_eq!(ours.name.as_deref(), Some("acme"));
    assert_eq!(ours.enabled, Some(false));
    assert_eq!(ours.notification_pref, Some(api::NotificationPref::Both));
    assert_eq!(ours.subscription, Some(api::SubscriptionType::OnPrem));
    assert_eq!(ours.country, None);
}

#[test]
fn groups_cross_both_ways() {
    let theirs: rs::Group = via_json(&api::Group {
        group_id: id(2),
        acct_id: id(1),
        name: "g".into(),
        created_at: at(1_714_564_800),
        creator: api::Principal::User(id(5)),
        description: None,
        approval_policy: None,
    });
    assert_eq!(
        (theirs.group_id, theirs.acct_id, theirs.name.as_str()),
        (id(2), id(1), "g")
    );
    assert_eq!(theirs.creator, rs::Principal::User(id(5)));

    let ours: api::GroupRequest = via_json(&rs::GroupRequest {
        name: Some("g".into()),
        description: Some("d".into()),
        approval_policy: None,
    });
    assert_eq!(
        (ours.name.as_deref(), ours.description.as_deref()),
        (Some("g"), Some("d"))
    );
}

fn app(groups: api::AppGroups) -> api::App {
    api::App {
        app_id: id(10),
        acct_id: id(1),
        name: "svc".into(),
        app_type: "default".into(),
        created_at: at(1_714_564_800),
        creator: api::Principal::User(id(5)),
        enabled: true,
        groups,
        description: None,
        default_group: Some(id(2)),
        auth_type: Some(api::AppAuthType::Secret),
        interface: None,
        lastused_at: Some(at(1_714_564_900)),
        oauth_config: None,
        cert_not_after: None,
    }
}

#[test]
fn apps_decode_in_rs_with_list_or_map_groups() {
    let theirs: rs::App = via_json(&app(api::AppGroups::List(vec![id(2), id(3)])));
    assert_eq!(theirs.app_id, id(10));
    assert_eq!(theirs.groups.get(&id(2)), Some(&None));
    assert_eq!(theirs.groups.len(), 2);

    let map = BTreeMap::from([(
        id(2),
        vec![api::AppPermission::Encrypt, api::AppPermission::Decrypt],
    )]);
    let theirs: rs::App = via_json(&app(api::AppGroups::Map(map)));
    assert_eq!(
        theirs.groups.get(&id(2)),
        Some(&Some(
            rs::AppPermissions::ENCRYPT | rs::AppPermissions::DECRYPT
        ))
    );

    let theirs: rs::AppCredentialResponse = via_json(&api::AppCredentialResponse {
        app_id: id(10),
        credential: api::AppCredential::Secret("s3cret".into()),
    });
    assert_eq!(
        theirs.credential,
        rs::AppCredential::Secret("s3cret".into())
    );
}

#[test]
fn app_requests_from_rs_decode() {
    let add = rs::AppGroups::from(HashMap::from([(
        id(2),
        Some(rs::AppPermissions::ENCRYPT | rs::AppPermissions::SIGN),
    )]));
    let ours: api::AppRequest = via_json(&rs::AppRequest {
        name: Some("svc".into()),
        add_groups: Some(add),
        del_groups: Some(HashSet::from([id(3)])),
        mod_groups: Some(rs::AppGroups::from(HashMap::from([(id(4), None)]))),
        credential: Some(rs::AppCredential::Secret("abc".into())),
        secret_size: Some(64),
        default_group: Some(id(2)),
        ..Default::default()
    });
    let add = ours.add_groups.unwrap();
    let perms = add.groups[&id(2)].clone().unwrap();
    assert!(
        perms.contains(&api::AppPermission::Encrypt) && perms.contains(&api::AppPermission::Sign)
    );
    assert_eq!(ours.del_groups, Some(vec![id(3)]));
    // Rs writes a group without permissions as `[]`.
    assert_eq!(ours.mod_groups.unwrap().groups[&id(4)], Some(vec![]));
    assert_eq!(
        ours.credential,
        Some(api::AppCredential::Secret("abc".into()))
    );
    assert_eq!(ours.secret_size, Some(64));

    let ours: api::ResetSecretRequest = via_json(&rs::AppResetSecretRequest {
        secret_size: Some(32),
    });
    assert_eq!(ours.secret_size, Some(32));
}

fn user() -> api::User {
    api::User {
        user_id: id(5),
        account_role: vec![
            api::UserAccountFlag::AccountAdministrator,
            api::UserAccountFlag::StateEnabled,
        ],
        groups: BTreeMap::from([
            (
                id(2),
                api::GroupRoleEntry(api::UserGroupRole::GroupAdministrator),
            ),
            (id(3), api::GroupRoleEntry(api::UserGroupRole::GroupAuditor)),
        ]),
        u2f_devices: vec![],
        user_email: Some("a@example.com".into()),
        first_name: Some("A".into()),
        last_name: None,
        email_verified: Some(true),
        has_password: Some(true),
        created_at: Some(at(1_714_564_800)),
        last_logged_in_at: None,
        description: None,
        new_email: None,
    }
}

#[test]
fn users_decode_in_rs() {
    let theirs: rs::User = via_json(&user());
    assert_eq!(theirs.user_id, id(5));
    assert_eq!(
        theirs.account_role,
        rs::UserAccountFlags::ACCOUNTADMINISTRATOR | rs::UserAccountFlags::STATEENABLED
    );
    assert_eq!(theirs.groups[&id(2)], rs::UserGroupRole::GroupAdministrator);
    assert_eq!(theirs.groups[&id(3)], rs::UserGroupRole::GroupAuditor);
    assert!(theirs.u2f_devices.is_empty());

    let accounts: api::UserAccounts = BTreeMap::from([(
        id(1),
        vec![
            api::UserAccountFlag::AccountAdministrator,
            api::UserAccountFlag::StateEnabled,
        ],
    )]);
    let theirs: HashMap<Uuid, rs::UserAccountFlags> = via_json(&accounts);
    assert!(theirs[&id(1)].contains(rs::UserAccountFlags::ACCOUNTADMINISTRATOR));
}

#[test]
fn user_requests_from_rs_decode() {
    let ours: api::UserRequest = via_json(&rs::UserRequest {
        user_email: Some("b@example.com".into()),
        account_role: Some(rs::UserAccountFlags::ACCOUNTMEMBER),
        add_groups: Some(HashMap::from([(id(2), rs::UserGroupRole::GroupAuditor)])),
        del_groups: Some(HashMap::from([(
            id(3),
            rs::UserGroupRole::GroupAdministrator,
        )])),
        enable: Some(true),
        ..Default::default()
    });
    assert_eq!(ours.user_email.as_deref(), Some("b@example.com"));
    assert_eq!(
        ours.account_role,
        Some(vec![api::UserAccountFlag::AccountMember])
    );
    assert_eq!(
        ours.add_groups.as_ref().unwrap()[&id(2)].0,
        api::UserGroupRole::GroupAuditor
    );
    assert_eq!(ours.del_groups, Some(vec![id(3)]));
    assert_eq!(ours.enable_flag(), Some(true));

    let ours: api::SignupRequest = via_json(&rs::SignupRequest {
        user_email: "c@example.com".into(),
        user_password: "pw".into(),
        recaptcha_response: None,
        first_name: Some("C".into()),
        last_name: None,
    });
    assert_eq!(
        (ours.user_email.as_str(), ours.user_password.as_str()),
        ("c@example.com", "pw")
    );

    let ours: api::ChangePasswordRequest = via_json(&rs::PasswordChangeRequest {
        current_password: "old".into(),
        new_password: "new".into(),
    });
    assert_eq!(ours.new_password.as_str(), "new");
    let ours: api::ResetPasswordRequest = via_json(&rs::PasswordResetRequest {
        reset_token: "t".into(),
        new_password: "n".into(),
    });
    assert_eq!(ours.reset_token, "t");
    let ours: api::ForgotPasswordRequest = via_json(&rs::ForgotPasswordRequest {
        user_email: "d@example.com".into(),
    });
    assert_eq!(ours.user_email, "d@example.com");
    let ours: api::ProcessInviteRequest = via_json(&rs::ProcessInviteRequest {
        accepts: Some(HashSet::from([id(1)])),
        rejects: None,
    });
    assert_eq!(ours.accepts, Some(vec![id(1)]));
}
