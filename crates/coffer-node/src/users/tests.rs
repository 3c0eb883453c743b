use super::*;
use crate::error::Failure;
use crate::fixtures::*;

fn request(json: serde_json::Value) -> wire::UserRequest {
    serde_json::from_value(json).expect("a valid user request")
}

fn status<T>(result: ServiceResult<T>) -> Option<Failure> {
    result.err().map(|e| e.failure())
}

#[test]
fn invited_users_await_a_password_and_show_it() {
    let mut user = User {
        id: UserId::from_u128(1),
        email: "new@example.com".into(),
        password_hash: invitation_hash().expect("hashing works"),
        sysadmin: false,
        first_name: None,
        last_name: None,
        description: None,
        created_at: coffer_core::UnixTime(0),
        memberships: BTreeMap::from([(
            ACCOUNT,
            Membership {
                roles: BTreeSet::from([AccountRole::Member]),
                groups: BTreeMap::new(),
            },
        )]),
        credential_generation: 0,
    };
    assert!(awaits_password(&user));
    let json = serde_json::to_value(view(&user, Some(ACCOUNT))).expect("serializes");
    assert_eq!(
        json["account_role"],
        serde_json::json!(["ACCOUNTMEMBER", "STATEENABLED", "PENDINGINVITE"])
    );
    assert_eq!(json["has_password"], false);
    user.password_hash = passwords::hash("Correct horse 9 battery").expect("hashing works");
    assert!(!awaits_password(&user));
    assert!(!awaits_password(&User {
        password_hash: String::new(),
        ..user
    }));
}

#[test]
fn users_render_groups_as_one_element_role_arrays_for_the_selected_account() {
    let mut world = World::new();
    let group = world.group(100, ACCOUNT);
    let id = world.user(
        10,
        &[AccountRole::Administrator],
        &[(group, GroupRole::Administrator)],
    );
    let user = world.state.user(id).expect("the user exists");
    let json = serde_json::to_value(view(user, Some(ACCOUNT))).expect("serializes");
    assert_eq!(
        json["groups"],
        serde_json::json!({ group.to_string(): ["GROUPADMINISTRATOR"] })
    );
    assert_eq!(
        json["account_role"],
        serde_json::json!(["ACCOUNTADMINISTRATOR", "STATEENABLED"])
    );
    assert_eq!(json["u2f_devices"], serde_json::json!([]));
    assert_eq!(json["user_email"], "user10@example.com");
    let elsewhere = serde_json::to_value(view(user, Some(OTHER))).expect("serializes");
    assert_eq!(
        (
            elsewhere["account_role"].clone(),
            elsewhere["groups"].clone()
        ),
        (serde_json::json!([]), serde_json::json!({}))
    );
}

#[test]
fn only_account_administrators_invite_and_only_into_their_groups() {
    let mut world = World::new();
    let group = world.group(100, ACCOUNT);
    let elsewhere = world.group(102, OTHER);
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let member = world.user(
        12,
        &[AccountRole::Member],
        &[(group, GroupRole::Administrator)],
    );
    let body = request(serde_json::json!({
        "user_email": "new@example.com",
        "account_role": ["ACCOUNTAUDITOR"],
        "add_groups": { group.to_string(): ["GROUPAUDITOR"] },
    }));
    let (account, membership) =
        plan_invitation(&world.state, &user_caller(admin), &body).expect("admins invite");
    assert_eq!(account, ACCOUNT);
    assert_eq!(membership.roles, BTreeSet::from([AccountRole::Auditor]));
    assert_eq!(
        membership.groups,
        BTreeMap::from([(group, GroupRole::Auditor)])
    );
    assert_eq!(
        status(plan_invitation(&world.state, &user_caller(member), &body)),
        Some(Failure::Forbidden)
    );
    assert_eq!(
        status(plan_invitation(
            &world.state,
            &sysadmin_caller(member),
            &body
        )),
        Some(Failure::Forbidden)
    );
    let foreign = request(
        serde_json::json!({"user_email": "x@example.com", "add_groups": { elsewhere.to_string(): "GroupAdministrator" }}),
    );
    assert_eq!(
        status(plan_invitation(&world.state, &user_caller(admin), &foreign)),
        Some(Failure::Invalid)
    );
    let plain = request(serde_json::json!({"user_email": "x@example.com"}));
    let (_, membership) =
        plan_invitation(&world.state, &user_caller(admin), &plain).expect("admins invite");
    assert_eq!(membership.roles, BTreeSet::from([AccountRole::Member]));
}

#[test]
fn users_change_their_names_and_administrators_their_roles() {
    let mut world = World::new();
    let group = world.group(100, ACCOUNT);
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let member = world.user(12, &[AccountRole::Member], &[]);
    let other = world.user(13, &[AccountRole::Member], &[]);
    let renamed = plan_update(
        &world.state,
        &user_caller(member),
        member,
        request(serde_json::json!({"first_name": "Ada"})),
    )
    .expect("users rename themselves");
    assert_eq!(renamed.first_name.as_deref(), Some("Ada"));
    let promote = || {
        request(serde_json::json!({
            "account_role": ["ACCOUNTADMINISTRATOR"],
            "add_groups": { group.to_string(): ["GROUPADMINISTRATOR"] },
        }))
    };
    assert_eq!(
        status(plan_update(
            &world.state,
            &user_caller(member),
            member,
            promote()
        )),
        Some(Failure::Forbidden)
    );
    let rename_other = request(serde_json::json!({"first_name": "Eve"}));
    assert_eq!(
        status(plan_update(
            &world.state,
            &user_caller(member),
            other,
            rename_other
        )),
        Some(Failure::Forbidden)
    );
    let promoted = plan_update(&world.state, &user_caller(admin), member, promote())
        .expect("admins set roles");
    let membership = &promoted.memberships[&ACCOUNT];
    assert_eq!(
        membership.roles,
        BTreeSet::from([AccountRole::Administrator])
    );
    assert_eq!(
        membership.groups,
        BTreeMap::from([(group, GroupRole::Administrator)])
    );
    for refused in [
        serde_json::json!({"user_password": "Another password 1"}),
        serde_json::json!({"user_email": "someone@else.example"}),
        serde_json::json!({"enable": false}),
        serde_json::json!({"mod_groups": { group.to_string(): "GROUPAUDITOR" }}),
    ] {
        assert_eq!(
            status(plan_update(
                &world.state,
                &user_caller(admin),
                member,
                request(refused)
            )),
            Some(Failure::Invalid)
        );
    }
}

#[test]
fn an_account_keeps_its_last_administrator() {
    let mut world = World::new();
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let member = world.user(12, &[AccountRole::Member], &[]);
    let demote = request(serde_json::json!({"account_role": ["ACCOUNTMEMBER"]}));
    assert_eq!(
        status(plan_update(
            &world.state,
            &user_caller(admin),
            admin,
            demote.clone()
        )),
        Some(Failure::Conflict)
    );
    assert_eq!(
        status(plan_leave(&world.state, &user_caller(admin), admin)),
        Some(Failure::Conflict)
    );
    assert_eq!(
        status(plan_delete_self(&world.state, &user_caller(admin))),
        Some(Failure::Conflict)
    );
    let left =
        plan_leave(&world.state, &user_caller(admin), member).expect("admins remove members");
    assert!(left.memberships.is_empty());
    assert!(
        plan_leave(&world.state, &user_caller(member), member).is_ok(),
        "members may leave"
    );
    assert_eq!(
        status(plan_leave(&world.state, &user_caller(member), admin)),
        Some(Failure::Forbidden)
    );
    world.user(11, &[AccountRole::Administrator], &[]);
    assert!(plan_update(&world.state, &user_caller(admin), admin, demote).is_ok());
    assert!(plan_delete_self(&world.state, &user_caller(admin)).is_ok());
}

#[test]
fn the_last_sysadmin_cannot_delete_itself() {
    let mut world = World::new();
    let root = world.user(10, &[], &[]);
    let mut record = world.state.user(root).cloned().expect("the user exists");
    record.sysadmin = true;
    world.apply(Command::UpdateUser(record));
    assert_eq!(
        status(plan_delete_self(&world.state, &sysadmin_caller(root))),
        Some(Failure::Conflict)
    );
}

#[test]
fn listing_is_scoped_to_the_account_unless_a_sysadmin_asks_for_all() {
    let mut world = World::new();
    let group = world.group(100, ACCOUNT);
    let member = world.user(12, &[AccountRole::Member], &[(group, GroupRole::Auditor)]);
    let admin = world.user(10, &[AccountRole::Administrator], &[]);
    let stranger = world.user(13, &[], &[]);
    let ids = |caller: Caller, query: &str| -> ServiceResult<Vec<UserId>> {
        let params: wire::ListUsersParams = coffer_api::parse_query(query).expect("valid query");
        select(&world.state, &caller, &params)
            .map(|(users, _)| users.iter().map(|u| u.id).collect())
    };
    assert_eq!(ids(user_caller(member), "").ok(), Some(vec![admin, member]));
    assert_eq!(
        ids(user_caller(member), &format!("group_id={group}")).ok(),
        Some(vec![member])
    );
    assert_eq!(
        ids(user_caller(admin), "sort=user_id:desc&limit=1").ok(),
        Some(vec![member])
    );
    assert_eq!(
        status(ids(user_caller(stranger), "")),
        Some(Failure::NotFound)
    );
    assert_eq!(
        status(ids(user_caller(admin), "all_customers=true")),
        Some(Failure::Forbidden)
    );
    assert_eq!(
        ids(sysadmin_caller(stranger), "all_customers=True").ok(),
        Some(vec![admin, member, stranger])
    );
    assert!(find(&world.state, &user_caller(stranger), member).is_err());
    assert!(find(&world.state, &user_caller(stranger), stranger).is_ok());
}

#[test]
fn emails_are_checked_and_trimmed() {
    assert_eq!(
        checked_email(" a.b@example.com ").ok().as_deref(),
        Some("a.b@example.com")
    );
    for bad in [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b@c",
        "a b@example.com",
        "a:b@example.com",
    ] {
        assert_eq!(status(checked_email(bad)), Some(Failure::Invalid), "{bad}");
    }
}
