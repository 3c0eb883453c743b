//! `global.proxy` with a real forward proxy (tinyproxy): after a deploy, the node's outbound
//! calls (`sdkms-cluster check-outbound`) go through the proxy, except to the hosts the
//! exclude list names and to loopback, which are reached directly.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, ensure};
use coffer_cluster_tests::{CONFIG_YAML, DEADLINE, scenario, wait_until};

// Not tinyproxy's default port, in case a system instance runs.
const PROXY: &str = "127.24.0.9:18888";
const LOCAL: &str = "127.24.0.21:8080";

/// tinyproxy in the foreground; killed when dropped.
struct Tinyproxy(Child);

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An HTTP server answering `200 ok` to every request on `addr`; counts them.
fn web_server(addr: &str) -> anyhow::Result<Arc<AtomicUsize>> {
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            counted.fetch_add(1, Ordering::Relaxed);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    Ok(hits)
}

#[test]
fn outbound_calls_use_the_proxy_except_for_excluded_hosts() {
    if Command::new("tinyproxy").arg("-v").output().is_err() {
        eprintln!("skipped: tinyproxy is not installed");
        return;
    }
    scenario("127.24.0", |cluster| {
        cluster.form(1)?;
        let node = cluster.node(1);
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("tinyproxy.log");
        let (host, port) = PROXY.split_once(':').context("proxy address")?;
        let config = dir.path().join("tinyproxy.conf");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListen {host}\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\nMaxClients 20\nAllow 127.0.0.0/8\n",
                log.display()
            ),
        )?;
        let _proxy = Tinyproxy(
            Command::new("tinyproxy")
                .arg("-d")
                .arg("-c")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting tinyproxy")?,
        );
        wait_until("tinyproxy listens", DEADLINE, || {
            std::net::TcpStream::connect(PROXY)?;
            Ok(())
        })?;
        let local_hits = web_server(LOCAL)?;

        eprintln!("--- without global.proxy, calls go directly");
        let direct = node
            .cli(&["check-outbound", &format!("http://{LOCAL}/before")])?
            .ok()?;
        ensure!(
            direct.contains("answered 200") && direct.contains("directly"),
            "{direct}"
        );

        eprintln!("--- deploy global.proxy, excluding internal.test");
        let deployed = node.deploy(&format!(
            "{CONFIG_YAML}  proxy:\n    url: http://{PROXY}\n    exclude: internal.test\n"
        ))?;
        ensure!(
            deployed.contains("the outbound HTTP client acts on it"),
            "deploy output: {deployed}"
        );

        eprintln!("--- a call to any other host goes through the proxy");
        // The proxy cannot resolve the name either (there is no DNS here) and answers with an
        // error of its own; what counts is that the call reached it.
        let through = wait_until("the node takes up the proxy", DEADLINE, || {
            let out = node
                .cli(&[
                    "check-outbound",
                    "http://proxied.test:8080/through-the-proxy",
                ])?
                .ok()?;
            ensure!(out.contains("through the proxy"), "{out}");
            Ok(out)
        })?;
        eprintln!("    {through}");

        eprintln!("--- a call to an excluded host goes directly (and fails here: no DNS)");
        let around = node.cli(&[
            "check-outbound",
            "http://internal.test:8080/around-the-proxy",
        ])?;
        ensure!(
            around.code == Some(1) && around.stderr.contains("directly"),
            "{around}"
        );

        eprintln!("--- loopback is always reached directly, whatever the exclude list says");
        let local = node
            .cli(&["check-outbound", &format!("http://{LOCAL}/loopback")])?
            .ok()?;
        ensure!(
            local.contains("answered 200") && local.contains("directly"),
            "{local}"
        );

        let seen = std::fs::read_to_string(&log).unwrap_or_default();
        ensure!(
            seen.contains("proxied.test"),
            "the proxy saw the proxied call: {seen}"
        );
        for direct in ["internal.test", "/before", "/loopback"] {
            ensure!(!seen.contains(direct), "the proxy saw {direct}: {seen}");
        }
        ensure!(
            local_hits.load(Ordering::Relaxed) == 2,
            "the local server was reached twice, directly: {}",
            local_hits.load(Ordering::Relaxed)
        );

        eprintln!("--- a URL that is not http(s) is refused");
        let refused = node.cli(&["check-outbound", "ftp://example.com/"])?;
        ensure!(refused.code == Some(1), "{refused}");
        Ok(())
    });
}
