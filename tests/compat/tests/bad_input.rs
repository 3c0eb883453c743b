//! Input handling on the wire: what must be refused (and leave no trace) and what must be
//! tolerated (dsm-api.md §1, §8; §10 items 8, 9, 25).

use anyhow::{Context, ensure};
use coffer_compat_tests::clients::{self, uuid};
use coffer_compat_tests::data::{b64, b64_unpadded, random_bytes, unique_name};
use coffer_compat_tests::expect::{expect_plain_error, expect_raw};
use coffer_compat_tests::keys::{self, kid};
use coffer_compat_tests::raw::{self, bearer, list_kids};
use coffer_compat_tests::wire::is_padded_b64;
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::api_model::*;
use serde_json::{Value, json};
use uuid::Uuid;

/// Larger than any body limit the server may set (DSM documents 512 KiB for digests); the
/// server must refuse it with 413 rather than buffer it.
const OVERSIZED_BODY_BYTES: usize = 8 * 1024 * 1024;

#[test]
fn malformed_json_is_400_and_writes_nothing() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let basic = credentials.basic_auth();
    let secret = credentials.app_secret()?;
    let admin = clients::sysadmin_session(&server)?;
    let groups_before = admin.list_groups()?.len();
    let before = list_kids(&server)?;

    for (method, path) in [
        ("POST", "/crypto/v1/keys"),
        ("PUT", "/crypto/v1/keys"),
        ("POST", "/crypto/v1/encrypt"),
        ("POST", "/crypto/v1/keys/info"),
    ] {
        for body in [
            &br#"{"name": "half", "obj_type": "AES","#[..],
            b"not json at all",
            b"{\"name\": \"x\"} trailing",
        ] {
            eprintln!(
                "--- {method} {path} with {:?}",
                String::from_utf8_lossy(body)
            );
            let response = raw::send_bytes(&server, method, path, &basic, body)?;
            expect_raw(&response, &[400])?;
            expect_plain_error(&response, &[&secret, &credentials.api_key])?;
        }
    }

    eprintln!("--- an admin endpoint refuses it too");
    let response = raw::send_bytes(
        &server,
        "POST",
        "/sys/v1/groups",
        &bearer(&admin)?,
        b"{\"name\":",
    )?;
    expect_raw(&response, &[400])?;

    eprintln!("--- nothing was written");
    ensure!(
        list_kids(&server)? == before,
        "a malformed request created a key"
    );
    ensure!(
        admin.list_groups()?.len() == groups_before,
        "a malformed request created a group"
    );
    Ok(())
}

#[test]
fn wrong_base64_is_400_and_writes_nothing() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate(&unique_name("b64"), ObjectType::Aes, 256))?;
    let before = list_kids(&server)?;

    eprintln!("--- import with a value that is not base64");
    let response = raw::send_json(
        &server,
        "PUT",
        "/crypto/v1/keys",
        &basic,
        &json!({"name": unique_name("bad-value"), "obj_type": "AES", "value": "***not base64***"}),
    )?;
    expect_raw(&response, &[400])?;
    expect_plain_error(&response, &[])?;

    eprintln!("--- encrypt with a plain that is not base64");
    let response = raw::send_json(
        &server,
        "POST",
        "/crypto/v1/encrypt",
        &basic,
        &json!({"key": {"kid": kid(&key)?}, "alg": "AES", "mode": "CBC", "plain": "%%%%"}),
    )?;
    expect_raw(&response, &[400])?;

    eprintln!("--- decrypt with an iv that is not base64");
    let response = raw::send_json(
        &server,
        "POST",
        "/crypto/v1/decrypt",
        &basic,
        &json!({"key": {"kid": kid(&key)?}, "alg": "AES", "mode": "CBC",
                "cipher": b64(&[0u8; 16]), "iv": "!!"}),
    )?;
    expect_raw(&response, &[400])?;

    eprintln!("--- nothing was written");
    ensure!(list_kids(&server)? == before, "a bad request created a key");
    Ok(())
}

#[test]
fn fields_of_the_wrong_type_or_value_are_400_and_write_nothing() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate(&unique_name("types"), ObjectType::Aes, 256))?;
    let key_id = kid(&key)?;
    let before = list_kids(&server)?;

    let create_bodies = [
        json!({"name": 5, "obj_type": "AES", "key_size": 256}),
        json!({"name": unique_name("t"), "obj_type": "AES", "key_size": "256"}),
        json!({"name": unique_name("t"), "obj_type": "AES", "key_size": 256, "enabled": "yes"}),
        json!({"name": unique_name("t"), "obj_type": "AES", "key_size": 256, "key_ops": "ENCRYPT"}),
        json!({"name": unique_name("t"), "obj_type": "AES", "key_size": 256, "key_ops": ["FLY"]}),
        json!({"name": unique_name("t"), "obj_type": "TEAPOT", "key_size": 256}),
        json!({"name": unique_name("t"), "obj_type": "AES", "key_size": 100}),
        json!({"name": unique_name("t"), "key_size": 256}),
        json!(["not", "an", "object"]),
    ];
    for body in create_bodies {
        eprintln!("--- POST /crypto/v1/keys {body}");
        let response = raw::send_json(&server, "POST", "/crypto/v1/keys", &basic, &body)?;
        expect_raw(&response, &[400])?;
        expect_plain_error(&response, &[])?;
    }

    let encrypt_bodies = [
        json!({"key": {"kid": key_id}, "alg": "AES", "mode": "CBC", "plain": 123}),
        json!({"key": {"kid": key_id}, "alg": "AES", "mode": "NOPE", "plain": b64(b"x")}),
        json!({"key": {"kid": key_id}, "alg": "AES", "mode": "CBC"}),
        json!({"key": {"kid": "not-a-uuid"}, "alg": "AES", "mode": "CBC", "plain": b64(b"x")}),
        json!({"key": {"kid": key_id}, "alg": "AES", "mode": "GCM", "plain": b64(b"x"), "tag_len": "128"}),
    ];
    for body in encrypt_bodies {
        eprintln!("--- POST /crypto/v1/encrypt {body}");
        let response = raw::send_json(&server, "POST", "/crypto/v1/encrypt", &basic, &body)?;
        expect_raw(&response, &[400])?;
    }

    eprintln!("--- PATCH with a wrong type changes nothing");
    let response = raw::send_json(
        &server,
        "PATCH",
        &format!("/crypto/v1/keys/{key_id}"),
        &basic,
        &json!({"description": "changed", "enabled": "no"}),
    )?;
    expect_raw(&response, &[400])?;
    let unchanged = app.get_sobject(None, &keys::by_kid(key_id))?;
    ensure!(
        unchanged.description.is_none() && unchanged.enabled,
        "a refused PATCH wrote: {unchanged:?}"
    );

    eprintln!("--- nothing was written");
    ensure!(list_kids(&server)? == before, "a bad request created a key");
    Ok(())
}

#[test]
fn oversized_bodies_are_413_and_write_nothing() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let before = list_kids(&server)?;
    let huge = "A".repeat(OVERSIZED_BODY_BYTES);

    eprintln!("--- import with an {OVERSIZED_BODY_BYTES}-byte value");
    let body = json!({"name": unique_name("huge"), "obj_type": "SECRET", "value": huge});
    let response = raw::send_json(&server, "PUT", "/crypto/v1/keys", &basic, &body)?;
    expect_raw(&response, &[413])?;

    eprintln!("--- digest of an {OVERSIZED_BODY_BYTES}-byte input");
    let body = json!({"alg": "SHA256", "data": huge});
    let response = raw::send_json(&server, "POST", "/crypto/v1/digest", &basic, &body)?;
    expect_raw(&response, &[413])?;

    eprintln!("--- the server still serves, and nothing was written");
    let health = raw::send(&server, "GET", "/sys/v1/health", "")?;
    expect_raw(&health, &[204])?;
    ensure!(
        list_kids(&server)? == before,
        "an oversized request created a key"
    );
    Ok(())
}

#[test]
fn unknown_kids_and_names_are_404() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let missing = Uuid::new_v4();
    let plain = b64(b"x");

    let cases = [
        ("GET", format!("/crypto/v1/keys/{missing}"), None),
        ("DELETE", format!("/crypto/v1/keys/{missing}"), None),
        (
            "PATCH",
            format!("/crypto/v1/keys/{missing}"),
            Some(json!({"description": "x"})),
        ),
        ("GET", format!("/crypto/v1/keys/{missing}/export"), None),
        (
            "POST",
            format!("/crypto/v1/keys/{missing}/encrypt"),
            Some(json!({"alg": "AES", "mode": "CBC", "plain": plain})),
        ),
        (
            "POST",
            "/crypto/v1/encrypt".to_owned(),
            Some(json!({"key": {"kid": missing}, "alg": "AES", "mode": "CBC", "plain": plain})),
        ),
        (
            "POST",
            "/crypto/v1/encrypt".to_owned(),
            Some(
                json!({"key": {"name": unique_name("missing")}, "alg": "AES", "mode": "CBC", "plain": plain}),
            ),
        ),
        (
            "POST",
            "/crypto/v1/keys/info".to_owned(),
            Some(json!({"kid": missing})),
        ),
        (
            "POST",
            "/crypto/v1/keys/info".to_owned(),
            Some(json!({"name": unique_name("missing")})),
        ),
        (
            "POST",
            "/crypto/v1/keys/export".to_owned(),
            Some(json!({"kid": missing})),
        ),
    ];
    for (method, path, body) in cases {
        eprintln!(
            "--- {method} {path} {}",
            body.as_ref().map(Value::to_string).unwrap_or_default()
        );
        let response = match &body {
            Some(body) => raw::send_json(&server, method, &path, &basic, body)?,
            None => raw::send(&server, method, &path, &basic)?,
        };
        expect_raw(&response, &[404])?;
        expect_plain_error(&response, &[])?;
    }

    eprintln!("--- an unknown route is 404 too");
    let response = raw::send(&server, "GET", "/crypto/v1/no-such-thing", &basic)?;
    expect_raw(&response, &[404])?;
    Ok(())
}

#[test]
fn disabled_keys_refuse_crypto_with_400_or_403() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate(
        &unique_name("disabled"),
        ObjectType::Aes,
        256,
    ))?;
    let key_id = kid(&key)?;

    eprintln!("--- PATCH enabled=false (raw, with the CLI's nulls)");
    let patched = raw::json_ok(
        &server,
        "PATCH",
        &format!("/crypto/v1/keys/{key_id}"),
        &basic,
        Some(&json!({"enabled": false, "description": null, "key_ops": null, "name": null})),
    )?;
    ensure!(patched["enabled"] == false, "enabled not stored: {patched}");
    ensure!(
        patched["name"] == key.name.as_deref().unwrap_or_default(),
        "null renamed the key"
    );

    eprintln!("--- encrypt in both forms is refused");
    for (path, body) in [
        (
            format!("/crypto/v1/keys/{key_id}/encrypt"),
            json!({"alg": "AES", "mode": "CBC", "plain": b64(b"x")}),
        ),
        (
            "/crypto/v1/encrypt".to_owned(),
            json!({"key": {"kid": key_id}, "alg": "AES", "mode": "CBC", "plain": b64(b"x")}),
        ),
    ] {
        let response = raw::send_json(&server, "POST", &path, &basic, &body)?;
        expect_raw(&response, &[400, 403])?;
        expect_plain_error(&response, &[])?;
    }
    Ok(())
}

#[test]
fn nulls_mean_absent_and_unknown_fields_are_ignored() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let group = server.credentials().group_id.clone();

    eprintln!("--- create with nulls everywhere and fields from the future");
    let created = raw::json_ok(
        &server,
        "POST",
        "/crypto/v1/keys",
        &basic,
        Some(&json!({
            "name": unique_name("nulls"), "obj_type": "AES", "key_size": 256,
            "description": null, "key_ops": null, "custom_metadata": null, "group_id": null,
            "enabled": null, "transient": null, "rsa": null, "elliptic_curve": null,
            "rotation_policy": {"interval_days": 30}, "some_future_field": [1, 2, 3],
        })),
    )?;
    ensure!(
        created["group_id"] == group.as_str(),
        "null group_id means the default group"
    );
    ensure!(created["enabled"] == true, "null enabled means enabled");
    let ops: Vec<&str> = created["key_ops"]
        .as_array()
        .context("no key_ops")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ensure!(
        ops.contains(&"ENCRYPT") && ops.contains(&"DECRYPT") && !ops.contains(&"EXPORT"),
        "null key_ops means the defaults: {ops:?}"
    );
    let key_id = created["kid"].as_str().context("no kid")?.to_owned();

    eprintln!("--- encrypt with null iv/ad/tag_len and an unknown field");
    let encrypted = raw::json_ok(
        &server,
        "POST",
        "/crypto/v1/encrypt",
        &basic,
        Some(
            &json!({"key": {"kid": key_id, "name": null}, "alg": "AES", "mode": "CBC",
                     "plain": b64(b"tolerant"), "iv": null, "ad": null, "tag_len": null,
                     "masked": null, "extra": "ignored"}),
        ),
    )?;
    ensure!(encrypted["cipher"].is_string(), "no cipher: {encrypted}");

    eprintln!("--- the CLI's create-group body with stray keys");
    let admin = clients::sysadmin_session(&server)?;
    raw::json_ok(
        &server,
        "POST",
        "/sys/v1/groups",
        &bearer(&admin)?,
        Some(
            &json!({"name": unique_name("cli-group"), "description": null,
                     "add_quorum_policy": false, "n": null, "users": null,
                     "require_2fa": false, "require_password": false}),
        ),
    )?;
    Ok(())
}

#[test]
fn empty_query_strings_and_capitalised_booleans_are_accepted() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let app_id = uuid(&server.credentials().app_id)?;
    let admin = clients::sysadmin_session(&server)?;
    let user = bearer(&admin)?;

    eprintln!("--- Rs appends `?` even without parameters");
    for path in ["/crypto/v1/keys?", "/sys/v1/version?"] {
        let response = raw::send(&server, "GET", path, &basic)?;
        expect_raw(&response, &[200])?;
    }
    let info = raw::send_json(
        &server,
        "POST",
        "/crypto/v1/keys/info?",
        &basic,
        &json!({"kid": Uuid::new_v4()}),
    )?;
    expect_raw(&info, &[404])?;

    eprintln!("--- Py renders booleans as True/False");
    for (path, authorization) in [
        ("/sys/v1/accounts?with_totals=True".to_owned(), &user),
        (
            format!("/sys/v1/apps/{app_id}?group_permissions=True"),
            &user,
        ),
        (
            "/sys/v1/apps?group_permissions=False&limit=10&offset=0".to_owned(),
            &user,
        ),
        (
            "/crypto/v1/keys?limit=10&offset=0&show_destroyed=False".to_owned(),
            &basic,
        ),
    ] {
        eprintln!("--- GET {path}");
        let response = raw::send(&server, "GET", &path, authorization)?;
        expect_raw(&response, &[200])?;
    }

    eprintln!("--- Py form-encodes spaces as +");
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate(
        &unique_name("spaced name"),
        ObjectType::Aes,
        128,
    ))?;
    let name = key.name.clone().context("no name")?;
    let listed = raw::json_ok(
        &server,
        "GET",
        &format!("/crypto/v1/keys?name={}", name.replace(' ', "+")),
        &basic,
        None,
    )?;
    ensure!(
        listed
            .as_array()
            .is_some_and(|keys| keys.len() == 1 && keys[0]["name"] == name.as_str()),
        "name=…+… finds the key named with a space: {listed}"
    );
    Ok(())
}

#[test]
fn base64_is_standard_and_padded_out_and_lenient_in() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate(
        &unique_name("b64-forms"),
        ObjectType::Aes,
        256,
    ))?;
    let key_id = kid(&key)?;
    // Encodes to "+/+/+/8=": the standard alphabet's two extra characters, and padding.
    let plain = vec![0xfb, 0xff, 0xbf, 0xfb, 0xff];

    eprintln!("--- unpadded input is accepted");
    let encrypted = raw::json_ok(
        &server,
        "POST",
        "/crypto/v1/encrypt",
        &basic,
        Some(
            &json!({"key": {"kid": key_id}, "alg": "AES", "mode": "CBC", "plain": b64_unpadded(&plain)}),
        ),
    )?;
    for field in ["cipher", "iv"] {
        let value = encrypted[field]
            .as_str()
            .with_context(|| format!("no {field}"))?;
        ensure!(
            is_padded_b64(value),
            "{field} {value:?} is not padded standard base64"
        );
    }

    eprintln!("--- output is exactly the standard padded encoding");
    let decrypted = raw::json_ok(
        &server,
        "POST",
        "/crypto/v1/decrypt",
        &basic,
        Some(&json!({"key": {"kid": key_id}, "alg": "AES", "mode": "CBC",
                     "cipher": encrypted["cipher"], "iv": encrypted["iv"]})),
    )?;
    ensure!(
        decrypted["plain"] == b64(&plain).as_str(),
        "plain must be {:?}, got {}",
        b64(&plain),
        decrypted["plain"]
    );

    eprintln!("--- many random inputs round-trip through the official client");
    for length in [1usize, 2, 3, 4, 5, 31, 32, 33] {
        let plain = random_bytes(length);
        let encrypted = app.encrypt(&keys::aes_encrypt(key_id, CipherMode::Gcm, &plain))?;
        let decrypted = app.decrypt(&keys::aes_decrypt(key_id, CipherMode::Gcm, &encrypted))?;
        ensure!(
            decrypted.plain[..] == plain[..],
            "length {length} round trip"
        );
    }
    Ok(())
}

#[test]
fn errors_are_short_plain_text_naming_no_secret() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let basic = credentials.basic_auth();
    let secret = credentials.app_secret()?;
    let app = clients::app_with_api_key(&server)?;
    let key_bytes = random_bytes(32);
    let name = unique_name("errors");
    let key = app.import_sobject(&keys::with_ops(
        keys::import(&name, ObjectType::Aes, &key_bytes),
        KeyOperations::DECRYPT,
    ))?;
    let key_b64 = b64(&key_bytes);
    let key_hex = hex::encode(&key_bytes);
    let secrets = [
        secret.as_str(),
        credentials.api_key.as_str(),
        credentials.sysadmin_password.as_str(),
        key_b64.as_str(),
        key_hex.as_str(),
    ];

    let cases = [
        (
            "400",
            "POST",
            "/crypto/v1/keys".to_owned(),
            &basic,
            json!({"name": 1}),
        ),
        (
            "401",
            "POST",
            "/crypto/v1/encrypt".to_owned(),
            &"Basic bm9ib2R5Om5vdGhpbmc=".to_owned(),
            json!({"key": {"kid": kid(&key)?}, "alg": "AES", "mode": "CBC", "plain": b64(b"x")}),
        ),
        (
            "403",
            "POST",
            "/crypto/v1/encrypt".to_owned(),
            &basic,
            json!({"key": {"kid": kid(&key)?}, "alg": "AES", "mode": "CBC", "plain": b64(b"x")}),
        ),
        (
            "404",
            "POST",
            "/crypto/v1/keys/info".to_owned(),
            &basic,
            json!({"kid": Uuid::new_v4()}),
        ),
        (
            "409",
            "PUT",
            "/crypto/v1/keys".to_owned(),
            &basic,
            json!({"name": name, "obj_type": "AES", "value": key_b64}),
        ),
    ];
    for (expected, method, path, authorization, body) in cases {
        eprintln!("--- {expected}: {method} {path}");
        let response = raw::send_json(&server, method, &path, authorization, &body)?;
        expect_raw(&response, &[expected.parse()?])?;
        expect_plain_error(&response, &secrets)?;
    }
    Ok(())
}

#[test]
fn a_refused_body_names_the_field_but_never_repeats_its_value() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();
    let marker = format!("leak-{}", Uuid::new_v4());
    let cases = [
        (
            json!({"name": unique_name("t"), "obj_type": "AES", "key_size": marker}),
            "key_size",
        ),
        (
            json!({"name": unique_name("t"), "obj_type": marker, "key_size": 256}),
            "obj_type",
        ),
        (
            json!({"name": unique_name("t"), "obj_type": "AES", "key_size": 256, "key_ops": [marker]}),
            "key_ops",
        ),
    ];
    for (body, field) in cases {
        eprintln!("--- POST /crypto/v1/keys {body}");
        let response = raw::send_json(&server, "POST", "/crypto/v1/keys", &basic, &body)?;
        expect_raw(&response, &[400])?;
        let text = response.text();
        ensure!(text.contains(field), "the refusal names {field}: {text}");
        ensure!(
            !text.contains(&marker),
            "the refusal repeats the value: {text}"
        );
    }
    Ok(())
}
