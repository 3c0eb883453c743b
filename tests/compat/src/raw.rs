//! Raw HTTPS calls with the usual headers, for what the official client cannot express.

use anyhow::{Context, ensure};
use coffer_testkit::{CofferServer, RawResponse};
use sdkms::SdkmsClient;
use serde_json::Value;

/// Sends `body` as JSON the way the Python client does (`Content-Type` and `Accept` set).
pub fn send_json(
    server: &CofferServer,
    method: &str,
    path: &str,
    authorization: &str,
    body: &Value,
) -> anyhow::Result<RawResponse> {
    send_bytes(
        server,
        method,
        path,
        authorization,
        body.to_string().as_bytes(),
    )
}

/// Sends arbitrary bytes declared as JSON (for malformed bodies).
pub fn send_bytes(
    server: &CofferServer,
    method: &str,
    path: &str,
    authorization: &str,
    body: &[u8],
) -> anyhow::Result<RawResponse> {
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    ];
    if !authorization.is_empty() {
        headers.push(("Authorization", authorization));
    }
    server.raw_request(method, path, &headers, body)
}

/// Sends a request without a body (and without `Content-Type`), as the Rust client does.
pub fn send(
    server: &CofferServer,
    method: &str,
    path: &str,
    authorization: &str,
) -> anyhow::Result<RawResponse> {
    let headers: Vec<(&str, &str)> = if authorization.is_empty() {
        Vec::new()
    } else {
        vec![("Authorization", authorization)]
    };
    server.raw_request(method, path, &headers, b"")
}

/// The `Authorization` value of a logged-in client: `Bearer <access token>`.
pub fn bearer(session: &SdkmsClient) -> anyhow::Result<String> {
    let auth = session
        .auth_response()
        .context("the client has no session")?;
    Ok(format!("Bearer {}", auth.access_token))
}

/// Sends a request and parses a 2xx JSON answer.
pub fn json_ok(
    server: &CofferServer,
    method: &str,
    path: &str,
    authorization: &str,
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let response = match body {
        Some(body) => send_json(server, method, path, authorization, body)?,
        None => send(server, method, path, authorization)?,
    };
    ensure!(
        (200..300).contains(&response.status),
        "{method} {path} failed: {response:?}"
    );
    response.json()
}

/// The kids of every key the dev app sees, sorted, listed through raw HTTP with Basic auth.
pub fn list_kids(server: &CofferServer) -> anyhow::Result<Vec<String>> {
    let listed = json_ok(
        server,
        "GET",
        "/crypto/v1/keys?limit=1000",
        &server.credentials().basic_auth(),
        None,
    )?;
    let mut kids: Vec<String> = listed
        .as_array()
        .context("GET /crypto/v1/keys must return a plain array")?
        .iter()
        .filter_map(|key| key.get("kid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    kids.sort();
    Ok(kids)
}
