//! Runs the built `sdkms-cluster` against a fake daemon: a thread listening on a temporary
//! `admin.sock` that records each request line and answers with a canned line. Also covers the
//! paths that need no daemon: the missing-daemon message, refusals, and the local reset.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed test should panic"
)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;

/// A daemon stand-in: answers the n-th connection with the n-th canned line.
struct FakeDaemon {
    dir: TempDir,
    thread: JoinHandle<Vec<Value>>,
}

impl FakeDaemon {
    fn start(answers: Vec<Value>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("admin.sock")).unwrap();
        listener.set_nonblocking(true).unwrap();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut requests = Vec::new();
            for answer in answers {
                let stream = loop {
                    match listener.accept() {
                        Ok((stream, _)) => break stream,
                        Err(error) if error.kind() == ErrorKind::WouldBlock => {
                            assert!(Instant::now() < deadline, "the command never connected");
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(error) => panic!("accept: {error}"),
                    }
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut line = String::new();
                BufReader::new(&stream).read_line(&mut line).unwrap();
                assert!(line.ends_with('\n'), "the request is one line: {line:?}");
                requests.push(serde_json::from_str(&line).unwrap());
                (&stream)
                    .write_all(format!("{answer}\n").as_bytes())
                    .unwrap();
            }
            requests
        });
        Self { dir, thread }
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The requests received, in order.
    fn requests(self) -> Vec<Value> {
        self.thread.join().unwrap()
    }
}

/// Runs `sdkms-cluster --data-dir DIR ARGS` with a clean environment.
fn sdkms(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir, args).output().unwrap()
}

fn command(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sdkms-cluster"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("COFFER_DATA_DIR")
        .env_remove("COFFER_SYSADMIN_PASSWORD")
        .stdin(Stdio::null());
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn token_create_prints_only_the_token_on_stdout() {
    let daemon = FakeDaemon::start(vec![
        json!({"ok": {"token": "525073.715ecf923e4ae1db", "expires_at": now() + 1_800}}),
    ]);
    let output = sdkms(daemon.data_dir(), &["token", "create", "--ttl", "30m"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "525073.715ecf923e4ae1db\n");
    assert!(
        stderr(&output).starts_with("the token expires at "),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        daemon.requests(),
        [json!({"command": "token_create", "ttl_secs": 1_800})]
    );
}

#[test]
fn a_daemon_error_prints_error_and_hint_and_exits_1() {
    let daemon = FakeDaemon::start(vec![json!({"error": {
        "message": "join token 525073 has expired",
        "hint": "create a new one on a member with `sdkms-cluster token create`"
    }})]);
    let output = sdkms(
        daemon.data_dir(),
        &[
            "join",
            "--peer=10.0.0.1/24",
            "--token=525073.715ecf923e4ae1db",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "error: join token 525073 has expired\n\
         hint: create a new one on a member with `sdkms-cluster token create`\n"
    );
    assert_eq!(
        daemon.requests(),
        [json!({
            "command": "join",
            "peer": "10.0.0.1/24",
            "token": "525073.715ecf923e4ae1db",
            "self_addr": null,
            "node_name": null
        })]
    );
}

#[test]
fn join_across_subnets_sends_self_and_reports_the_role() {
    let daemon = FakeDaemon::start(vec![
        json!({"ok": {"node": "node-2", "node_id": 2, "role": "learner"}}),
    ]);
    let output = sdkms(
        daemon.data_dir(),
        &[
            "join",
            "--peer=10.0.0.1",
            "--token=525073.715ecf923e4ae1db",
            "--self=10.0.1.2",
            "--node-name",
            "node-2",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("node node-2 joined the cluster as learner (node id 2)\n"));
    assert_eq!(
        daemon.requests(),
        [json!({
            "command": "join",
            "peer": "10.0.0.1",
            "token": "525073.715ecf923e4ae1db",
            "self_addr": "10.0.1.2",
            "node_name": "node-2"
        })]
    );
}

#[test]
fn create_sends_the_config_file_contents() {
    let daemon = FakeDaemon::start(vec![json!({"ok": {
        "node": "node-1", "api_url": "https://10.0.0.1:443", "cluster_addr": "10.0.0.1:4444"
    }})]);
    let config = tempfile::tempdir().unwrap();
    let config_path = config.path().join("config.yaml");
    std::fs::write(&config_path, "cluster_name: prod\n").unwrap();
    let output = sdkms(
        daemon.data_dir(),
        &[
            "create",
            "--self=10.0.0.1/24",
            "--config",
            config_path.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("cluster created; node node-1 is its first member\n"));
    assert_eq!(
        daemon.requests(),
        [json!({
            "command": "create",
            "self_addr": "10.0.0.1/24",
            "config_yaml": "cluster_name: prod\n",
            "node_name": null
        })]
    );
}

#[test]
fn create_with_an_unreadable_config_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    let output = sdkms(
        dir.path(),
        &[
            "create",
            "--self=10.0.0.1/24",
            "--config",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with(&format!(
            "error: cannot read config file {}: ",
            missing.display()
        )),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("\nhint: "), "{}", stderr(&output));
}

#[test]
fn malformed_flags_are_usage_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = sdkms(
        dir.path(),
        &["join", "--peer=10.0.0.1/24", "--token=525073"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--token <TOKEN>"),
        "{}",
        stderr(&output)
    );
    let output = sdkms(
        dir.path(),
        &["create", "--self=10.0.0.1/33", "--config", "c.yaml"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--self <IP/PREFIX>"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn status_prints_a_table_or_the_json_as_received() {
    let status = json!({
        "node": "node-1",
        "state": "Member",
        "leader": "node-1",
        "nodes": [{
            "name": "node-1", "id": 1, "address": "10.0.0.1:4444", "role": "leader",
            "state": "Member", "dc": "dc-east", "applied_index": 42, "lag": 0,
            "last_contact_ms": null, "clock_offset_ms": 0,
            "health": {"api": true, "raft": true, "store": true}
        }],
        "warnings": ["only one sysadmin exists; create a second one"],
        "a_field_from_a_newer_daemon": 7
    });
    let daemon = FakeDaemon::start(vec![json!({"ok": status}), json!({"ok": status})]);

    let table = sdkms(daemon.data_dir(), &["status"]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    assert_eq!(
        stdout(&table),
        "NAME     ROLE     STATE    DC        ADDRESS         APPLIED   LAG   LAST CONTACT   CLOCK OFFSET   HEALTH\n\
         node-1   leader   Member   dc-east   10.0.0.1:4444   42        0     -              +0ms           ok\n\
         \n\
         node node-1: Member\n\
         leader: node-1\n\
         WARNING: only one sysadmin exists; create a second one\n"
    );

    let json_output = sdkms(daemon.data_dir(), &["status", "--json"]);
    assert_eq!(
        json_output.status.code(),
        Some(0),
        "{}",
        stderr(&json_output)
    );
    let printed: Value = serde_json::from_str(&stdout(&json_output)).unwrap();
    assert_eq!(printed, status);
    assert!(stdout(&json_output).contains("\n  \"a_field_from_a_newer_daemon\": 7"));
    assert_eq!(
        daemon.requests(),
        [json!({"command": "status"}), json!({"command": "status"})]
    );
}

#[test]
fn the_data_dir_comes_from_the_environment() {
    let daemon = FakeDaemon::start(vec![json!({"ok": []})]);
    let output = Command::new(env!("CARGO_BIN_EXE_sdkms-cluster"))
        .args(["token", "list"])
        .env("COFFER_DATA_DIR", daemon.data_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "TOKEN ID   CREATED   EXPIRES   TTL LEFT\n");
    assert!(stderr(&output).contains("no join tokens"));
    assert_eq!(daemon.requests(), [json!({"command": "token_list"})]);
}

#[test]
fn repair_with_a_failed_node_prints_the_report_and_exits_1() {
    let daemon = FakeDaemon::start(vec![json!({"ok": {
        "index": 99, "consistent": ["node-1"], "repaired": ["node-2"],
        "failed": [["node-3", "unreachable"]]
    }})]);
    let output = sdkms(daemon.data_dir(), &["repair"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("repaired:   node-2\nfailed:     node-3: unreachable\n"));
    assert_eq!(
        stderr(&output),
        "error: repair could not check 1 node(s): node-3\n\
         hint: fix the causes listed above, then run `sdkms-cluster repair` again\n"
    );
    assert_eq!(daemon.requests(), [json!({"command": "repair"})]);
}

#[test]
fn check_network_with_loss_exits_1() {
    let check = |received: u32| {
        json!({"peer": "node-2", "port_name": "cluster", "address": "10.0.0.2:4444",
               "sent": 10, "received": received, "loss_percent": f64::from(10 - received) * 10.0,
               "median_rtt_ms": 0.5, "error": null})
    };
    let daemon = FakeDaemon::start(vec![
        json!({"ok": {"checks": [check(10)]}}),
        json!({"ok": {"checks": [check(10), check(7)]}}),
    ]);
    let clean = sdkms(daemon.data_dir(), &["check-network", "--peer", "10.0.0.2"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    let lossy = sdkms(daemon.data_dir(), &["check-network"]);
    assert_eq!(lossy.status.code(), Some(1));
    assert!(stdout(&lossy).contains("30.0%"), "{}", stdout(&lossy));
    assert!(stderr(&lossy).starts_with("error: packet loss or errors on node-2 cluster"));
    assert_eq!(
        daemon.requests(),
        [
            json!({"command": "check_network", "peer": "10.0.0.2"}),
            json!({"command": "check_network", "peer": null})
        ]
    );
}

#[test]
fn label_auto_sends_one_request_per_line_and_reports_each() {
    let daemon = FakeDaemon::start(vec![
        json!({"ok": null}),
        json!({"error": {"message": "no node named node-x", "hint": "see `sdkms-cluster status`"}}),
        json!({"ok": null}),
    ]);
    let map = tempfile::tempdir().unwrap();
    let map_path = map.path().join("dc-map.txt");
    std::fs::write(
        &map_path,
        "# node  dc\nnode-1 dc-east\nnode-x dc-east\n\nnode-3 dc-west\n",
    )
    .unwrap();
    let output = sdkms(
        daemon.data_dir(),
        &["label", "--auto", "--dc-map", map_path.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "node-1: labelled with data centre dc-east\n\
         node-x: FAILED: no node named node-x (hint: see `sdkms-cluster status`)\n\
         node-3: labelled with data centre dc-west\n"
    );
    assert!(
        stderr(&output).starts_with("error: 1 of 3 labels failed\n"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        daemon.requests(),
        [
            json!({"command": "label", "node": "node-1", "dc": "dc-east"}),
            json!({"command": "label", "node": "node-x", "dc": "dc-east"}),
            json!({"command": "label", "node": "node-3", "dc": "dc-west"}),
        ]
    );
}

#[test]
fn remove_and_sysadmin_send_what_the_flags_say() {
    let daemon = FakeDaemon::start(vec![
        json!({"ok": {"removed": "node-3"}}),
        json!({"ok": {"user_id": "u-2", "email": "second@example.com"}}),
    ]);
    let removed = sdkms(
        daemon.data_dir(),
        &["remove", "--node", "node-3", "--force"],
    );
    assert_eq!(removed.status.code(), Some(0), "{}", stderr(&removed));
    assert!(stdout(&removed).starts_with("node node-3 removed from the cluster\n"));
    let created = command(
        daemon.data_dir(),
        &["sysadmin", "create", "--email", "second@example.com"],
    )
    .env("COFFER_SYSADMIN_PASSWORD", "Correct-Horse-7")
    .output()
    .unwrap();
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    assert_eq!(
        stdout(&created),
        "sysadmin second@example.com created (user id u-2)\n"
    );
    assert_eq!(
        daemon.requests(),
        [
            json!({"command": "remove", "node": "node-3", "force": true}),
            json!({"command": "sysadmin_create", "email": "second@example.com",
                   "password": "Correct-Horse-7"}),
        ]
    );
}

#[test]
fn without_a_daemon_the_error_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let output = sdkms(dir.path(), &["status"]);
    assert_eq!(output.status.code(), Some(1));
    let dir = dir.path().display();
    assert_eq!(
        stderr(&output),
        format!(
            "error: no Coffer daemon is running with data directory {dir} ({dir}/admin.sock not \
             found); start it with `systemctl start coffer` or `coffer server --data-dir {dir}`\n"
        )
    );
}

#[test]
fn a_stale_socket_is_reported_as_a_stopped_daemon() {
    let dir = tempfile::tempdir().unwrap();
    drop(UnixListener::bind(dir.path().join("admin.sock")).unwrap());
    let output = sdkms(dir.path(), &["status"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("exists but no Coffer daemon accepts connections"));
    assert!(stderr(&output).contains("hint: start it with `systemctl start coffer`"));
}

#[test]
fn confirmation_flags_are_required_and_nothing_is_touched_without_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("node.json"), "{}").unwrap();

    let output = sdkms(dir.path(), &["reset"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: not resetting without --delete-data"));
    assert!(stderr(&output).contains("hint: to confirm, run `sdkms-cluster reset --delete-data`"));
    assert_eq!(entries(dir.path()), ["node.json"]);

    let output = sdkms(dir.path(), &["remove", "--node", "node-3"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: not removing node node-3 without --force"));
}

#[test]
fn a_local_reset_empties_the_data_dir_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    // A stopped daemon leaves its socket behind.
    drop(UnixListener::bind(dir.path().join("admin.sock")).unwrap());
    std::fs::create_dir_all(dir.path().join("raft/snapshots")).unwrap();
    std::fs::write(dir.path().join("raft/snapshots/1"), "snapshot").unwrap();
    std::fs::write(dir.path().join("platform.secret"), "secret").unwrap();
    let no_tools = tempfile::tempdir().unwrap();
    let path = no_tools.path().to_str().unwrap();

    let first = command(dir.path(), &["reset", "--delete-data", "--reset-iptables"])
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let d = dir.path().display();
    assert_eq!(
        stdout(&first),
        format!(
            "removed {d}/admin.sock (file)\n\
             removed {d}/platform.secret (file)\n\
             removed {d}/raft (directory)\n\
             {d} is now empty (3 entries removed)\n\
             iptables not found; no iptables rules to remove\n\
             ip6tables not found; no ip6tables rules to remove\n"
        )
    );
    assert_eq!(
        stderr(&first),
        format!("no Coffer daemon accepts connections on {d}/admin.sock; resetting locally\n")
    );
    assert!(dir.path().is_dir());
    assert!(entries(dir.path()).is_empty());

    let second = command(dir.path(), &["reset", "--delete-data", "--reset-iptables"])
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(stdout(&second).starts_with(&format!("nothing to remove: {d} is empty\n")));
    assert!(
        stderr(&second).contains("admin.sock not found"),
        "{}",
        stderr(&second)
    );
}

#[test]
fn a_local_reset_of_a_missing_data_dir_has_nothing_to_remove() {
    let parent = tempfile::tempdir().unwrap();
    let missing = parent.path().join("never-created");
    let output = sdkms(&missing, &["reset", "--delete-data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("nothing to remove: {} does not exist\n", missing.display())
    );
    assert!(!missing.exists());
}

#[test]
fn a_local_reset_deletes_only_the_coffer_chain_and_jumps_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("calls.log");
    let rules = tools.path().join("rules");
    std::fs::write(
        &rules,
        "-P INPUT ACCEPT\n\
         -N COFFER\n\
         -A INPUT -p tcp -m comment --comment \"coffer cluster\" -j COFFER\n\
         -A INPUT -p tcp --dport 22 -j ACCEPT\n\
         -A COFFER -p tcp --dport 4444 -j ACCEPT\n",
    )
    .unwrap();
    // Records each call; `-S` lists the rules above. Only absolute paths: PATH holds only the
    // fake tools, so no real firewall is touched.
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"iptables $*\" >> '{log}'\n\
         if [ \"$*\" = \"-w -S\" ]; then /bin/cat '{rules}'; fi\n",
        log = log.display(),
        rules = rules.display()
    );
    let tool = tools.path().join("iptables");
    std::fs::write(&tool, script).unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();

    let output = command(dir.path(), &["reset", "--delete-data", "--reset-iptables"])
        .env("PATH", tools.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).ends_with(
            "iptables: deleted rule `-A INPUT -p tcp -m comment --comment \"coffer cluster\" -j COFFER`\n\
             iptables: flushed and deleted chain COFFER\n\
             ip6tables not found; no ip6tables rules to remove\n"
        ),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "iptables -w -S\n\
         iptables -w -D INPUT -p tcp -m comment --comment coffer cluster -j COFFER\n\
         iptables -w -F COFFER\n\
         iptables -w -X COFFER\n"
    );
}

#[test]
fn a_running_daemon_does_the_reset_itself() {
    let daemon = FakeDaemon::start(vec![json!({"ok": {
        "removed": ["/var/lib/coffer/store.redb"], "iptables": "not requested"
    }})]);
    let output = sdkms(daemon.data_dir(), &["reset", "--delete-data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "node reset by the daemon\nremoved /var/lib/coffer/store.redb\niptables: not requested\n"
    );
    assert_eq!(
        daemon.requests(),
        [json!({"command": "reset", "delete_data": true, "reset_iptables": false})]
    );
}
