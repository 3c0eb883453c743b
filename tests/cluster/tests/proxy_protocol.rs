//! `proxyHeaderConfig` with a real HAProxy in front of a node (`send-proxy` and
//! `send-proxy-v2`): the logs and the audit log name the client, not HAProxy; a forged header
//! from an unlisted peer is refused; and the guide's enable and disable sequences run under
//! continuous client load without a failed request.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, bail, ensure};
use coffer_cluster_tests::{API_PORT, CONFIG_YAML, DEADLINE, Node, curl, scenario, wait_until};

/// Where HAProxy listens (with a v1 header, a v2 header, and none), where it connects from,
/// and where the client connects from.
const HAPROXY: &str = "127.22.0.50";
const HAPROXY_SOURCE: &str = "127.22.0.60";
const CLIENT: &str = "127.22.0.70";
const V1_PORT: u16 = 7001;
const V2_PORT: u16 = 7002;
const PLAIN_PORT: u16 = 7003;

/// HAProxy in the foreground; killed when dropped.
struct Haproxy(Child);

impl Haproxy {
    fn start(dir: &Path, node: &str) -> anyhow::Result<Self> {
        let backend = |name: &str, port: u16, option: &str| {
            format!(
                "frontend f{name}\n  bind {HAPROXY}:{port}\n  default_backend b{name}\n\
                 backend b{name}\n  server n1 {node}:{API_PORT} {option} source {HAPROXY_SOURCE}\n"
            )
        };
        let config = format!(
            "global\n  maxconn 512\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n{}{}{}",
            backend("v1", V1_PORT, "send-proxy"),
            backend("v2", V2_PORT, "send-proxy-v2"),
            backend("plain", PLAIN_PORT, ""),
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config)?;
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting haproxy")?;
        let haproxy = Self(child);
        wait_until("haproxy listens", DEADLINE, || {
            for port in [V1_PORT, V2_PORT, PLAIN_PORT] {
                TcpStream::connect((HAPROXY, port))?;
            }
            Ok(())
        })?;
        Ok(haproxy)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// curl from `source` to the node's API, through `via` (HAProxy's port) when given. The
/// status, or `None` when the connection failed.
fn request(
    node: &Node,
    ca: &Path,
    source: &str,
    via: Option<u16>,
    method: &str,
    path: &str,
    extra: &[&str],
) -> anyhow::Result<Option<u16>> {
    let mut args = vec!["--request".to_owned(), method.to_owned()];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    if let Some(port) = via {
        args.push("--connect-to".into());
        args.push(format!("{}:{API_PORT}:{HAPROXY}:{port}", node.ip()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl::status(source, ca, &args, &format!("{}{path}", node.api_url()))
}

fn deploy(node: &Node, proxy_header: &str) -> anyhow::Result<()> {
    let out = node.deploy(&format!(
        "{CONFIG_YAML}sdkms:\n  proxyHeaderConfig: \"{proxy_header}\"\n"
    ))?;
    ensure!(
        out.contains("PROXY protocol step acts on it"),
        "deploy says the change is acted on: {out}"
    );
    Ok(())
}

/// A thread making health checks through the HAProxy port in `via`, counting answers and
/// failures.
struct Load {
    stop: Arc<AtomicBool>,
    via: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
    failed: Arc<std::sync::Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(node: &Node, ca: &Path, via: u16) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let via = Arc::new(AtomicUsize::new(usize::from(via)));
        let answered = Arc::new(AtomicUsize::new(0));
        let failed: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let (url, ca) = (node.api_url(), ca.to_path_buf());
        let ip = node.ip();
        let thread = {
            let (stop, via, answered, failed) =
                (stop.clone(), via.clone(), answered.clone(), failed.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let port = via.load(Ordering::Relaxed);
                    let output = curl::status(
                        CLIENT,
                        &ca,
                        &["--connect-to", &format!("{ip}:{API_PORT}:{HAPROXY}:{port}")],
                        &format!("{url}/sys/v1/health"),
                    );
                    match output {
                        Ok(Some(204)) => {
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        other => failed
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!("via {port}: {other:?}")),
                    }
                }
            })
        };
        Self {
            stop,
            via,
            answered,
            failed,
            thread: Some(thread),
        }
    }

    fn route_via(&self, port: u16) {
        self.via.store(usize::from(port), Ordering::Relaxed);
    }

    fn answered(&self) -> usize {
        self.answered.load(Ordering::Relaxed)
    }

    fn wait_for_more(&self, more: usize) -> anyhow::Result<()> {
        let target = self.answered() + more;
        wait_until("the load goes on", DEADLINE, || {
            ensure!(self.answered() >= target, "{} of {target}", self.answered());
            Ok(())
        })
    }

    fn stop(mut self) -> anyhow::Result<(usize, Vec<String>)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            bail!("the load thread panicked");
        }
        let failed = std::mem::take(
            &mut *self
                .failed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        Ok((self.answered(), failed))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn haproxy_passes_the_client_address_and_nobody_can_forge_it() {
    if Command::new("haproxy").arg("-v").output().is_err() {
        eprintln!("skipped: haproxy is not installed");
        return;
    }
    scenario("127.22.0", |cluster| {
        cluster.form(1)?;
        let credentials = cluster.provision(1)?;
        let node = cluster.node(1);
        let dir = tempfile::tempdir()?;
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, node.ca_pem()?)?;
        let _haproxy = Haproxy::start(dir.path(), &node.ip().to_string())?;
        let health = |source: &str, via: Option<u16>| {
            request(node, &ca, source, via, "GET", "/sys/v1/health", &[])
        };

        eprintln!("--- disabled (the default): a header is refused, direct clients are served");
        ensure!(health(CLIENT, None)? == Some(204), "a direct client");
        ensure!(
            health(CLIENT, Some(V2_PORT))?.is_none(),
            "a header while disabled"
        );

        eprintln!("--- maybefrom HAProxy's address: both header versions name the client");
        deploy(node, &format!("maybefrom={HAPROXY_SOURCE}/32"))?;
        wait_until("the node takes headers from HAProxy", DEADLINE, || {
            ensure!(health(CLIENT, Some(V2_PORT))? == Some(204), "not yet");
            Ok(())
        })?;
        let authorization = format!("Authorization: Basic {}", credentials.api_key);
        let mut names = Vec::new();
        for port in [V1_PORT, V2_PORT] {
            let name = format!("pp-{port}-{}", uuid::Uuid::new_v4());
            let status = request(
                node,
                &ca,
                CLIENT,
                Some(port),
                "POST",
                "/crypto/v1/keys",
                &[
                    "--header",
                    &authorization,
                    "--header",
                    "content-type: application/json",
                    "--data",
                    &format!(r#"{{"name":"{name}","obj_type":"AES","key_size":256}}"#),
                ],
            )?;
            ensure!(
                status == Some(200),
                "a key created through port {port}: {status:?}"
            );
            names.push(name);
        }
        ensure!(
            health(CLIENT, Some(PLAIN_PORT))? == Some(204),
            "maybefrom: a header is optional"
        );
        ensure!(
            health(CLIENT, None)? == Some(204),
            "a direct client is still served"
        );

        eprintln!("--- a header from an unlisted peer (curl's own) is refused");
        let forged = request(
            node,
            &ca,
            CLIENT,
            None,
            "GET",
            "/sys/v1/health",
            &["--haproxy-protocol"],
        )?;
        ensure!(
            forged.is_none(),
            "a header from the client itself was taken: {forged:?}"
        );

        eprintln!("--- requiredfrom: HAProxy must send one");
        deploy(node, &format!("requiredfrom={HAPROXY_SOURCE}/32"))?;
        wait_until("the node requires headers from HAProxy", DEADLINE, || {
            ensure!(health(CLIENT, Some(PLAIN_PORT))?.is_none(), "not yet");
            Ok(())
        })?;
        ensure!(health(CLIENT, Some(V1_PORT))? == Some(204), "with a header");
        ensure!(
            health(HAPROXY_SOURCE, None)?.is_none(),
            "HAProxy's address without a header"
        );

        eprintln!("--- the logs name the client, never HAProxy");
        let logs = node.logs();
        let lines: Vec<serde_json::Value> = logs
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let created: Vec<&serde_json::Value> = lines
            .iter()
            .filter(|line| {
                line["log"] == "request"
                    && line["path"] == "/crypto/v1/keys"
                    && line["method"] == "POST"
            })
            .collect();
        ensure!(
            created.len() >= 2,
            "request lines for the key creations: {created:?}"
        );
        for line in &created {
            ensure!(
                line["client_ip"] == CLIENT,
                "a request logged as {}",
                line["client_ip"]
            );
        }
        ensure!(
            lines.iter().any(|line| line["log"] == "connection"
                && line["client_ip"] == CLIENT
                && line["proxy_ip"] == HAPROXY_SOURCE),
            "a connection line names the client and HAProxy"
        );
        ensure!(
            lines
                .iter()
                .any(|line| line["message"] == "connection refused" && line["client_ip"] == CLIENT),
            "the forged header's refusal is logged with the real peer"
        );

        eprintln!("--- the guide's disable and enable sequences under load: no failed request");
        let load = Load::start(node, &ca, V2_PORT);
        load.wait_for_more(10)?;
        deploy(node, &format!("maybefrom={HAPROXY_SOURCE}/32"))?;
        load.wait_for_more(10)?;
        load.route_via(PLAIN_PORT); // the header is turned off on the load balancer
        load.wait_for_more(10)?;
        deploy(node, "disabled")?;
        load.wait_for_more(10)?;
        deploy(node, &format!("maybefrom={HAPROXY_SOURCE}/32"))?;
        load.wait_for_more(10)?;
        load.route_via(V2_PORT); // the header is turned on again
        load.wait_for_more(10)?;
        deploy(node, &format!("requiredfrom={HAPROXY_SOURCE}/32"))?;
        load.wait_for_more(10)?;
        let (answered, failed) = load.stop()?;
        eprintln!(
            "    {answered} health checks through HAProxy, {} failed",
            failed.len()
        );
        ensure!(failed.is_empty(), "failed requests: {failed:?}");

        eprintln!("--- the audit log names the client of each key creation");
        cluster.node_mut(1).stop()?;
        let store = coffer_store::Store::open(&cluster.node(1).data_dir().join("coffer.redb"))?;
        let records = store.audit().scan_newest_first(None, 10_000, |_| true)?;
        for name in &names {
            let record = records
                .iter()
                .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
                .find(|text| text.contains(name.as_str()))
                .with_context(|| format!("no audit record names {name}"))?;
            let record: serde_json::Value = serde_json::from_str(&record)?;
            ensure!(
                record["client_ip"] == CLIENT,
                "the audit record of {name} names {}",
                record["client_ip"]
            );
        }
        Ok(())
    });
}
