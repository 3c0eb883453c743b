//! curl, for what the official client cannot do: bind a source address, go through a load
//! balancer, send a PROXY header of its own.

use anyhow::Context;
use std::path::Path;
use std::process::Command;

/// Runs curl from the local address `source` with `args`, trusting the CA in `ca`, against
/// `url`; the HTTP status, or `None` when no answer came (the connection failed or was
/// closed).
pub fn status(source: &str, ca: &Path, args: &[&str], url: &str) -> anyhow::Result<Option<u16>> {
    let output = Command::new("curl")
        .args([
            "--silent",
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code}",
        ])
        .args(["--max-time", "10", "--interface", source])
        .arg("--cacert")
        .arg(ca)
        .args(args)
        .arg(url)
        .output()
        .context("running curl")?;
    let code: u16 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    Ok((code != 0).then_some(code))
}
