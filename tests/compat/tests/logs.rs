//! The server's JSON log lines on stderr: one connection, request and response line per
//! request (SPEC R-LOG-1), the lines of one request tied by its `request_id`, and never a
//! secret (SPEC R-API-2).

use anyhow::{Context, ensure};
use coffer_compat_tests::clients;
use coffer_compat_tests::data::{b64, leak_forms, random_bytes, unique_name};
use coffer_compat_tests::keys::{self, by_kid, kid};
use coffer_compat_tests::raw::{self, bearer};
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::api_model::*;
use serde_json::{Value, json};
use uuid::Uuid;

#[test]
fn every_request_logs_a_connection_a_request_and_a_response_line() -> anyhow::Result<()> {
    let mut server = CofferServer::start_dev()?;
    let basic = server.credentials().basic_auth();

    eprintln!("--- five requests on five connections, each with a unique path");
    let markers: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
    let requests = [
        ("GET", format!("/crypto/v1/keys/{}", markers[0])),
        ("DELETE", format!("/crypto/v1/keys/{}", markers[1])),
        ("GET", format!("/crypto/v1/keys/{}/export", markers[2])),
        ("POST", format!("/crypto/v1/keys/{}/activate", markers[3])),
        ("GET", format!("/crypto/v1/keys/{}", markers[4])),
    ];
    for (method, path) in &requests {
        let response = raw::send(&server, method, path, &basic)?;
        ensure!(response.status == 404, "{method} {path}: {response:?}");
    }

    eprintln!("--- stop the server so every line is flushed");
    server.stop()?;
    let lines = log_lines(&server.logs())?;

    eprintln!("--- each request has its request line with method and path, from 127.0.0.1");
    let of_kind = |kind: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|line| field(line, "log").and_then(Value::as_str) == Some(kind))
            .collect()
    };
    let connections = of_kind("connection");
    let request_lines = of_kind("request");
    let response_lines = of_kind("response");
    for ((method, path), marker) in requests.iter().zip(&markers) {
        let matching: Vec<&&Value> = request_lines
            .iter()
            .filter(|line| mentions(line, &marker.to_string()))
            .collect();
        ensure!(
            matching.len() == 1,
            "expected one request line for {method} {path}, found {}",
            matching.len()
        );
        ensure!(
            mentions(matching[0], method),
            "request line lacks the method: {}",
            matching[0]
        );
        ensure!(
            mentions(matching[0], path),
            "request line lacks the path: {}",
            matching[0]
        );
        ensure!(
            mentions(matching[0], "127.0.0.1"),
            "request line lacks the client IP: {}",
            matching[0]
        );
    }

    eprintln!("--- one response line (with status) per request line");
    ensure!(
        response_lines.len() == request_lines.len(),
        "{} request lines but {} response lines",
        request_lines.len(),
        response_lines.len()
    );
    let not_found = response_lines
        .iter()
        .filter(|line| has_status(line, 404))
        .count();
    ensure!(
        not_found >= requests.len(),
        "only {not_found} response lines carry status 404"
    );
    let no_content = response_lines
        .iter()
        .filter(|line| has_status(line, 204))
        .count();
    ensure!(
        no_content >= 1,
        "the readiness health checks logged no 204 response"
    );

    eprintln!("--- each request's request and response lines share its request_id");
    let mut ids = std::collections::BTreeSet::new();
    for marker in &markers {
        let request_line = request_lines
            .iter()
            .find(|line| mentions(line, &marker.to_string()))
            .context("the request line went missing")?;
        let id = field(request_line, "request_id")
            .and_then(Value::as_u64)
            .with_context(|| format!("request line without a request_id: {request_line}"))?;
        ensure!(ids.insert(id), "request_id {id} was given to two requests");
        let answers: Vec<&&Value> = response_lines
            .iter()
            .filter(|line| field(line, "request_id").and_then(Value::as_u64) == Some(id))
            .collect();
        ensure!(
            answers.len() == 1 && has_status(answers[0], 404),
            "request {id} should have one 404 response line, found {answers:?}"
        );
    }

    eprintln!("--- a connection line, with the client IP, for each connection");
    ensure!(
        connections.len() > requests.len(),
        "{} connection lines for {} raw connections plus readiness checks",
        connections.len(),
        requests.len()
    );
    for line in &connections {
        ensure!(
            mentions(line, "127.0.0.1"),
            "connection line without client IP: {line}"
        );
    }
    Ok(())
}

#[test]
fn logs_never_contain_credentials_tokens_or_key_material() -> anyhow::Result<()> {
    let mut server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let basic = credentials.basic_auth();
    let secret = credentials.app_secret()?;
    let key_bytes = random_bytes(32);
    let hmac_bytes = random_bytes(32);
    let plain = random_bytes(48);
    let mut tokens = Vec::new();

    eprintln!("--- logins: sysadmin password, app API key, and a failed login with the password");
    let admin = clients::sysadmin_session(&server)?;
    tokens.push(bearer(&admin)?);
    let session = clients::app_session(&server)?;
    tokens.push(bearer(&session)?);
    let failed = clients::anonymous(&server)?
        .authenticate_user(&unique_name("nobody"), &credentials.sysadmin_password);
    ensure!(failed.is_err(), "an unknown user logged in");

    eprintln!("--- key material in requests and responses");
    let app = clients::app_with_api_key(&server)?;
    let aes = app.import_sobject(&keys::with_ops(
        keys::import(&unique_name("log-aes"), ObjectType::Aes, &key_bytes),
        keys::default_ops(ObjectType::Aes) | KeyOperations::EXPORT,
    ))?;
    let encrypted = session.encrypt(&keys::aes_encrypt(kid(&aes)?, CipherMode::Gcm, &plain))?;
    session.decrypt(&keys::aes_decrypt(kid(&aes)?, CipherMode::Gcm, &encrypted))?;
    app.export_sobject(&by_kid(kid(&aes)?))?;
    let hmac = app.import_sobject(&keys::import(
        &unique_name("log-hmac"),
        ObjectType::Hmac,
        &hmac_bytes,
    ))?;
    app.mac(&MacRequest {
        key: Some(by_kid(kid(&hmac)?)),
        alg: Some(DigestAlgorithm::Sha256),
        data: Blob::from(plain.clone()),
    })?;
    admin.get_app_credential(&clients::uuid(&credentials.app_id)?)?;

    eprintln!("--- failing requests that carry secrets in their bodies");
    let malformed = format!(
        "{{\"name\": \"x\", \"obj_type\": \"AES\", \"value\": \"{}\"",
        b64(&key_bytes)
    );
    raw::send_bytes(
        &server,
        "PUT",
        "/crypto/v1/keys",
        &basic,
        malformed.as_bytes(),
    )?;
    raw::send_json(
        &server,
        "PUT",
        "/crypto/v1/keys",
        &basic,
        &json!({"name": aes.name, "obj_type": "AES", "value": b64(&key_bytes)}),
    )?;
    raw::send_json(
        &server,
        "POST",
        "/crypto/v1/encrypt",
        "Basic bm9ib2R5Om5vdGhpbmc=",
        &json!({"key": {"kid": kid(&aes)?}, "alg": "AES", "mode": "CBC", "plain": b64(&plain)}),
    )?;

    eprintln!("--- stop and search every log line");
    drop((app, session, admin));
    server.stop()?;
    let logs = server.logs();
    ensure!(!logs.trim().is_empty(), "the server logged nothing");
    let mut secrets: Vec<(&str, Vec<String>)> = vec![
        ("AES key", leak_forms(&key_bytes)),
        ("HMAC key", leak_forms(&hmac_bytes)),
        ("plaintext", leak_forms(&plain)),
        ("API key", vec![credentials.api_key.clone()]),
        ("app secret", leak_forms(secret.as_bytes())),
        (
            "sysadmin password",
            leak_forms(credentials.sysadmin_password.as_bytes()),
        ),
    ];
    for token in &tokens {
        let token = token.trim_start_matches("Bearer ").to_owned();
        secrets.push(("session token", vec![token]));
    }
    let mut leaks = Vec::new();
    for (label, forms) in &secrets {
        for form in forms.iter().filter(|form| form.len() >= 8) {
            if let Some(line) = logs.lines().find(|line| line.contains(form.as_str())) {
                leaks.push(format!("{label} ({form}) in: {line}"));
            }
        }
    }
    ensure!(leaks.is_empty(), "secrets in the log: {leaks:#?}");
    Ok(())
}

/// Every non-empty stderr line, parsed; each must be one JSON object.
fn log_lines(text: &str) -> anyhow::Result<Vec<Value>> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .with_context(|| format!("stderr line is not JSON: {line}"))?;
            ensure!(
                value.is_object(),
                "stderr line is not a JSON object: {line}"
            );
            Ok(value)
        })
        .collect()
}

/// The first field called `key` anywhere in `value` (subscribers nest fields differently).
fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|inner| field(inner, key))),
        Value::Array(items) => items.iter().find_map(|inner| field(inner, key)),
        _ => None,
    }
}

/// Whether any string anywhere in `value` contains `needle`.
fn mentions(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(text) => text.contains(needle),
        Value::Object(map) => map.values().any(|inner| mentions(inner, needle)),
        Value::Array(items) => items.iter().any(|inner| mentions(inner, needle)),
        _ => false,
    }
}

/// Whether a field named like a status carries `status` (as a number or a string).
fn has_status(value: &Value, status: u64) -> bool {
    ["status", "status_code", "http.status_code"]
        .iter()
        .any(|key| {
            field(value, key).is_some_and(|found| {
                found.as_u64() == Some(status) || found.as_str() == Some(&status.to_string())
            })
        })
}

#[test]
fn the_dev_banner_names_the_credentials_file_but_prints_no_secret() -> anyhow::Result<()> {
    let mut server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    server.stop()?;
    let banner = server.stdout();
    ensure!(
        banner.contains("dev-credentials.json") && banner.contains(&credentials.app_id),
        "the banner names the app and the credentials file: {banner}"
    );
    for (label, secret) in [
        ("API key", credentials.api_key.as_str()),
        ("sysadmin password", credentials.sysadmin_password.as_str()),
    ] {
        ensure!(
            !banner.contains(secret),
            "the banner prints the {label}: {banner}"
        );
    }
    Ok(())
}
