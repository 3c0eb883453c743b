//! Answers that come before the request body was read (here the authentication layer's 401)
//! reach an HTTP/2 client as answers, not as a reset stream: curl, over HTTP/2, sees every one.

use anyhow::{Context, ensure};
use coffer_compat_tests::CofferServer;
use std::process::Command;

/// Runs curl over HTTP/2 and returns its exit code, the status and the protocol it used.
fn post_over_http2(
    url: &str,
    ca: &std::path::Path,
    body: &std::path::Path,
) -> anyhow::Result<(Option<i32>, String)> {
    let output = Command::new("curl")
        .args([
            "--http2",
            "--silent",
            "--show-error",
            "--output",
            "/dev/null",
        ])
        .args(["--write-out", "%{http_code} %{http_version}"])
        .arg("--cacert")
        .arg(ca)
        .args(["--header", "content-type: application/json"])
        .arg("--data-binary")
        .arg(format!("@{}", body.display()))
        .arg(url)
        .output()
        .context("running curl")?;
    let answer = format!(
        "{} {}",
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok((output.status.code(), answer))
}

#[test]
fn a_refusal_before_the_body_is_read_reaches_an_http2_client() -> anyhow::Result<()> {
    let version = Command::new("curl").arg("--version").output();
    if !version.is_ok_and(|v| String::from_utf8_lossy(&v.stdout).contains("HTTP2")) {
        eprintln!("skipped: this curl has no HTTP/2");
        return Ok(());
    }
    let server = CofferServer::start_dev()?;
    let dir = tempfile::tempdir()?;
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.credentials().ca_cert_pem)?;
    // Large enough that the client is still sending when the answer comes.
    let body = dir.path().join("body.json");
    let plain = "A".repeat(400 * 1024);
    std::fs::write(
        &body,
        format!(r#"{{"key":{{"name":"none"}},"alg":"AES","mode":"GCM","plain":"{plain}"}}"#),
    )?;
    let url = format!("{}/crypto/v1/encrypt", server.credentials().url);

    let mut failures = Vec::new();
    let rounds = 40;
    for _ in 0..rounds {
        let (code, answer) = post_over_http2(&url, &ca, &body)?;
        if code != Some(0) || !answer.starts_with("401 2") {
            failures.push(format!("exit {code:?}: {answer}"));
        }
    }
    eprintln!(
        "    {} of {rounds} unauthenticated HTTP/2 POSTs of 400 KiB got their 401",
        rounds - failures.len()
    );
    ensure!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    Ok(())
}
