//! Asserting on failures: which status a call ended with, and what its body said.

use std::fmt::Debug;

use anyhow::{bail, ensure};
use coffer_testkit::RawResponse;
use sdkms::Error;

/// The HTTP status behind an `sdkms` error, if the server answered at all.
pub fn status_of(err: &Error) -> Option<u16> {
    match err {
        Error::BadRequest(_) => Some(400),
        Error::Unauthorized(_) => Some(401),
        Error::Forbidden(_) => Some(403),
        Error::NotFound(_) => Some(404),
        Error::Conflict(_) => Some(409),
        Error::Locked(_) => Some(423),
        // "<code> <reason>\n<body>"
        Error::StatusCode(text) => text.get(..3).and_then(|code| code.parse().ok()),
        _ => None,
    }
}

/// The error body the server sent, for the statuses `sdkms` keeps it for.
pub fn body_of(err: &Error) -> Option<&str> {
    match err {
        Error::BadRequest(body)
        | Error::Unauthorized(body)
        | Error::Forbidden(body)
        | Error::NotFound(body)
        | Error::Conflict(body)
        | Error::Locked(body) => Some(body),
        Error::StatusCode(text) => Some(text.split_once('\n').map_or("", |(_, body)| body)),
        _ => None,
    }
}

/// Fails unless `result` is an error with exactly `expected` status; returns the error body.
pub fn expect_status<T: Debug>(result: Result<T, Error>, expected: u16) -> anyhow::Result<String> {
    expect_one_of(result, &[expected]).map(|(_, body)| body)
}

/// Fails unless `result` is an error whose status is one of `allowed`; returns status and body.
pub fn expect_one_of<T: Debug>(
    result: Result<T, Error>,
    allowed: &[u16],
) -> anyhow::Result<(u16, String)> {
    match result {
        Ok(value) => bail!("expected status {allowed:?}, but the call succeeded: {value:?}"),
        Err(err) => match status_of(&err) {
            Some(status) if allowed.contains(&status) => {
                Ok((status, body_of(&err).unwrap_or_default().to_owned()))
            }
            Some(status) => bail!("expected status {allowed:?}, got {status}: {err}"),
            None => bail!("expected status {allowed:?}, got a client-side failure: {err:?}"),
        },
    }
}

/// Fails unless `result` is a 4xx error; returns status and body.
pub fn expect_client_error<T: Debug>(result: Result<T, Error>) -> anyhow::Result<(u16, String)> {
    let all_4xx: Vec<u16> = (400..500).collect();
    expect_one_of(result, &all_4xx)
}

/// Fails unless the raw response has one of the `allowed` statuses.
pub fn expect_raw(response: &RawResponse, allowed: &[u16]) -> anyhow::Result<()> {
    ensure!(
        allowed.contains(&response.status),
        "expected status {allowed:?}, got {response:?}"
    );
    Ok(())
}

/// Checks the shape every error response must have (dsm-api.md §8): a short `text/plain` body
/// that names no secret from `secrets`.
pub fn expect_plain_error(response: &RawResponse, secrets: &[&str]) -> anyhow::Result<()> {
    ensure!(
        (400..600).contains(&response.status),
        "not an error response: {response:?}"
    );
    let content_type = response.header("content-type").unwrap_or_default();
    ensure!(
        content_type.starts_with("text/plain"),
        "error responses are text/plain, got {content_type:?} in {response:?}"
    );
    let text = response.text();
    ensure!(
        !text.trim().is_empty() && text.len() <= 1024,
        "error body should be a short message, got {} bytes: {response:?}",
        text.len()
    );
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        ensure!(
            !text.contains(secret),
            "error body repeats a secret: {response:?}"
        );
    }
    Ok(())
}

/// Checks that a unit response is `204` with an empty body (never `{}`).
pub fn expect_no_content(response: &RawResponse) -> anyhow::Result<()> {
    ensure!(
        response.status == 204 && response.body.is_empty(),
        "expected 204 with an empty body, got {response:?}"
    );
    Ok(())
}
