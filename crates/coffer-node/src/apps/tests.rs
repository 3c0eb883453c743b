use super::*;
use crate::error::Failure;
use crate::fixtures::*;
use coffer_core::{AccountRole, GroupRole};

fn request(json: serde_json::Value) -> wire::AppRequest {
    serde_json::from_value(json).expect("a valid app request")
}

fn status<T>(result: ServiceResult<T>) -> Option<Failure> {
    result.err().map(|e| e.failure())
}

#[test]
fn groups_render_as_a_list_or_as_a_permission_map() {
    let mut world = World::new();
    let group = world.group(100, ACCOUNT);
    let id = world.app(200, ACCOUNT, &[group]);
    let mut app = world.state.app(id).cloned().expect("the app exists");
    app.groups.insert(
        group,
        BTreeSet::from([AppPermission::Encrypt, AppPermission::Decrypt]),
    );
    let list = serde_json::to_value(view(&app, false)).expect("serializes");
    assert_eq!(list["groups"], serde_json::json!([group.to_string()]));
    let map = serde_json::to_value(view(&app, true)).expect("serializes");
    assert_eq!(
        map["groups"],
        serde_json::json!({ group.to_string(): ["ENCRYPT", "DECRYPT"] })
    );
    assert_eq!(map["default_group"], group.to_string());
    assert!(map.get("secret").is_none() && map.get("credential").is_none());
}

#[test]
fn add_groups_as_a_list_grant_every_permission_and_as_a_map_what_is_listed() {
    let mut world = World::new();
    let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let listed =
        request(serde_json::json!({"name": "x", "add_groups": [a.to_string(), b.to_string()]}));
    let app = plan_create(
        &world.state,
        &user_caller(admin),
        listed,
        AppId::from_u128(9),
    )
    .expect("admins may create");
    assert!(
        app.groups
            .values()
            .all(|p| p.len() == AppPermission::ALL.len())
    );
    assert_eq!(
        app.default_group, None,
        "two groups and no default_group named"
    );
    let mapped = request(
        serde_json::json!({"name": "x", "add_groups": {a.to_string(): ["SIGN"], b.to_string(): null}}),
    );
    let app = plan_create(
        &world.state,
        &user_caller(admin),
        mapped,
        AppId::from_u128(9),
    )
    .expect("admins may create");
    assert_eq!(app.groups[&a], BTreeSet::from([AppPermission::Sign]));
    assert_eq!(app.groups[&b].len(), AppPermission::ALL.len());
    let single = request(serde_json::json!({"name": "x", "add_groups": [a.to_string()]}));
    let app = plan_create(
        &world.state,
        &user_caller(admin),
        single,
        AppId::from_u128(9),
    )
    .expect("admins may create");
    assert_eq!(app.default_group, Some(a));
}

#[test]
fn group_administrators_create_apps_only_in_groups_they_administer() {
    let mut world = World::new();
    let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
    let lead = world.user(
        12,
        &[AccountRole::Member],
        &[(a, GroupRole::Administrator), (b, GroupRole::Auditor)],
    );
    let caller = user_caller(lead);
    let own = request(serde_json::json!({"name": "x", "add_groups": [a.to_string()]}));
    assert!(plan_create(&world.state, &caller, own, AppId::from_u128(9)).is_ok());
    let both =
        request(serde_json::json!({"name": "x", "add_groups": [a.to_string(), b.to_string()]}));
    assert_eq!(
        status(plan_create(
            &world.state,
            &caller,
            both,
            AppId::from_u128(9)
        )),
        Some(Failure::Forbidden)
    );
    let none = request(serde_json::json!({"name": "x"}));
    assert_eq!(
        status(plan_create(
            &world.state,
            &caller,
            none,
            AppId::from_u128(9)
        )),
        Some(Failure::Forbidden)
    );
}

#[test]
fn unknown_groups_and_a_stray_default_group_are_bad_requests() {
    let mut world = World::new();
    let a = world.group(100, ACCOUNT);
    let elsewhere = world.group(102, OTHER);
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let caller = user_caller(admin);
    let foreign = request(serde_json::json!({"name": "x", "add_groups": [elsewhere.to_string()]}));
    assert_eq!(
        status(plan_create(
            &world.state,
            &caller,
            foreign,
            AppId::from_u128(9)
        )),
        Some(Failure::Invalid)
    );
    let stray = request(
        serde_json::json!({"name": "x", "add_groups": [a.to_string()], "default_group": elsewhere.to_string()}),
    );
    assert_eq!(
        status(plan_create(
            &world.state,
            &caller,
            stray,
            AppId::from_u128(9)
        )),
        Some(Failure::Invalid)
    );
}

#[test]
fn updates_add_modify_and_remove_groups_and_keep_the_default_valid() {
    let mut world = World::new();
    let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let id = world.app(200, ACCOUNT, &[a]);
    let change = request(serde_json::json!({
        "add_groups": {b.to_string(): ["ENCRYPT"]},
        "del_groups": [a.to_string()],
        "enabled": false,
    }));
    let app =
        plan_update(&world.state, &user_caller(admin), id, change).expect("admins may change apps");
    assert_eq!(
        app.groups,
        BTreeMap::from([(b, BTreeSet::from([AppPermission::Encrypt]))])
    );
    assert_eq!(app.default_group, Some(b));
    assert!(!app.enabled);
    let stray = request(serde_json::json!({"mod_groups": {b.to_string(): ["SIGN"]}}));
    assert_eq!(
        status(plan_update(&world.state, &user_caller(admin), id, stray)),
        Some(Failure::Invalid)
    );
    let secret = request(serde_json::json!({"credential": {"secret": "0123456789abcdef0123"}}));
    assert_eq!(
        status(plan_update(&world.state, &user_caller(admin), id, secret)),
        Some(Failure::Invalid)
    );
}

#[test]
fn an_app_is_administered_by_whoever_administers_all_its_groups() {
    let mut world = World::new();
    let (a, b) = (world.group(100, ACCOUNT), world.group(101, ACCOUNT));
    let lead = world.user(
        12,
        &[AccountRole::Member],
        &[(a, GroupRole::Administrator), (b, GroupRole::Auditor)],
    );
    let auditor = world.user(11, &[AccountRole::Auditor], &[]);
    let in_a = world.app(200, ACCOUNT, &[a]);
    let in_both = world.app(201, ACCOUNT, &[a, b]);
    let in_none = world.app(202, ACCOUNT, &[]);
    let state = &world.state;
    let app = |id| state.app(id).expect("the app exists");
    assert!(administers(state, &user_caller(lead), app(in_a)));
    assert!(!administers(state, &user_caller(lead), app(in_both)));
    assert!(!administers(state, &user_caller(lead), app(in_none)));
    assert!(!administers(state, &user_caller(auditor), app(in_a)));
    assert!(visible(state, &user_caller(lead), app(in_both)));
    assert!(!visible(state, &user_caller(lead), app(in_none)));
    assert!(visible(state, &user_caller(auditor), app(in_none)));
    assert!(
        !visible(state, &app_caller(in_a), app(in_a)),
        "apps do not administer apps"
    );
}

#[test]
fn listing_filters_sorts_and_pages() {
    let mut world = World::new();
    let a = world.group(100, ACCOUNT);
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    for n in 0..5 {
        let groups = if n % 2 == 0 { vec![a] } else { Vec::new() };
        world.app(300 + n, ACCOUNT, &groups);
    }
    world.app(400, OTHER, &[]);
    let caller = user_caller(admin);
    let ids = |params: wire::ListAppsParams| -> Vec<u128> {
        select(&world.state, &caller, &params)
            .expect("listing works")
            .iter()
            .map(|a| a.id.uuid().as_u128())
            .collect()
    };
    assert_eq!(
        ids(wire::ListAppsParams::default()),
        vec![300, 301, 302, 303, 304]
    );
    let in_group = wire::ListAppsParams {
        group_id: Some(a.uuid()),
        ..Default::default()
    };
    assert_eq!(ids(in_group), vec![300, 302, 304]);
    let paged = coffer_api::parse_query("sort=app_id:desc&limit=2&offset=1").expect("valid query");
    assert_eq!(ids(paged), vec![303, 302]);
    let after = wire::ListAppsParams {
        start: Some(AppId::from_u128(301).to_string()),
        ..Default::default()
    };
    assert_eq!(ids(after), vec![302, 303, 304]);
    let too_many = wire::ListAppsParams {
        limit: Some(MAX_LIMIT + 1),
        ..Default::default()
    };
    assert_eq!(
        status(select(&world.state, &caller, &too_many)),
        Some(Failure::Invalid)
    );
}

/// A real certificate (DER), from the cluster CA maker.
fn certificate_der() -> Vec<u8> {
    let ca = coffer_crypto::tls::bootstrap_ca("app certificate").expect("a certificate");
    pem::parse(&ca.cert_pem).expect("valid PEM").into_contents()
}

fn b64(bytes: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}

#[test]
fn a_certificate_credential_pins_the_certificate_and_shows_as_certificate_auth() {
    let mut world = World::new();
    let a = world.group(100, ACCOUNT);
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let der = certificate_der();
    let created = request(serde_json::json!({
        "name": "x",
        "add_groups": [a.to_string()],
        "credential": {"certificate": b64(&der)},
    }));
    let app = plan_create(
        &world.state,
        &user_caller(admin),
        created,
        AppId::from_u128(9),
    )
    .expect("admins may create certificate apps");
    let (fingerprint, pinned) = app.certificate().expect("the certificate is pinned");
    assert_eq!(pinned, der.as_slice());
    assert_eq!(
        fingerprint.as_slice(),
        coffer_crypto::DigestAlgorithm::Sha256.digest(&der)
    );
    let shown = serde_json::to_value(view(&app, false)).expect("serializes");
    assert_eq!(shown["auth_type"], "Certificate");
    assert!(shown["cert_not_after"].is_string(), "{shown}");

    let secret_app = world.app(200, ACCOUNT, &[a]);
    let shown = serde_json::to_value(view(
        world.state.app(secret_app).expect("the app exists"),
        false,
    ))
    .expect("serializes");
    assert_eq!(shown["auth_type"], "Secret");
    assert!(shown.get("cert_not_after").is_none());

    let change = request(serde_json::json!({"credential": {"certificate": b64(&der)}}));
    let updated = plan_update(&world.state, &user_caller(admin), secret_app, change)
        .expect("an update may switch an app to certificate authentication");
    assert_eq!(updated.certificate().map(|(_, d)| d), Some(der.as_slice()));
    assert!(updated.secret.0.is_empty(), "the secret is gone");
}

#[test]
fn a_certificate_that_does_not_parse_is_a_bad_request_naming_the_field() {
    let mut world = World::new();
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let id = world.app(200, ACCOUNT, &[]);
    let mut trailing = certificate_der();
    trailing.push(0);
    for bytes in [b"not a certificate".to_vec(), trailing] {
        let bad = serde_json::json!({"credential": {"certificate": b64(&bytes)}});
        let mut created = bad.clone();
        created["name"] = "x".into();
        for result in [
            plan_create(
                &world.state,
                &user_caller(admin),
                request(created),
                AppId::from_u128(9),
            ),
            plan_update(&world.state, &user_caller(admin), id, request(bad)),
        ] {
            let error = result.expect_err("refused");
            assert_eq!(error.failure(), Failure::Invalid);
            assert!(
                error.to_string().contains("credential.certificate"),
                "{error}"
            );
        }
    }
}

#[test]
fn secrets_are_generated_or_checked() {
    assert_eq!(new_secret(None, None).expect("randomness").len(), 86);
    assert_eq!(status(new_secret(None, Some(8))), Some(Failure::Invalid));
    let given = wire::AppCredential::Secret("0123456789abcdef-given".into());
    assert_eq!(
        new_secret(Some(&given), None).ok().as_deref(),
        Some("0123456789abcdef-given")
    );
    let colon = wire::AppCredential::Secret("0123456789abcdef:colon".into());
    assert_eq!(
        status(new_secret(Some(&colon), None)),
        Some(Failure::Invalid)
    );
}
