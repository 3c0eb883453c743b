//! The installation guide, step by step (sections 5.1–5.5, 7, 8 and 6), on three loopback
//! nodes: `scripts/guide-walkthrough.sh` installs the debug installer file into a scratch root
//! per node and drives the installed commands only.
//!
//! ```text
//! Artifact::build(out)                      scripts/build-installer.sh --no-build (as installer.rs)
//! scripts/guide-walkthrough.sh --artifact out/coffer_<version>.run --workdir <tempdir>
//!                              --subnet 127.31.0
//!   node1 127.31.0.1, node2 127.31.0.2, node3 127.31.0.3, each on API port 8443 and cluster
//!   port 8444; a banner "== Guide <section>: …" for every step of the guide
//! ```
//!
//! The script needs `openssl` (guide 5.5 signs the certificate requests with a local CA) and
//! `curl` (the closing API calls); CI installs both (`.ci/run`). It needs no root. Set
//! `COFFER_KEEP_TEST_DIRS` to keep the working directory (logs, data, certificates) after a
//! successful run; after a failed run it is always kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail, ensure};
use coffer_install_tests::{Artifact, Run, repository};

/// The first three octets of the nodes' addresses; no other test uses this subnet (the script's
/// default, 127.30.0, is left to runs by hand).
const SUBNET: &str = "127.31.0";

/// The guide's sections the walkthrough goes through, each announced by a banner.
const SECTIONS: &[&str] = &[
    "5.1", "5.2", "5.3.1", "5.3.5", "5.4", "5.3.6", "5.5", "5.3.4", "8", "7", "6",
];

/// The binaries the walkthrough installs and runs.
const BINARIES: &[&str] = &["coffer", "sdkms-cluster", "get_csrs", "install_certs"];

/// Lines of the script's standard output quoted when it fails (its standard error, which holds
/// the failure report and the ends of the daemon logs, is quoted in full).
const STDOUT_TAIL_LINES: usize = 150;

#[test]
fn the_installation_guide_walkthrough_passes_every_step() -> anyhow::Result<()> {
    require_tool(
        "openssl",
        &["version"],
        "guide step 5.5 signs the certificate requests with a local OpenSSL CA and checks the \
         served certificates with `openssl s_client`",
    )?;
    require_tool(
        "curl",
        &["--version"],
        "the walkthrough ends with a sysadmin login and an encryption through the API",
    )?;

    build_every_binary_if_missing()?;
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coffer-walkthrough");
    remove_builds_of_finished_runs(&base);
    let out = base.join(std::process::id().to_string());
    let artifact = Artifact::build(&out)?;

    let keep = std::env::var_os("COFFER_KEEP_TEST_DIRS").is_some();
    let workdir = tempfile::Builder::new()
        .prefix("coffer-walkthrough-")
        .tempdir()
        .context("creating the walkthrough's working directory")?;
    let run = Run::of(
        Command::new("bash")
            .arg(repository().join("scripts/guide-walkthrough.sh"))
            .arg("--artifact")
            .arg(&artifact.path)
            .arg("--workdir")
            .arg(workdir.path())
            .arg("--subnet")
            .arg(SUBNET)
            .stdin(Stdio::null()),
    )?;
    let checked = check_run(&run, workdir.path());
    let leftovers = daemons_left_running(workdir.path());
    let _ = std::fs::remove_dir_all(&out);

    if checked.is_err() || keep {
        let kept = workdir.keep();
        eprintln!(
            "kept the walkthrough's working directory {}",
            kept.display()
        );
    }
    checked?;
    let leftovers = leftovers?;
    ensure!(
        leftovers.is_empty(),
        "the walkthrough left daemons running after it exited: {leftovers:?}"
    );
    Ok(())
}

/// Exit 0, a banner for every section, and the closing line.
fn check_run(run: &Run, workdir: &Path) -> anyhow::Result<()> {
    let report = || {
        let lines: Vec<&str> = run.stdout.lines().collect();
        let tail = lines[lines.len().saturating_sub(STDOUT_TAIL_LINES)..].join("\n");
        format!(
            "`{}` exited with {:?}\n--- last {STDOUT_TAIL_LINES} lines of stdout:\n{tail}\n--- \
             stderr:\n{}\n--- working directory (kept): {}",
            run.command,
            run.code,
            run.stderr.trim_end(),
            workdir.display()
        )
    };
    if !run.success() {
        bail!("the walkthrough failed:\n{}", report());
    }
    for section in SECTIONS {
        let banner = format!("\n== Guide {section}: ");
        ensure!(
            run.stdout.contains(&banner),
            "the output has no banner for guide section {section} ({banner:?}):\n{}",
            report()
        );
    }
    ensure!(
        run.stdout
            .contains("== Walkthrough complete: every guide step passed"),
        "the output does not end with the closing banner:\n{}",
        report()
    );
    Ok(())
}

/// Fails with `why` when `tool` cannot be run.
fn require_tool(tool: &str, args: &[&str], why: &str) -> anyhow::Result<()> {
    let found = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    ensure!(
        found,
        "`{tool}` is required but not installed: {why}. Install it (on Debian: apt-get install \
         {tool}; .ci/run installs it) and run the test again"
    );
    Ok(())
}

/// The directory of the binaries of the profile these tests were built with: test executables
/// live in `TARGET/PROFILE/deps/`, the binaries in `TARGET/PROFILE/`.
fn profile_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the test executable")?;
    let mut dir = exe
        .parent()
        .context("the test executable has no directory")?;
    if dir.ends_with("deps") {
        dir = dir.parent().context("the deps directory has no parent")?;
    }
    Ok(dir.to_path_buf())
}

/// Runs `cargo build --workspace --bins` for this profile unless every binary the walkthrough
/// needs is there (CI builds them before the tests). The installer build packages `get_csrs`
/// and `install_certs` only when they exist, and guide step 5.5 needs them.
fn build_every_binary_if_missing() -> anyhow::Result<()> {
    let dir = profile_dir()?;
    let missing: Vec<&str> = BINARIES
        .iter()
        .copied()
        .filter(|name| !dir.join(name).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "note: {} missing in {}; running cargo build --workspace --bins",
        missing.join(", "),
        dir.display()
    );
    let target_dir = dir
        .parent()
        .context("the profile directory has no parent")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(repository())
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["build", "--workspace", "--bins"]);
    if dir.ends_with("release") {
        command.arg("--release");
    }
    let status = command.status().context("running cargo build")?;
    ensure!(status.success(), "cargo build --workspace --bins failed");
    Ok(())
}

/// Removes the build directories (named by process id) of test runs that have ended.
fn remove_builds_of_finished_runs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let finished = name.parse::<u32>().is_ok() && !Path::new("/proc").join(&name).exists();
        if finished {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The processes whose command line mentions `workdir` (the daemons the walkthrough started
/// run from it), as "PID COMMAND LINE".
fn daemons_left_running(workdir: &Path) -> anyhow::Result<Vec<String>> {
    let needle = workdir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc")
        .context("listing /proc")?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.parse::<u32>().is_err() {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        if line.contains(&needle) {
            found.push(format!("{name} {}", line.trim_end()));
        }
    }
    Ok(found)
}
