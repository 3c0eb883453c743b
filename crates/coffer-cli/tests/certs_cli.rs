//! Runs the built `get_csrs` and `install_certs` against a fake daemon (a thread answering on a
//! temporary `admin.sock`): what they send, what they print, what they ask on a terminal (a
//! pseudo-terminal made by `script(1)`), and what they log when they fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed test should panic"
)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const CSR_MAIN: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\nMAIN\n-----END CERTIFICATE REQUEST-----\n";
const CSR_UI: &str = "-----BEGIN CERTIFICATE REQUEST-----\nUI\n-----END CERTIFICATE REQUEST-----\n";
const PASSWORD: &str = "Pa55-word!x-cli";

/// Answers the n-th connection with the n-th canned line and records the requests.
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
                            if Instant::now() >= deadline {
                                return requests;
                            }
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(error) => panic!("accept: {error}"),
                    }
                };
                stream.set_nonblocking(false).unwrap();
                let mut line = String::new();
                BufReader::new(&stream).read_line(&mut line).unwrap();
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

    fn log_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn requests(self) -> Vec<Value> {
        self.thread.join().unwrap()
    }
}

fn command(program: &str, data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("COFFER_DATA_DIR")
        .env_remove("COFFER_SYSADMIN_PASSWORD")
        .stdin(Stdio::null());
    command
}

/// Runs `program ARGS` on a pseudo-terminal through `script(1)` and answers like a person: for
/// each `(question, answer)`, waits until the terminal shows the question, then types the
/// answer. Returns the exit status and everything the terminal showed.
fn on_terminal(
    program: &str,
    data_dir: &Path,
    args: &[&str],
    dialogue: &[(&str, &str)],
) -> (Output, String) {
    let mut line = format!("'{program}' --data-dir '{}'", data_dir.display());
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env_remove("COFFER_DATA_DIR")
        .env_remove("COFFER_SYSADMIN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs the command on a pseudo-terminal");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let shown = Arc::new(Mutex::new(String::new()));
    let reader = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 4096];
            while let Ok(read) = stdout.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                let chunk = String::from_utf8_lossy(&buffer[..read]).replace('\r', "");
                shown.lock().unwrap().push_str(&chunk);
            }
        })
    };
    let mut from = 0;
    for (question, answer) in dialogue {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = shown.lock().unwrap().clone();
            if let Some(at) = text[from..].find(question) {
                from += at + question.len();
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {question:?}; it shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Time for the command to switch the echo off after a password question.
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(answer.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let transcript = shown.lock().unwrap().clone();
    (
        Output {
            status,
            stdout: transcript.clone().into_bytes(),
            stderr: stderr.into_bytes(),
        },
        transcript,
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn csrs_answer(sysadmin_created: bool) -> Value {
    json!({"ok": {
        "cluster_csr_pem": CSR_MAIN,
        "ui_csr_pem": CSR_UI,
        "sysadmin_created": sysadmin_created,
    }})
}

#[test]
fn get_csrs_with_every_flag_sends_one_request_and_prints_the_two_headed_requests() {
    let daemon = FakeDaemon::start(vec![csrs_answer(true)]);
    let output = command(
        env!("CARGO_BIN_EXE_get_csrs"),
        daemon.data_dir(),
        &[
            "--main-domain",
            "CN=dsm.example.com O=Example L=Mountain View ST=California",
            "--main-san",
            "mtls.example.com",
            "--ui-domain",
            "ui.example.com",
            "--cluster-name",
            "production",
            "--sysadmin-email",
            "admin@example.com",
            "--log-file",
            daemon.log_file("get_csrs.log").to_str().unwrap(),
        ],
    )
    .env("COFFER_SYSADMIN_PASSWORD", PASSWORD)
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with(&format!(
            "Cluster Certificate Request:\n{CSR_MAIN}\nUI Certificate Request:\n{CSR_UI}\n\
             The first sysadmin, admin@example.com, was created.\n"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Next steps:"), "{stdout}");
    assert_eq!(text(&output.stderr), "", "nothing is asked");
    assert_eq!(
        daemon.requests(),
        [json!({
            "command": "get_csrs",
            "main_domain": "CN=dsm.example.com O=Example L=Mountain View ST=California",
            "main_sans": ["mtls.example.com"],
            "ui_domain": "ui.example.com",
            "ui_sans": [],
            "cluster_name": "production",
            "sysadmin_email": "admin@example.com",
            "sysadmin_password": PASSWORD,
            "rotate": false,
        })]
    );
}

#[test]
fn get_csrs_asks_on_a_terminal_in_the_guides_order() {
    let daemon = FakeDaemon::start(vec![csrs_answer(false)]);
    let (output, transcript) = on_terminal(
        env!("CARGO_BIN_EXE_get_csrs"),
        daemon.data_dir(),
        &[
            "--rotate",
            "--log-file",
            daemon.log_file("get_csrs.log").to_str().unwrap(),
        ],
        &[
            ("Domain name for the cluster (Main): ", "dsm.example.com\n"),
            (
                "Subject alternative names for the cluster, one per line, empty line to finish:",
                "mtls.example.com\napi.example.com\n\n",
            ),
            ("Domain name for the UI (Assets): ", "ui.example.com\n"),
            (
                "Subject alternative names for the UI, one per line, empty line to finish:",
                "\n",
            ),
            ("Cluster name: ", "production\n"),
            ("Sysadmin email address: ", "admin@example.com\n"),
            ("Sysadmin password: ", &format!("{PASSWORD}\n")),
            ("Repeat the sysadmin password: ", &format!("{PASSWORD}\n")),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{transcript}");
    let mut at = 0;
    for question in [
        "Domain name for the cluster (Main): ",
        "Subject alternative names for the cluster, one per line, empty line to finish:",
        "Domain name for the UI (Assets): ",
        "Subject alternative names for the UI, one per line, empty line to finish:",
        "Cluster name: ",
        "Sysadmin email address: ",
        "Sysadmin password: ",
        "Repeat the sysadmin password: ",
        "Cluster Certificate Request:",
        "UI Certificate Request:",
        "install_certs --rotate",
    ] {
        let found = transcript[at..]
            .find(question)
            .unwrap_or_else(|| panic!("{question:?} missing or out of order in:\n{transcript}"));
        at += found + question.len();
    }
    assert!(
        !transcript.contains(&format!("Sysadmin password: {PASSWORD}")),
        "the password is not echoed:\n{transcript}"
    );
    assert_eq!(
        daemon.requests(),
        [json!({
            "command": "get_csrs",
            "main_domain": "dsm.example.com",
            "main_sans": ["mtls.example.com", "api.example.com"],
            "ui_domain": "ui.example.com",
            "ui_sans": [],
            "cluster_name": "production",
            "sysadmin_email": "admin@example.com",
            "sysadmin_password": PASSWORD,
            "rotate": true,
        })]
    );
}

#[test]
fn get_csrs_without_a_terminal_names_the_missing_flags_and_logs_the_failure() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("get_csrs.log");
    let output = command(
        env!("CARGO_BIN_EXE_get_csrs"),
        dir.path(),
        &[
            "--main-domain",
            "dsm.example.com",
            "--sysadmin-password",
            PASSWORD,
            "--log-file",
            log.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(
            "get_csrs failed: missing --ui-domain, --cluster-name, --sysadmin-email: standard \
             input is not a terminal, so they cannot be asked for; details in "
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("details in {}\n", log.display())),
        "{stderr}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains(" get_csrs failed (exit code 1)\n"),
        "{logged}"
    );
    assert!(
        logged.contains("main domain: dsm.example.com\n"),
        "{logged}"
    );
    assert!(logged.contains("--sysadmin-password <hidden>"), "{logged}");
    assert!(!logged.contains(PASSWORD), "{logged}");
}

#[test]
fn a_daemon_refusal_is_printed_with_its_hint_and_logged_in_the_data_directory_when_needed() {
    let daemon = FakeDaemon::start(vec![json!({"error": {
        "message": "get_csrs was run with --rotate, so install_certs must be too (it was run without it)",
        "hint": "run `install_certs --rotate`",
    }})]);
    let chain = daemon.data_dir().join("chain.pem");
    std::fs::write(
        &chain,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let output = command(
        env!("CARGO_BIN_EXE_install_certs"),
        daemon.data_dir(),
        &[
            "--main-chain",
            chain.to_str().unwrap(),
            "--ui-chain",
            chain.to_str().unwrap(),
            "--log-file",
            "/nonexistent-directory/install_certs.log",
        ],
    )
    .output()
    .unwrap();
    let fallback = daemon.data_dir().join("install_certs.log");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "install_certs failed: get_csrs was run with --rotate, so install_certs must be too \
             (it was run without it); details in {}\nhint: run `install_certs --rotate`\n",
            fallback.display()
        )
    );
    let logged = std::fs::read_to_string(&fallback).unwrap();
    assert!(
        logged.contains("error (from the daemon): get_csrs was run with --rotate"),
        "{logged}"
    );
    assert!(
        logged.contains("hint: run `install_certs --rotate`\n"),
        "{logged}"
    );
    assert!(
        logged.contains("Main (Cluster) chain:\n    1 certificate\n"),
        "{logged}"
    );
    assert_eq!(
        daemon.requests()[0]["command"],
        json!("install_certs"),
        "the request was sent"
    );
}

#[test]
fn install_certs_reads_pasted_chains_on_a_terminal_and_reports_what_it_installed() {
    let daemon = FakeDaemon::start(vec![json!({"ok": {
        "main_names": ["dsm.example.com"],
        "ui_names": ["ui.example.com"],
        "main_not_after": 4_102_444_800_i64,
        "ui_not_after": 4_102_444_800_i64,
    }})]);
    let main = "-----BEGIN CERTIFICATE-----\nMAINLEAF\n-----END CERTIFICATE-----\n\
                -----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
    let ui = "-----BEGIN CERTIFICATE-----\nUILEAF\n-----END CERTIFICATE-----\n";
    let main_question = "Paste the signed certificate chain for Main (Cluster), leaf \
                         certificate first, then an empty line";
    let ui_question = "Paste the signed certificate chain for Assets (UI), leaf certificate \
                       first, then an empty line";
    let (output, transcript) = on_terminal(
        env!("CARGO_BIN_EXE_install_certs"),
        daemon.data_dir(),
        &[
            "--log-file",
            daemon.log_file("install_certs.log").to_str().unwrap(),
        ],
        &[
            (main_question, &format!("{main}\n")),
            (ui_question, &format!("{ui}\n")),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{transcript}");
    assert!(
        transcript.contains("Main (Cluster): dsm.example.com; expires 2100-01-01T00:00:00Z"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Assets (UI):    ui.example.com; expires 2100-01-01T00:00:00Z"),
        "{transcript}"
    );
    assert_eq!(
        daemon.requests(),
        [json!({
            "command": "install_certs",
            "main_chain_pem": main,
            "ui_chain_pem": ui,
            "rotate": false,
        })]
    );
}

#[test]
fn usage_errors_exit_2_and_are_logged_too() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("install_certs.log");
    let output = command(
        env!("CARGO_BIN_EXE_install_certs"),
        dir.path(),
        &["--log-file", log.to_str().unwrap(), "--main-chan", "x.pem"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--main-chan"), "{stderr}");
    assert!(
        stderr.ends_with(&format!(
            "install_certs failed: invalid command line; details in {}\n",
            log.display()
        )),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("invalid command line")
    );
}
