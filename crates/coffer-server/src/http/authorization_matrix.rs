//! The authorization matrix: every route of the API (enumerated from [`super::routes`]) × every
//! kind of caller → the status it gets, checked against `authorization.table`, which is the
//! specification. A route missing from the table, a row for a route that no longer exists, or
//! any cell that differs fails the test, which then prints the whole table as measured.
//!
//! Each row runs against a node of its own (a real single-node cluster on a temporary store,
//! the real router and middleware), so what one caller's request changes cannot touch the
//! others' rows. Requests carry valid bodies for account A's objects, so a refusal is the
//! authorization's, not the parser's. Rows that destroy their target (`DELETE`, secret
//! resets, revocations) get a new target for each caller.

use super::listener_addr;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_core::{
    AccountRole, AppId, AppPermission, Command, Creator, GroupId, GroupRole, Membership, User,
    UserId,
};
use coffer_node::Node;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;
use uuid::Uuid;

/// The callers, in the table's column order.
const CALLERS: [&str; 11] = [
    "none", "app_a", "app_b", "app_off", "admin_a", "member_a", "gadmin_a", "gaudit_a", "audit_a",
    "sysadmin", "stale_a",
];

const TABLE: &str = include_str!("authorization.table");
const PASSWORD: &str = "Matrix-passw0rd-long";

/// One node with account A (group A, app A and its keys, users in every role), account B
/// (an app), and the credentials of every caller.
struct World {
    node: Arc<Node>,
    router: axum::Router,
    _dir: tempfile::TempDir,
    auth: BTreeMap<&'static str, Option<String>>,
    account_a: Uuid,
    group_a: Uuid,
    app_a: Uuid,
    admin_session: String,
    target_user: Uuid,
    aes: Key,
    ec: Key,
    hmac: Key,
}

#[derive(Clone)]
struct Key {
    kid: Uuid,
    name: String,
}

/// One argon2 hash of [`PASSWORD`] for every user of every world.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| coffer_node::passwords::hash(PASSWORD).expect("hashing"))
        .clone()
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = coffer_store::Store::open(&dir.path().join("coffer.redb")).expect("store");
        let vault = coffer_node::vault::Vault::generate().expect("master key");
        let audit = coffer_node::audit::AuditSink::start(store.audit());
        let cluster = coffer_cluster::Cluster::start_single(store, 1, "127.0.0.1:1".into())
            .await
            .expect("cluster");
        let node = Arc::new(Node::new(cluster, vault, audit).expect("node"));
        let dev = coffer_node::dev::ensure_principals(&node)
            .await
            .expect("principals");
        let router = super::router(
            node.clone(),
            Arc::new(crate::net::log_filter::LogFilter::new(
                node.settings.clone(),
            )),
        );
        let account_a = dev.account_id.uuid();
        let group_a = dev.group_id.uuid();
        let mut world = Self {
            node,
            router,
            _dir: dir,
            auth: BTreeMap::new(),
            account_a,
            group_a,
            app_a: dev.app_id.uuid(),
            admin_session: String::new(),
            target_user: Uuid::nil(),
            aes: Key {
                kid: Uuid::nil(),
                name: String::new(),
            },
            ec: Key {
                kid: Uuid::nil(),
                name: String::new(),
            },
            hmac: Key {
                kid: Uuid::nil(),
                name: String::new(),
            },
        };
        let app_a = format!("Basic {}", dev.api_key);
        world.auth.insert("none", None);
        world.auth.insert("app_a", Some(app_a.clone()));

        // Account B and its app; a disabled app in account A.
        let account_b = world.account(&format!("B-{}", Uuid::new_v4())).await;
        let group_b = world.group(account_b).await;
        let app_b = world.app(account_b, group_b, true).await;
        world.auth.insert("app_b", Some(app_b));
        let app_off = world.app(dev.account_id, dev.group_id, false).await;
        world.auth.insert("app_off", Some(app_off));

        // Users of account A in every role, a sysadmin outside it, and a stale session.
        let roles: [(&str, AccountRole, Option<GroupRole>); 7] = [
            ("admin_a", AccountRole::Administrator, None),
            ("member_a", AccountRole::Member, None),
            (
                "gadmin_a",
                AccountRole::Member,
                Some(GroupRole::Administrator),
            ),
            ("gaudit_a", AccountRole::Member, Some(GroupRole::Auditor)),
            ("audit_a", AccountRole::Auditor, None),
            ("stale_a", AccountRole::Administrator, None),
            ("target", AccountRole::Member, None),
        ];
        for (name, role, group_role) in roles {
            let membership = Membership {
                roles: BTreeSet::from([role]),
                groups: group_role
                    .map(|r| BTreeMap::from([(dev.group_id, r)]))
                    .unwrap_or_default(),
            };
            let id = world
                .user(name, false, BTreeMap::from([(dev.account_id, membership)]))
                .await;
            if name == "target" {
                world.target_user = id.uuid();
            } else {
                let session = world.login(name);
                world.auth.insert(name, Some(session));
            }
        }
        world.user("sysadmin", true, BTreeMap::new()).await;
        let session = world.login("sysadmin");
        world.auth.insert("sysadmin", Some(session));
        world.admin_session = world.auth["admin_a"].clone().expect("admin session");
        world.invalidate("stale_a").await;

        world.aes = world
            .key(json!({"obj_type": "AES", "key_size": 256,
            "key_ops": ["ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "EXPORT", "APPMANAGEABLE"]}))
            .await;
        world.ec = world
            .key(json!({"obj_type": "EC", "elliptic_curve": "NistP256",
            "key_ops": ["SIGN", "VERIFY", "EXPORT", "APPMANAGEABLE"]}))
            .await;
        world.hmac = world
            .key(json!({"obj_type": "HMAC", "key_size": 256,
            "key_ops": ["MACGENERATE", "MACVERIFY", "EXPORT", "APPMANAGEABLE"]}))
            .await;
        world
    }

    /// Sends a request as `auth`; the status and the JSON body (or null).
    async fn call(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(listener_addr()));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// A request that must succeed, as app A or the admin of A.
    async fn must(&self, method: &str, path: &str, auth: &str, body: Option<&Value>) -> Value {
        let (status, answer) = self.call(method, path, Some(auth), body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        answer
    }

    fn app_a_auth(&self) -> String {
        self.auth["app_a"].clone().expect("app A")
    }

    async fn account(&self, name: &str) -> coffer_core::AccountId {
        let id = coffer_core::AccountId::new(Uuid::new_v4());
        self.node
            .propose(Command::CreateAccount(coffer_core::Account::new(
                id,
                name,
                coffer_node::now(),
            )))
            .await
            .expect("account");
        id
    }

    async fn group(&self, account: coffer_core::AccountId) -> GroupId {
        let id = GroupId::new(Uuid::new_v4());
        self.node
            .propose(Command::CreateGroup(coffer_core::Group {
                id,
                account,
                name: format!("group-{id}"),
                description: None,
                created_at: coffer_node::now(),
                creator: Creator::App(AppId::new(self.app_a)),
            }))
            .await
            .expect("group");
        id
    }

    /// An app with every permission in `group`; its `Authorization` value.
    async fn app(&self, account: coffer_core::AccountId, group: GroupId, enabled: bool) -> String {
        let id = AppId::new(Uuid::new_v4());
        let secret = coffer_node::app_secrets::generate_secret(32).expect("secret");
        self.node
            .propose(Command::CreateApp(coffer_core::App {
                id,
                account,
                name: format!("app-{id}"),
                description: None,
                app_type: "default".into(),
                created_at: coffer_node::now(),
                creator: Creator::App(AppId::new(self.app_a)),
                enabled,
                groups: BTreeMap::from([(group, AppPermission::ALL.into_iter().collect())]),
                default_group: Some(group),
                secret: self
                    .node
                    .seal(
                        coffer_node::vault::Purpose::Record(id.uuid()),
                        secret.as_bytes(),
                    )
                    .expect("seal"),
                secret_digest: self
                    .node
                    .app_secret_digest(secret.as_bytes())
                    .expect("digest"),
                client_certificate: None,
                credential_generation: 0,
            }))
            .await
            .expect("app");
        format!("Basic {}", B64.encode(format!("{id}:{secret}")))
    }

    async fn user(
        &self,
        name: &str,
        sysadmin: bool,
        memberships: BTreeMap<coffer_core::AccountId, Membership>,
    ) -> UserId {
        let id = UserId::new(Uuid::new_v4());
        self.node
            .propose(Command::CreateUser(User {
                id,
                email: format!("{name}@matrix.test"),
                password_hash: password_hash(),
                sysadmin,
                first_name: None,
                last_name: None,
                description: None,
                created_at: coffer_node::now(),
                memberships,
                credential_generation: 0,
            }))
            .await
            .expect("user");
        id
    }

    /// A session for user `name`, as a password login starts it (the login route itself is a
    /// row of the table; here the password hash is skipped to keep the worlds cheap).
    fn login(&self, name: &str) -> String {
        let user = self
            .node
            .cluster
            .state()
            .read()
            .user_by_email(&format!("{name}@matrix.test"))
            .cloned()
            .expect("user");
        let caller = coffer_node::caller::Caller {
            principal: coffer_node::caller::Principal::User(user.id),
            account: coffer_node::auth::only_account(&user),
            sysadmin: user.sysadmin,
            session: None,
        };
        let (token, _) = self.node.start_session(&caller).expect("a session");
        format!("Bearer {token}")
    }

    /// Gives user `name` a new password behind its session's back.
    async fn invalidate(&self, name: &str) {
        let state = self.node.cluster.state();
        let mut user = state
            .read()
            .user_by_email(&format!("{name}@matrix.test"))
            .cloned()
            .expect("user");
        user.password_hash = coffer_node::passwords::DUMMY_HASH.to_owned();
        self.node
            .propose(Command::UpdateUser(user))
            .await
            .expect("update");
    }

    async fn key(&self, mut request: Value) -> Key {
        let name = format!("key-{}", Uuid::new_v4());
        request["name"] = json!(name);
        let answer = self
            .must(
                "POST",
                "/crypto/v1/keys",
                &self.app_a_auth(),
                Some(&request),
            )
            .await;
        Key {
            kid: answer["kid"].as_str().expect("kid").parse().expect("uuid"),
            name,
        }
    }
}

/// A route's request for account A's objects: the concrete path and a valid body.
async fn request_for(world: &World, method: &str, path: &str) -> (String, Option<Value>) {
    let data = B64.encode(b"sixteen byte msg");
    let kid_for = |path: &str| {
        if path.contains("/sign") || path.contains("/verify") || path.ends_with("/private") {
            world.ec.kid
        } else if path.contains("/mac") {
            world.hmac.kid
        } else {
            world.aes.kid
        }
    };
    // Rows that destroy their target get one of their own.
    let kid = match (method, path) {
        ("DELETE", "/crypto/v1/keys/{kid}") | ("POST", "/crypto/v1/keys/{kid}/revoke") => {
            world.key(json!({"obj_type": "AES", "key_size": 128, "key_ops": ["ENCRYPT", "APPMANAGEABLE"]})).await.kid
        }
        ("DELETE", "/crypto/v1/keys/{kid}/private") => {
            world.key(json!({"obj_type": "EC", "elliptic_curve": "NistP256", "key_ops": ["SIGN", "VERIFY", "APPMANAGEABLE"]})).await.kid
        }
        _ => kid_for(path),
    };
    let group = match (method, path) {
        ("DELETE", "/sys/v1/groups/{id}") => world
            .group(coffer_core::AccountId::new(world.account_a))
            .await
            .uuid(),
        _ => world.group_a,
    };
    let app_id = match (method, path) {
        ("DELETE", "/sys/v1/apps/{id}") | ("POST", "/sys/v1/apps/{id}/reset_secret") => {
            let auth = world
                .app(
                    coffer_core::AccountId::new(world.account_a),
                    GroupId::new(world.group_a),
                    true,
                )
                .await;
            let decoded = B64.decode(auth.trim_start_matches("Basic ")).expect("b64");
            let text = String::from_utf8(decoded).expect("utf8");
            text.split(':').next().expect("id").parse().expect("uuid")
        }
        _ => world.app_a,
    };
    let id = if path.starts_with("/sys/v1/accounts/") {
        world.account_a
    } else if path.starts_with("/sys/v1/groups/") {
        group
    } else if path.starts_with("/sys/v1/apps/") {
        app_id
    } else {
        world.target_user
    };
    let concrete = path
        .replace("{kid}", &kid.to_string())
        .replace("{id}", &id.to_string());
    let unique = Uuid::new_v4();
    let body = match (method, path) {
        ("POST", "/sys/v1/accounts") => Some(json!({"name": format!("acct-{unique}")})),
        ("PATCH", "/sys/v1/accounts/{id}")
        | ("PATCH", "/sys/v1/groups/{id}")
        | ("PATCH", "/sys/v1/apps/{id}")
        | ("PATCH", "/crypto/v1/keys/{kid}") => Some(json!({"description": "changed"})),
        ("POST", "/sys/v1/groups") => Some(json!({"name": format!("group-{unique}")})),
        ("POST", "/sys/v1/apps") => Some(json!({"name": format!("app-{unique}"),
            "default_group": world.group_a, "add_groups": {world.group_a.to_string(): ["ENCRYPT"]}})),
        ("POST", "/sys/v1/apps/{id}/reset_secret") => Some(json!({})),
        ("POST", "/sys/v1/users") => {
            Some(json!({"user_email": format!("new-{unique}@matrix.test"),
            "user_password": PASSWORD}))
        }
        ("POST", "/sys/v1/users/invite") => {
            Some(json!({"user_email": format!("inv-{unique}@matrix.test"),
            "account_role": ["ACCOUNTMEMBER"]}))
        }
        ("POST", "/sys/v1/users/change_password") => Some(json!({"current_password": PASSWORD,
            "new_password": "Another-matrix-passw0rd"})),
        ("PATCH", "/sys/v1/users/{id}") => Some(json!({"first_name": "Changed"})),
        ("POST", "/sys/v1/session/select_account") => Some(json!({"acct_id": world.account_a})),
        ("POST", "/crypto/v1/keys") => {
            Some(json!({"name": format!("new-{unique}"), "obj_type": "AES",
            "key_size": 256, "group_id": world.group_a}))
        }
        ("PUT", "/crypto/v1/keys") => {
            Some(json!({"name": format!("imp-{unique}"), "obj_type": "AES",
            "value": B64.encode([9u8; 32]), "group_id": world.group_a}))
        }
        ("POST", "/crypto/v1/keys/info") | ("POST", "/crypto/v1/keys/export") => {
            Some(json!({"kid": world.aes.kid}))
        }
        ("POST", "/crypto/v1/keys/rekey") => Some(json!({"name": world.aes.name})),
        ("POST", "/crypto/v1/keys/{kid}/revoke") => Some(json!({"code": "Unspecified"})),
        ("POST", "/crypto/v1/keys/{kid}/activate") => None,
        ("POST", "/crypto/v1/digest") => Some(json!({"alg": "SHA256", "data": data})),
        ("POST", _) if crypto_operation(path).is_some() => {
            let (operation, descriptor) = crypto_operation(path).expect("matched");
            let mut body = crypto_body(world, operation, &unique.to_string()).await;
            // The descriptor form names the key in the body; the path form in the path.
            if descriptor {
                body["key"] = json!({"kid": kid_for(path)});
            }
            Some(body)
        }
        _ => None,
    };
    (concrete, body)
}

/// The crypto operation a path runs (`encrypt`, `sign`, …), and whether it names its key in
/// the body (`/crypto/v1/encrypt`) rather than in the path (`/crypto/v1/keys/{kid}/encrypt`).
fn crypto_operation(path: &str) -> Option<(&str, bool)> {
    const OPERATIONS: [&str; 8] = [
        "encrypt",
        "decrypt",
        "sign",
        "verify",
        "mac",
        "macverify",
        "wrapkey",
        "unwrapkey",
    ];
    let (operation, descriptor) = match path.strip_prefix("/crypto/v1/keys/{kid}/") {
        Some(operation) => (operation, false),
        None => (path.strip_prefix("/crypto/v1/")?, true),
    };
    OPERATIONS
        .contains(&operation)
        .then_some((operation, descriptor))
}

/// A valid body for `operation` on the world's key of the right type (key named in the path).
/// Inputs an operation needs from an earlier one (a ciphertext, a signature) are made as app A.
async fn crypto_body(world: &World, operation: &str, unique: &str) -> Value {
    let data = B64.encode(b"sixteen byte msg");
    let hash = B64.encode([7u8; 32]);
    let encrypt = json!({"alg": "AES", "mode": "CBC", "plain": data});
    let sign = json!({"hash_alg": "SHA256", "hash": hash});
    let mac = json!({"alg": "SHA256", "data": data});
    let wrap = json!({"alg": "AES", "mode": "KW", "kid": world.hmac.kid});
    let made_by_app = |operation: &str, kid: Uuid, body: &Value| {
        let (path, body) = (format!("/crypto/v1/keys/{kid}/{operation}"), body.clone());
        async move {
            world
                .must("POST", &path, &world.app_a_auth(), Some(&body))
                .await
        }
    };
    match operation {
        "encrypt" => encrypt,
        "decrypt" => {
            let sealed = made_by_app("encrypt", world.aes.kid, &encrypt).await;
            json!({"alg": "AES", "mode": "CBC", "cipher": sealed["cipher"], "iv": sealed["iv"]})
        }
        "sign" => sign,
        "verify" => {
            let signed = made_by_app("sign", world.ec.kid, &sign).await;
            json!({"hash_alg": "SHA256", "hash": hash, "signature": signed["signature"]})
        }
        "mac" => mac,
        "macverify" => {
            let made = made_by_app("mac", world.hmac.kid, &mac).await;
            json!({"alg": "SHA256", "data": data, "mac": made["mac"]})
        }
        "wrapkey" => wrap,
        "unwrapkey" => {
            let wrapped = made_by_app("wrapkey", world.aes.kid, &wrap).await;
            json!({"alg": "AES", "mode": "KW", "obj_type": "HMAC",
                "wrapped_key": wrapped["wrapped_key"], "name": format!("unwrapped-{unique}")})
        }
        other => panic!("no body for {other}"),
    }
}

/// The table as measured, one line per route.
fn render(rows: &[(String, Vec<u16>)]) -> String {
    let mut text = String::new();
    for (route, statuses) in rows {
        let cells: Vec<String> = statuses.iter().map(|s| format!("{s:>9}")).collect();
        text.push_str(&format!("{route:<44} |{}\n", cells.join("")));
    }
    text
}

/// The rows of the table file: route → statuses.
fn expected() -> BTreeMap<String, Vec<u16>> {
    TABLE
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (route, cells) = line
                .split_once('|')
                .expect("a | between route and statuses");
            let statuses = cells
                .split_whitespace()
                .map(|cell| cell.parse().expect("a status"))
                .collect::<Vec<u16>>();
            assert_eq!(statuses.len(), CALLERS.len(), "{line}");
            (
                route.split_whitespace().collect::<Vec<_>>().join(" "),
                statuses,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_caller_as_the_table_says() {
    let routes = super::routes();
    let mut measured = Vec::new();
    for route in routes.listed() {
        let fresh_world_per_caller =
            route.method == "DELETE" && route.path == "/sys/v1/accounts/{id}";
        let mut world = World::new().await;
        let mut statuses = Vec::new();
        for caller in CALLERS {
            if fresh_world_per_caller {
                world = World::new().await;
            }
            let (path, body) = request_for(&world, route.method, route.path).await;
            let auth = world.auth[caller].clone();
            let (status, _) = world
                .call(route.method, &path, auth.as_deref(), body.as_ref())
                .await;
            statuses.push(status);
        }
        measured.push((format!("{} {}", route.method, route.path), statuses));
    }
    let expected = expected();
    let actual: BTreeMap<String, Vec<u16>> = measured.iter().cloned().collect();
    let header = format!(
        "{:<44} |{}\n",
        "# route",
        CALLERS
            .iter()
            .map(|c| format!("{c:>9}"))
            .collect::<String>()
    );
    let mut problems = Vec::new();
    for (route, statuses) in &actual {
        match expected.get(route) {
            None => problems.push(format!("{route}: not in the table")),
            Some(want) if want != statuses => {
                for ((caller, want), got) in CALLERS.iter().zip(want).zip(statuses) {
                    if want != got {
                        problems.push(format!(
                            "{route} as {caller}: the table says {want}, the server answered {got}"
                        ));
                    }
                }
            }
            Some(_) => {}
        }
    }
    for route in expected.keys() {
        if !actual.contains_key(route) {
            problems.push(format!(
                "{route}: in the table, but the router has no such route"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\nmeasured:\n{header}{}",
        problems.join("\n"),
        render(&measured)
    );
}
