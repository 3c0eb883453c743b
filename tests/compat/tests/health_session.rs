//! Health, version, app and user sessions (dsm-api.md §10 items 1–7).

use anyhow::{Context, ensure};
use coffer_compat_tests::clients::{self, uuid};
use coffer_compat_tests::data::{b64, random_bytes, unique_name};
use coffer_compat_tests::expect::{
    expect_no_content, expect_one_of, expect_plain_error, expect_raw, expect_status,
};
use coffer_compat_tests::keys::{self, by_kid, by_name, kid};
use coffer_compat_tests::raw::{self, bearer};
use coffer_compat_tests::wire::is_lower_uuid;
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::api_model::*;
use serde_json::json;

#[test]
fn health_answers_204_without_authentication_and_head_probes_answer() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;

    eprintln!("--- GET /sys/v1/health without credentials");
    let health = raw::send(&server, "GET", "/sys/v1/health", "")?;
    expect_no_content(&health)?;

    eprintln!("--- load-balancer probes: HEAD /sys/v1/health and HEAD /");
    for path in ["/sys/v1/health", "/"] {
        let head = raw::send(&server, "HEAD", path, "")?;
        expect_raw(&head, &[200, 204])?;
        ensure!(head.body.is_empty(), "HEAD {path} must not carry a body");
    }

    eprintln!("--- Py sends JSON Content-Type and Accept even on a body-less GET");
    let health = server.raw_request(
        "GET",
        "/sys/v1/health",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ],
        b"",
    )?;
    expect_no_content(&health)?;
    Ok(())
}

#[test]
fn version_reports_software_mode_without_authentication() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;

    eprintln!("--- the official client reads the version anonymously");
    let version = clients::anonymous(&server)?.version()?;
    ensure!(
        version.server_mode == ServerMode::Software,
        "server_mode must be Software: {version:?}"
    );
    let parts: Vec<&str> = version.version.split('.').collect();
    ensure!(
        parts.len() == 3 && parts.iter().all(|p| p.parse::<u64>().is_ok()),
        "version must be major.minor.build, got {:?}",
        version.version
    );
    ensure!(!version.api_version.is_empty(), "api_version is empty");

    eprintln!("--- the raw answer carries exactly the documented fields");
    let raw = raw::json_ok(&server, "GET", "/sys/v1/version", "", None)?;
    for field in ["version", "api_version", "server_mode"] {
        ensure!(
            raw.get(field).is_some_and(|v| v.is_string()),
            "{field} missing: {raw}"
        );
    }
    Ok(())
}

#[test]
fn app_login_with_api_key_returns_a_bearer_session() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let app_id = uuid(&credentials.app_id)?;

    eprintln!("--- Rs login: Basic <api key>, no body, no Content-Type");
    let session = clients::app_session(&server)?;
    let auth = session.auth_response().context("no auth response")?;
    ensure!(auth.token_type == "Bearer", "token_type: {auth:?}");
    ensure!(auth.entity_id == app_id, "entity_id must be the app id");
    ensure!(auth.expires_in > 0, "expires_in must be positive");
    ensure!(!auth.access_token.is_empty(), "empty access token");
    ensure!(auth.challenge.is_none(), "no 2FA challenge for apps");

    eprintln!("--- the session works for key management");
    session.list_sobjects(None)?;

    eprintln!("--- Rs login from app id and secret (re-encoded Basic)");
    let secret = credentials.app_secret()?;
    ensure!(!secret.contains(':'), "secrets must never contain ':'");
    let again = clients::anonymous(&server)?.authenticate_app(&app_id, &secret)?;
    ensure!(
        again.entity_id() == Some(app_id),
        "entity_id must be the app id"
    );

    eprintln!("--- Py login: Content-Type and Accept JSON, empty body");
    let py = raw::send_bytes(
        &server,
        "POST",
        "/sys/v1/session/auth",
        &credentials.basic_auth(),
        b"",
    )?;
    expect_raw(&py, &[200])?;
    let body = py.json()?;
    ensure!(body["token_type"] == "Bearer", "token_type: {body}");
    ensure!(
        body["entity_id"] == credentials.app_id.as_str(),
        "entity_id: {body}"
    );
    ensure!(
        body["expires_in"].as_u64().is_some_and(|s| s > 0),
        "expires_in: {body}"
    );
    ensure!(
        body["access_token"].as_str().is_some_and(|t| !t.is_empty()),
        "token: {body}"
    );

    eprintln!("--- the Py session's token works as a bearer token");
    let token = body["access_token"].as_str().unwrap_or_default();
    let listed = raw::send(
        &server,
        "GET",
        "/crypto/v1/keys",
        &format!("Bearer {token}"),
    )?;
    expect_raw(&listed, &[200])?;
    Ok(())
}

#[test]
fn bad_credentials_and_tokens_are_refused_with_401() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let app_id = uuid(&credentials.app_id)?;
    let secret = credentials.app_secret()?;

    eprintln!("--- wrong secret");
    let wrong = clients::anonymous(&server)?.authenticate_app(&app_id, "not-the-secret");
    expect_status(wrong.map(|_| ()), 401)?;

    eprintln!("--- unknown app with the right secret");
    let unknown = clients::anonymous(&server)?.authenticate_app(&uuid::Uuid::new_v4(), &secret);
    expect_status(unknown.map(|_| ()), 401)?;

    eprintln!("--- garbage API key, as Basic on a crypto call");
    let garbage = clients::api_key_client(&server, "bm90LWEta2V5")?;
    expect_status(garbage.list_sobjects(None), 401)?;
    let bad_b64 = clients::api_key_client(&server, "%%%not base64%%%")?;
    expect_status(bad_b64.list_sobjects(None), 401)?;
    let wrong_key = clients::api_key_client(
        &server,
        &b64(format!("{}:{}", credentials.app_id, "wrong").as_bytes()),
    )?;
    expect_status(wrong_key.list_sobjects(None), 401)?;

    eprintln!("--- garbage bearer token and no credentials at all");
    let token = clients::with_token(&server, "bm90LWEtdG9rZW4")?;
    expect_status(token.list_sobjects(None), 401)?;
    let anonymous = clients::anonymous(&server)?;
    expect_status(anonymous.list_sobjects(None), 401)?;

    eprintln!("--- 401 answers are short plain text naming no secret");
    for authorization in [
        String::new(),
        "Bearer bm90LWEtdG9rZW4".to_owned(),
        format!(
            "Basic {}",
            b64(format!("{}:{}", credentials.app_id, "wrong").as_bytes())
        ),
    ] {
        let response = raw::send(&server, "GET", "/crypto/v1/keys", &authorization)?;
        expect_raw(&response, &[401])?;
        expect_plain_error(&response, &[&secret, &credentials.api_key])?;
    }
    Ok(())
}

#[test]
fn refresh_and_terminate_answer_204_and_a_terminated_token_is_refused() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;

    eprintln!("--- refresh through the official client");
    let session = clients::app_session(&server)?;
    session.refresh()?;

    eprintln!("--- refresh and terminate on the wire: 204, empty body");
    let authorization = bearer(&session)?;
    expect_no_content(&raw::send(
        &server,
        "POST",
        "/sys/v1/session/refresh",
        &authorization,
    )?)?;
    let listed = raw::send(&server, "GET", "/crypto/v1/keys", &authorization)?;
    expect_raw(&listed, &[200])?;
    expect_no_content(&raw::send(
        &server,
        "POST",
        "/sys/v1/session/terminate",
        &authorization,
    )?)?;

    eprintln!("--- the terminated token is dead everywhere it is presented");
    let token = session
        .auth_response()
        .context("no auth response")?
        .access_token
        .clone();
    let dead = clients::with_token(&server, &token)?;
    expect_status(dead.list_sobjects(None), 401)?;
    expect_status(dead.refresh(), 401)?;
    let response = raw::send(&server, "GET", "/crypto/v1/keys", &authorization)?;
    expect_raw(&response, &[401])?;

    eprintln!("--- terminating a dead token again is harmless (Rs does it on drop)");
    let again = raw::send(&server, "POST", "/sys/v1/session/terminate", &authorization)?;
    expect_raw(&again, &[204, 401])?;

    eprintln!("--- the official client's own terminate()");
    let mut second = clients::app_session(&server)?;
    let second_token = second
        .auth_response()
        .context("no auth response")?
        .access_token
        .clone();
    second.terminate()?;
    let dead = clients::with_token(&server, &second_token)?;
    expect_status(dead.list_sobjects(None), 401)?;

    eprintln!("--- other sessions of the same app live on");
    let third = clients::app_session(&server)?;
    third.list_sobjects(None)?;
    Ok(())
}

#[test]
fn api_key_basic_auth_works_on_every_key_and_crypto_endpoint() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    ensure!(!app.has_session(), "with_api_key must not open a session");

    eprintln!("--- generate, import, info, list");
    let aes_name = unique_name("basic-aes");
    let aes = app.create_sobject(&keys::with_ops(
        keys::generate(&aes_name, ObjectType::Aes, 256),
        keys::default_ops(ObjectType::Aes) | KeyOperations::EXPORT,
    ))?;
    let aes_kid = kid(&aes)?;
    let hmac = app.import_sobject(&keys::import(
        &unique_name("basic-hmac"),
        ObjectType::Hmac,
        &random_bytes(32),
    ))?;
    let ec = app.create_sobject(&keys::generate_ec(
        &unique_name("basic-ec"),
        EllipticCurve::NistP256,
    ))?;
    app.get_sobject(None, &by_name(&aes_name))?;
    app.list_sobjects(None)?;

    eprintln!("--- encrypt, decrypt");
    let encrypted = app.encrypt(&keys::aes_encrypt(aes_kid, CipherMode::Cbc, b"basic auth"))?;
    let decrypted = app.decrypt(&keys::aes_decrypt(aes_kid, CipherMode::Cbc, &encrypted))?;
    ensure!(&decrypted.plain[..] == b"basic auth", "round trip failed");

    eprintln!("--- sign, verify, mac, macverify, digest");
    let signature = app.sign(&SignRequest {
        key: Some(by_kid(kid(&ec)?)),
        hash_alg: DigestAlgorithm::Sha256,
        hash: None,
        data: Some(Blob::from("signed")),
        mode: None,
        deterministic_signature: None,
    })?;
    let verified = app.verify(&VerifyRequest {
        key: Some(by_kid(kid(&ec)?)),
        hash_alg: DigestAlgorithm::Sha256,
        hash: None,
        data: Some(Blob::from("signed")),
        mode: None,
        signature: signature.signature,
    })?;
    ensure!(verified.result, "signature did not verify");
    let mac = app.mac(&MacRequest {
        key: Some(by_kid(kid(&hmac)?)),
        alg: Some(DigestAlgorithm::Sha256),
        data: Blob::from("mac me"),
    })?;
    let mac_ok = app.mac_verify(&VerifyMacRequest {
        key: Some(by_kid(kid(&hmac)?)),
        alg: Some(DigestAlgorithm::Sha256),
        data: Blob::from("mac me"),
        digest: None,
        mac: Some(mac.mac),
    })?;
    ensure!(mac_ok.result, "mac did not verify");
    app.create_digest(&DigestRequest {
        alg: DigestAlgorithm::Sha256,
        data: Blob::from("abc"),
    })?;

    eprintln!("--- update, export, wrap, unwrap, rotate, delete");
    app.update_sobject(
        &aes_kid,
        &SobjectRequest {
            description: Some("updated with Basic auth".to_owned()),
            ..Default::default()
        },
    )?;
    let exported = app.export_sobject(&by_kid(aes_kid))?;
    ensure!(exported.value.is_some(), "export carries the value");
    let kek = app.create_sobject(&keys::generate(
        &unique_name("basic-kek"),
        ObjectType::Aes,
        256,
    ))?;
    let wrapped = app.wrap(&WrapKeyRequest {
        key: Some(by_kid(kid(&kek)?)),
        subject: Some(by_kid(aes_kid)),
        kid: None,
        alg: Algorithm::Aes,
        mode: Some(CryptMode::Symmetric(CipherMode::Kw)),
        iv: None,
        ad: None,
        tag_len: None,
    })?;
    app.unwrap(&UnwrapKeyRequest {
        key: Some(by_kid(kid(&kek)?)),
        alg: Algorithm::Aes,
        obj_type: ObjectType::Aes,
        rsa: None,
        wrapped_key: wrapped.wrapped_key,
        mode: Some(CryptMode::Symmetric(CipherMode::Kw)),
        iv: wrapped.iv,
        ad: None,
        tag: wrapped.tag,
        name: Some(unique_name("basic-unwrapped")),
        group_id: None,
        enabled: None,
        description: None,
        custom_metadata: None,
        key_ops: None,
        transient: None,
    })?;
    let rotated = app.rotate_sobject(&SobjectRequest {
        name: Some(aes_name.clone()),
        ..Default::default()
    })?;
    app.delete_sobject(&kid(&rotated)?)?;

    eprintln!("--- raw path form with Basic: GET /crypto/v1/keys/{{kid}}");
    let got = raw::send(
        &server,
        "GET",
        &format!("/crypto/v1/keys/{}", kid(&ec)?),
        &server.credentials().basic_auth(),
    )?;
    expect_raw(&got, &[200])?;
    Ok(())
}

#[test]
fn sysadmin_logs_in_with_a_password_and_selects_the_dev_account() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let account = uuid(&credentials.account_id)?;

    eprintln!("--- Rs user login (Basic b64(email:password), UTF-8)");
    let session = clients::user_session(
        &server,
        &credentials.sysadmin_email,
        &credentials.sysadmin_password,
    )?;
    let user_id = session.entity_id().context("no entity id")?;
    ensure!(
        user_id != uuid(&credentials.app_id)?,
        "a user login reports the user id, not an app id"
    );

    eprintln!("--- GET /sys/v1/users/accounts lists the dev account");
    let accounts = session.get_user_accounts()?;
    let flags = accounts
        .get(&account)
        .with_context(|| format!("dev account missing from {accounts:?}"))?;
    ensure!(
        flags.contains(UserAccountFlags::ACCOUNTADMINISTRATOR),
        "the sysadmin administers the dev account: {flags:?}"
    );

    eprintln!("--- select_account answers a JSON object");
    session.select_account(&SelectAccountRequest { acct_id: account })?;
    let selected = raw::send_json(
        &server,
        "POST",
        "/sys/v1/session/select_account",
        &bearer(&session)?,
        &json!({"acct_id": credentials.account_id}),
    )?;
    expect_raw(&selected, &[200])?;
    ensure!(
        selected.json()?.is_object(),
        "select_account must answer an object: {selected:?}"
    );

    eprintln!("--- Py user login: JSON headers, empty body");
    let basic = format!(
        "Basic {}",
        b64(format!(
            "{}:{}",
            credentials.sysadmin_email, credentials.sysadmin_password
        )
        .as_bytes())
    );
    let py = raw::send_bytes(&server, "POST", "/sys/v1/session/auth", &basic, b"")?;
    expect_raw(&py, &[200])?;
    let body = py.json()?;
    ensure!(
        body["entity_id"] == user_id.to_string().as_str(),
        "entity_id: {body}"
    );
    ensure!(
        body["entity_id"].as_str().is_some_and(is_lower_uuid),
        "entity_id must be a lower-case UUID: {body}"
    );

    eprintln!("--- wrong password");
    let wrong = clients::anonymous(&server)?
        .authenticate_user(&credentials.sysadmin_email, "wrong password");
    expect_status(wrong.map(|_| ()), 401)?;
    Ok(())
}

#[test]
fn user_sessions_and_user_passwords_are_refused_on_crypto_endpoints() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate(
        &unique_name("user-crypto"),
        ObjectType::Aes,
        256,
    ))?;

    eprintln!("--- a user session calling encrypt is forbidden");
    let sysadmin = clients::sysadmin_session(&server)?;
    let refused = sysadmin.encrypt(&keys::aes_encrypt(kid(&key)?, CipherMode::Cbc, b"no"));
    expect_status(refused, 403)?;

    eprintln!("--- a user's password as Basic on a crypto endpoint is not an app credential");
    let basic = format!(
        "Basic {}",
        b64(format!(
            "{}:{}",
            credentials.sysadmin_email, credentials.sysadmin_password
        )
        .as_bytes())
    );
    let response = raw::send_json(
        &server,
        "POST",
        "/crypto/v1/encrypt",
        &basic,
        &json!({"key": {"kid": kid(&key)?}, "alg": "AES", "mode": "CBC", "plain": b64(b"no")}),
    )?;
    expect_raw(&response, &[401, 403])?;
    expect_plain_error(&response, &[&credentials.sysadmin_password])?;

    eprintln!("--- an API key of a deleted or unknown app is refused");
    let missing = clients::api_key_client(
        &server,
        &b64(format!("{}:{}", uuid::Uuid::new_v4(), credentials.app_secret()?).as_bytes()),
    )?;
    expect_one_of(missing.list_sobjects(None), &[401])?;
    Ok(())
}

#[test]
fn a_session_token_starts_no_session_and_reauth_renews_the_same_one() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let token_of = |response: &coffer_compat_tests::RawResponse| -> anyhow::Result<String> {
        let body = response.json()?;
        body["access_token"]
            .as_str()
            .map(|t| format!("Bearer {t}"))
            .with_context(|| format!("no access_token in {body}"))
    };

    eprintln!("--- log in with the API key");
    let login = raw::send_bytes(
        &server,
        "POST",
        "/sys/v1/session/auth",
        &credentials.basic_auth(),
        b"",
    )?;
    expect_raw(&login, &[200])?;
    let session = token_of(&login)?;

    eprintln!("--- the session token cannot log in again");
    let again = raw::send_bytes(&server, "POST", "/sys/v1/session/auth", &session, b"")?;
    expect_raw(&again, &[401])?;

    eprintln!("--- reauth with it gives a token for the same session");
    let renewed = raw::send_bytes(&server, "POST", "/sys/v1/session/reauth", &session, b"")?;
    expect_raw(&renewed, &[200])?;
    let renewed = token_of(&renewed)?;
    expect_raw(
        &raw::send(&server, "GET", "/crypto/v1/keys", &renewed)?,
        &[200],
    )?;

    eprintln!("--- ending the session ends the renewed token too");
    let ended = raw::send_bytes(&server, "POST", "/sys/v1/session/terminate", &session, b"")?;
    expect_raw(&ended, &[204])?;
    expect_raw(
        &raw::send(&server, "GET", "/crypto/v1/keys", &renewed)?,
        &[401],
    )?;
    Ok(())
}

#[test]
fn sessions_end_when_credentials_change_or_the_app_is_disabled() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let app_id = uuid(&credentials.app_id)?;
    let admin = clients::sysadmin_session(&server)?;
    let works = |client: &sdkms::SdkmsClient| client.list_sobjects(None).map(|_| ());

    eprintln!("--- an app session ends when the app's secret is reset");
    let before_reset = clients::app_session(&server)?;
    works(&before_reset).context("a fresh app session works")?;
    admin.reset_app_secret(&app_id, None, &AppResetSecretRequest { secret_size: None })?;
    expect_status(works(&before_reset), 401)?;
    let AppCredential::Secret(secret) = admin.get_app_credential(&app_id)?.credential else {
        anyhow::bail!("the dev app authenticates with a secret");
    };
    let api_key = b64(format!("{app_id}:{secret}").as_bytes());
    let after_reset = clients::anonymous(&server)?.authenticate_with_api_key(&api_key)?;
    works(&after_reset).context("a session with the new secret works")?;

    eprintln!("--- disabling the app ends it, and enabling the app again does not revive it");
    let toggle = |enabled| {
        admin.update_app(
            &app_id,
            None,
            &AppRequest {
                enabled: Some(enabled),
                ..Default::default()
            },
        )
    };
    toggle(false)?;
    expect_status(works(&after_reset), 401)?;
    toggle(true)?;
    expect_status(works(&after_reset), 401)?;
    let fresh = clients::anonymous(&server)?.authenticate_with_api_key(&api_key)?;
    works(&fresh).context("a new session after re-enabling works")?;

    eprintln!("--- a user's sessions end when the password changes, on every token");
    let other = clients::sysadmin_session(&server)?;
    let new_password = "Another-long-passw0rd";
    admin.change_password(&PasswordChangeRequest {
        current_password: credentials.sysadmin_password.clone(),
        new_password: new_password.to_owned(),
    })?;
    expect_status(other.list_groups().map(|_| ()), 401)?;
    expect_status(admin.list_groups().map(|_| ()), 401)?;
    let again = clients::user_session(&server, &credentials.sysadmin_email, new_password)?;
    again
        .list_groups()
        .context("a session with the new password works")?;
    Ok(())
}
