//! The audit log: `GET /sys/v1/logs` (dsm-api.md §7; §10 item 26). The official Rust client has
//! no call for it, so these tests read it raw with a user session, as the CLI does.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use coffer_compat_tests::clients;
use coffer_compat_tests::data::unique_name;
use coffer_compat_tests::keys::{self, by_kid, kid};
use coffer_compat_tests::raw::{self, bearer};
use coffer_compat_tests::wire::{is_lower_uuid, is_rfc3339};
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::api_model::*;
use serde_json::Value;

/// How long an audited action may take to show up in `GET /sys/v1/logs`.
const AUDIT_DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn audit_log_returns_hits_with_source_client_ip_and_response_time() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let app = clients::app_with_api_key(&server)?;

    eprintln!("--- the app creates a key and encrypts with it");
    let key = app.create_sobject(&keys::generate(
        &unique_name("audited"),
        ObjectType::Aes,
        256,
    ))?;
    let key_id = kid(&key)?.to_string();
    app.encrypt(&keys::aes_encrypt(kid(&key)?, CipherMode::Cbc, b"audit me"))?;

    eprintln!("--- the sysadmin reads the log");
    let admin = clients::sysadmin_session(&server)?;
    let hits = logs_until(
        &server,
        &bearer(&admin)?,
        "a CRYPTOOPERATION entry",
        |hits| {
            hits.iter().any(|hit| {
                hit["_source"]["object_id"] == key_id.as_str()
                    && hit["_source"]["action_type"] == "CRYPTOOPERATION"
            })
        },
    )?;
    for hit in &hits {
        check_hit(hit)?;
    }

    eprintln!("--- the encryption is there: crypto operation by the app on the key");
    let crypto = hits
        .iter()
        .map(|hit| &hit["_source"])
        .find(|source| {
            source["object_id"] == key_id.as_str() && source["action_type"] == "CRYPTOOPERATION"
        })
        .with_context(|| format!("no CRYPTOOPERATION entry for {key_id}"))?;
    ensure!(crypto["actor_type"] == "App", "actor_type: {crypto}");
    ensure!(
        crypto["actor_id"] == credentials.app_id.as_str(),
        "actor_id: {crypto}"
    );
    ensure!(
        crypto["acct_id"] == credentials.account_id.as_str(),
        "acct_id: {crypto}"
    );
    ensure!(
        crypto["group_ids"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id == credentials.group_id.as_str())),
        "group_ids: {crypto}"
    );
    ensure!(
        crypto["client_ip"]
            .as_str()
            .is_none_or(|ip| ip == "127.0.0.1"),
        "client_ip of a loopback client: {crypto}"
    );
    Ok(())
}

#[test]
fn audit_log_honours_size_range_and_previous_id() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let started = unix_now()?;

    eprintln!("--- some activity");
    for i in 0..4 {
        let key = app.create_sobject(&keys::generate(
            &unique_name(&format!("paged{i}")),
            ObjectType::Aes,
            128,
        ))?;
        app.encrypt(&keys::aes_encrypt(kid(&key)?, CipherMode::Cbc, b"page"))?;
    }
    let admin = clients::sysadmin_session(&server)?;
    let authorization = bearer(&admin)?;
    let all = logs_until(&server, &authorization, "8 entries", |hits| hits.len() >= 8)?;

    eprintln!("--- size");
    ensure!(
        logs(&server, &authorization, "size=1")?.len() == 1,
        "size=1"
    );
    ensure!(
        logs(&server, &authorization, "size=3")?.len() == 3,
        "size=3"
    );

    eprintln!("--- range_from and range_to (Unix seconds)");
    let now = unix_now()?;
    let future = logs(
        &server,
        &authorization,
        &format!("size=1000&range_from={}", now + 3600),
    )?;
    ensure!(
        future.is_empty(),
        "nothing happened in the future: {future:?}"
    );
    let past = logs(
        &server,
        &authorization,
        &format!("size=1000&range_to={}", started - 86_400),
    )?;
    ensure!(
        past.is_empty(),
        "nothing happened before the server existed: {past:?}"
    );
    let window = logs(
        &server,
        &authorization,
        &format!(
            "size=1000&range_from={}&range_to={}",
            started - 60,
            now + 60
        ),
    )?;
    ensure!(
        window.len() >= all.len(),
        "the window covers everything so far"
    );

    eprintln!("--- previous_id pages through everything once, as the CLI does");
    let mut seen = HashSet::new();
    let mut query = "size=2".to_owned();
    for _ in 0..1000 {
        let page = logs(&server, &authorization, &query)?;
        if page.is_empty() {
            break;
        }
        ensure!(page.len() <= 2, "page larger than size");
        for hit in &page {
            let id = hit["_id"].as_str().context("hit without _id")?.to_owned();
            ensure!(seen.insert(id.clone()), "{id} appeared on two pages");
        }
        let last = page[page.len() - 1]["_id"].as_str().unwrap_or_default();
        query = format!("size=2&previous_id={last}");
    }
    for hit in &all {
        let id = hit["_id"].as_str().unwrap_or_default();
        ensure!(seen.contains(id), "{id} was never reached by paging");
    }
    Ok(())
}

#[test]
fn exports_and_administrative_actions_are_audited() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let admin = clients::sysadmin_session(&server)?;
    let authorization = bearer(&admin)?;

    eprintln!("--- export a key");
    let key = app.create_sobject(&keys::with_ops(
        keys::generate(&unique_name("exported"), ObjectType::Aes, 256),
        KeyOperations::ENCRYPT | KeyOperations::EXPORT,
    ))?;
    let key_id = kid(&key)?;
    let names_key = |hit: &Value| hit["_source"]["object_id"] == key_id.to_string().as_str();
    let before: HashSet<String> =
        logs_until(&server, &authorization, "the key's creation", |hits| {
            hits.iter().any(names_key)
        })?
        .iter()
        .filter(|hit| names_key(hit))
        .filter_map(|hit| hit["_id"].as_str().map(str::to_owned))
        .collect();
    app.export_sobject(&by_kid(key_id))?;
    logs_until(&server, &authorization, "an entry for the export", |hits| {
        hits.iter()
            .any(|hit| names_key(hit) && hit["_id"].as_str().is_some_and(|id| !before.contains(id)))
    })?;

    eprintln!("--- create a group");
    let group = admin.create_group(&GroupRequest {
        name: Some(unique_name("audited-group")),
        ..Default::default()
    })?;
    let group_id = group.group_id.to_string();
    let admin_id = admin.entity_id().context("no entity id")?.to_string();
    let is_group_entry = |source: &Value| {
        source["action_type"] == "ADMINISTRATIVE" && source["object_id"] == group_id.as_str()
    };
    let entries = logs_until(&server, &authorization, "the group's creation", |hits| {
        hits.iter().any(|hit| is_group_entry(&hit["_source"]))
    })?;
    let admin_entry = entries
        .iter()
        .map(|hit| &hit["_source"])
        .find(|source| is_group_entry(source))
        .context("no ADMINISTRATIVE entry naming the group")?;
    ensure!(
        admin_entry["actor_id"] == admin_id.as_str(),
        "actor_id: {admin_entry}"
    );
    ensure!(
        admin_entry["actor_type"] == "User",
        "actor_type: {admin_entry}"
    );

    eprintln!("--- a failed login is audited as AUTH");
    let auth_entries = |hits: &[Value]| {
        hits.iter()
            .filter(|hit| hit["_source"]["action_type"] == "AUTH")
            .count()
    };
    let before = auth_entries(&logs(&server, &authorization, "size=1000")?);
    let failed = clients::anonymous(&server)?
        .authenticate_user(&server.credentials().sysadmin_email, "wrong password");
    ensure!(failed.is_err(), "the wrong password logged in");
    let hits = logs_until(
        &server,
        &authorization,
        "an AUTH entry for the failed login",
        |hits| auth_entries(hits) > before,
    )?;
    eprintln!("--- filed under no account: a stranger cannot fill the account's log");
    let refusal = hits
        .iter()
        .map(|hit| &hit["_source"])
        .find(|source| source["action_type"] == "AUTH" && source["severity"] == "WARNING")
        .context("no AUTH warning for the failed login")?;
    // Entries of no account carry the nil id (DSM clients require a UUID there).
    ensure!(
        refusal["acct_id"].is_null()
            || refusal["acct_id"] == "00000000-0000-0000-0000-000000000000",
        "the failed login was filed under an account: {refusal}"
    );
    Ok(())
}

#[test]
fn every_read_of_an_opaque_value_is_audited() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let opaque = app.import_sobject(&keys::import(
        &unique_name("audited-opaque"),
        ObjectType::Opaque,
        b"a value worth a record",
    ))?;
    let opaque_kid = kid(&opaque)?;

    eprintln!("--- two plain reads of the object, each returning its value");
    for _ in 0..2 {
        let read = app.get_sobject(None, &by_kid(opaque_kid))?;
        ensure!(
            read.value.is_some(),
            "an exportable OPAQUE value is returned"
        );
    }

    eprintln!("--- and a read of a key whose value is never shown");
    let aes = app.create_sobject(&keys::generate(
        &unique_name("plain-read"),
        ObjectType::Aes,
        128,
    ))?;
    app.get_sobject(None, &by_kid(kid(&aes)?))?;

    eprintln!("--- each read has its own audit record naming the object");
    let admin = clients::sysadmin_session(&server)?;
    let authorization = bearer(&admin)?;
    let reads = |hits: &[Value]| {
        hits.iter()
            .filter(|hit| {
                let source = &hit["_source"];
                source["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("Read the value of key"))
                    && source["object_id"].as_str() == Some(opaque_kid.to_string().as_str())
            })
            .count()
    };
    let hits = logs_until(&server, &authorization, "two value reads", |hits| {
        reads(hits) == 2
    })?;

    eprintln!("--- a successful request is never recorded as failed");
    ensure!(
        hits.iter().any(|hit| hit["_source"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("POST /crypto/v1/keys/info answered 200"))),
        "no record of the plain read"
    );
    let misfiled: Vec<&Value> = hits
        .iter()
        .filter(|hit| {
            hit["_source"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("failed with 2"))
        })
        .collect();
    ensure!(
        misfiled.is_empty(),
        "successes recorded as failures: {misfiled:?}"
    );
    Ok(())
}

/// Polls `GET /sys/v1/logs?size=1000` until `done` holds: entries are written once the request
/// has been answered, so they may appear a moment later.
fn logs_until(
    server: &CofferServer,
    authorization: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Vec<Value>> {
    let deadline = Instant::now() + AUDIT_DEADLINE;
    loop {
        let hits = logs(server, authorization, "size=1000")?;
        if done(&hits) {
            return Ok(hits);
        }
        ensure!(
            Instant::now() < deadline,
            "no {what} in the audit log after {AUDIT_DEADLINE:?}; it holds {} entries",
            hits.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET /sys/v1/logs?{query}` → the `hits` array.
fn logs(server: &CofferServer, authorization: &str, query: &str) -> anyhow::Result<Vec<Value>> {
    let body = raw::json_ok(
        server,
        "GET",
        &format!("/sys/v1/logs?{query}"),
        authorization,
        None,
    )?;
    let hits = body
        .get("hits")
        .and_then(Value::as_array)
        .with_context(|| format!("logs must be {{\"hits\": [...]}}, got {body}"))?;
    Ok(hits.clone())
}

/// One hit: `{"_id", "_source": {…}}` with the fields the CLI reads.
fn check_hit(hit: &Value) -> anyhow::Result<()> {
    ensure!(
        hit["_id"].as_str().is_some_and(|id| !id.is_empty()),
        "hit without _id: {hit}"
    );
    let source = hit["_source"]
        .as_object()
        .with_context(|| format!("hit without _source object: {hit}"))?;
    for key in ["client_ip", "response_time"] {
        ensure!(
            source.contains_key(key),
            "_source lacks {key} (null is fine): {hit}"
        );
    }
    let one_of = |field: &str, allowed: &[&str]| -> anyhow::Result<()> {
        let value = source
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default();
        ensure!(
            allowed.contains(&value),
            "{field} {value:?} not in {allowed:?}: {hit}"
        );
        Ok(())
    };
    one_of(
        "action_type",
        &[
            "ADMINISTRATIVE",
            "AUTH",
            "CRYPTOOPERATION",
            "RUNPLUGIN",
            "CUSTOM",
            "OTHER",
        ],
    )?;
    one_of("severity", &["INFO", "WARNING", "ERROR", "CRITICAL"])?;
    one_of("actor_type", &["User", "App", "Plugin"])?;
    let time = source
        .get("time")
        .and_then(Value::as_str)
        .unwrap_or_default();
    ensure!(is_rfc3339(time), "time {time:?} is not RFC 3339");
    ensure!(
        source.get("message").is_some_and(Value::is_string),
        "message: {hit}"
    );
    if let Some(acct_id) = source.get("acct_id").and_then(Value::as_str) {
        ensure!(is_lower_uuid(acct_id), "acct_id {acct_id:?}");
    }
    if let Some(response_time) = source.get("response_time").filter(|v| !v.is_null()) {
        ensure!(
            response_time.get("secs").is_some_and(Value::is_u64)
                && response_time.get("nanos").is_some_and(Value::is_u64),
            "response_time is {{secs, nanos}}: {response_time}"
        );
    }
    Ok(())
}

fn unix_now() -> anyhow::Result<u64> {
    Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())
}
