//! The installer file (installation guide 5.1, R-INST-1): one versioned `coffer_<version>.run`
//! installs binaries, service unit, directories, platform secret and `config.yaml.example`;
//! installing twice is safe; `--uninstall` keeps data and secret, `--purge` removes all.
//!
//! Every run uses `--root` with a scratch directory and `$HOME` pointing at a scratch home, so
//! nothing on this machine outside the temporary directories is touched.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context, anyhow, ensure};
use coffer_install_tests::{Artifact, PrivateSystem, Run, Scratch, SourceTree, files, repository};

/// The operator commands a release may ship, each linked into /usr/local/bin.
const COMMANDS: &[&str] = &["coffer", "sdkms-cluster", "get_csrs", "install_certs"];

/// The unit's lines that the installation promises (docs/install.md).
const UNIT_LINES: &[&str] = &[
    "Type=simple",
    "ExecStart=/usr/local/bin/coffer server --data-dir /var/lib/coffer --platform-secret /etc/coffer/platform.secret",
    "Restart=on-failure",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ReadWritePaths=/var/lib/coffer /etc/coffer",
    "PrivateTmp=yes",
    "WantedBy=multi-user.target",
];

#[test]
fn install_twice_uninstall_and_purge_keep_exactly_what_they_promise() -> anyhow::Result<()> {
    let artifact = artifact()?;
    let scratch = Scratch::new()?;
    let version = &artifact.version;

    eprintln!("--- --version and --help answer without installing anything");
    let shown = scratch.run(artifact, &["--version"])?.ok()?;
    ensure!(
        shown.stdout.trim() == format!("coffer {version}"),
        "--version: {shown}"
    );
    let help = scratch.run(artifact, &["--help"])?.ok()?;
    for option in ["--uninstall", "--purge", "--root", "--version"] {
        ensure!(
            help.stdout.contains(option),
            "--help does not mention {option}: {help}"
        );
    }
    files::assert_absent(&scratch.root().join("opt"))?;

    eprintln!("--- first install into a scratch root");
    let first = scratch.run(artifact, &[])?.ok()?;
    ensure!(
        first
            .stdout
            .contains("sdkms-cluster reset --delete-data --reset-iptables"),
        "a first install names the guide's next step: {first}"
    );
    assert_installed(&scratch, artifact)?;
    run_installed_commands(&scratch, version)?;
    let secret = files::read(&scratch.path("/etc/coffer/platform.secret"))?;

    eprintln!("--- the node gets data, the administrator edits the template");
    let data_file = scratch.path("/var/lib/coffer/coffer.redb");
    files::write(&data_file, "node data")?;
    let edited = b"# edited by the administrator\nglobal: {}\n";
    files::write(&scratch.config_example(), edited)?;

    eprintln!("--- second install of the same version");
    let second = scratch.run(artifact, &[])?.ok()?;
    ensure!(
        second.stdout.contains("config.yaml.example.new"),
        "the installer says where the new template went: {second}"
    );
    assert_installed_except_template(&scratch, artifact)?;
    ensure!(
        files::read(&scratch.path("/etc/coffer/platform.secret"))? == secret,
        "a reinstall changed the platform secret"
    );
    ensure!(
        files::read(&scratch.config_example())? == edited,
        "a reinstall overwrote the edited config.yaml.example"
    );
    let new_template = scratch.config_example().with_extension("example.new");
    files::assert_file(&new_template, 0o644)?;
    ensure!(
        files::read(&new_template)? == artifact.config_example,
        "config.yaml.example.new is not this version's template"
    );
    ensure!(
        files::read(&data_file)? == b"node data",
        "a reinstall changed the data directory"
    );
    run_installed_commands(&scratch, version)?;

    eprintln!("--- uninstall: the software goes, data, secret and template stay");
    let removed = scratch.run(artifact, &["--uninstall"])?.ok()?;
    ensure!(
        removed.stdout.contains("--purge"),
        "--uninstall tells how to delete the rest: {removed}"
    );
    assert_software_absent(&scratch)?;
    ensure!(
        files::read(&scratch.path("/etc/coffer/platform.secret"))? == secret,
        "--uninstall changed the platform secret"
    );
    files::assert_file(&scratch.path("/etc/coffer/platform.secret"), 0o600)?;
    files::assert_dir(&scratch.path("/var/lib/coffer"), 0o700)?;
    ensure!(
        files::read(&data_file)? == b"node data",
        "--uninstall changed the data"
    );
    ensure!(
        files::read(&scratch.config_example())? == edited,
        "--uninstall changed the template"
    );

    eprintln!("--- uninstall again: nothing left to do, still a success");
    scratch.run(artifact, &["--uninstall"])?.ok()?;
    files::assert_file(&scratch.path("/etc/coffer/platform.secret"), 0o600)?;

    eprintln!("--- uninstall --purge: everything goes, with a warning");
    let purged = scratch.run(artifact, &["--uninstall", "--purge"])?.ok()?;
    ensure!(
        purged.stderr.contains("WARNING") && purged.stderr.contains("platform"),
        "--purge warns that the platform secret goes: {purged}"
    );
    assert_software_absent(&scratch)?;
    for path in ["/var/lib/coffer", "/etc/coffer"] {
        files::assert_absent(&scratch.path(path))?;
    }
    files::assert_absent(&scratch.config_example())?;
    files::assert_absent(&new_template)?;
    ensure!(
        files::entries(&scratch.home())?.is_empty(),
        "the installer wrote into $HOME outside the root"
    );
    Ok(())
}

#[test]
fn without_root_it_installs_on_the_system_paths_and_enables_the_unit_for_the_next_boot()
-> anyhow::Result<()> {
    let artifact = artifact()?;
    let Some(system) = PrivateSystem::new()? else {
        return Ok(());
    };
    let version = &artifact.version;

    eprintln!("--- install on /opt, /usr/local, /etc and /var/lib (private overlays)");
    let installed = system.run(&artifact.path, &[])?.ok()?;
    ensure!(
        installed.stderr.contains("systemd is not running"),
        "without systemd the installer says how to start the daemon: {installed}"
    );
    files::assert_link(&system.written("/opt/coffer/current")?, version)?;
    files::assert_file(
        &system.written(&format!("/opt/coffer/{version}/bin/coffer"))?,
        0o755,
    )?;
    files::assert_link(
        &system.written("/usr/local/bin/sdkms-cluster")?,
        "../../../opt/coffer/current/bin/sdkms-cluster",
    )?;
    files::assert_file(
        &system.written("/etc/systemd/system/coffer.service")?,
        0o644,
    )?;
    files::assert_link(
        &system.written("/etc/systemd/system/multi-user.target.wants/coffer.service")?,
        "/etc/systemd/system/coffer.service",
    )?;
    files::assert_dir(&system.written("/etc/coffer")?, 0o700)?;
    files::assert_file(&system.written("/etc/coffer/platform.secret")?, 0o600)?;
    files::assert_dir(&system.written("/var/lib/coffer")?, 0o700)?;
    let template = system.home().join("config.yaml.example");
    ensure!(
        files::read(&template)? == artifact.config_example,
        "the template belongs in $HOME itself: {}",
        template.display()
    );
    let shown = system
        .run_command(Path::new("/usr/local/bin/coffer"), &["--version"])?
        .ok()?;
    ensure!(
        shown.stdout.trim() == format!("coffer {version}"),
        "the installed coffer on PATH: {shown}"
    );

    eprintln!("--- uninstall, then purge");
    let secret = files::read(&system.written("/etc/coffer/platform.secret")?)?;
    system.run(&artifact.path, &["--uninstall"])?.ok()?;
    files::assert_absent(&system.written("/opt/coffer")?)?;
    files::assert_absent(&system.written("/usr/local/bin/coffer")?)?;
    files::assert_absent(&system.written("/etc/systemd/system/coffer.service")?)?;
    ensure!(
        files::read(&system.written("/etc/coffer/platform.secret")?)? == secret,
        "--uninstall changed the platform secret"
    );
    system
        .run(&artifact.path, &["--uninstall", "--purge"])?
        .ok()?;
    files::assert_absent(&system.written("/etc/coffer")?)?;
    files::assert_absent(&system.written("/var/lib/coffer")?)?;
    files::assert_absent(&template)?;
    Ok(())
}

#[test]
fn an_upgrade_refreshes_an_untouched_template_and_a_downgrade_needs_a_flag() -> anyhow::Result<()> {
    let artifact = artifact()?;
    let scratch = Scratch::new()?;
    let version = &artifact.version;
    scratch.run(artifact, &[])?.ok()?;
    let secret = files::read(&scratch.path("/etc/coffer/platform.secret"))?;

    eprintln!("--- pretend 0.0.1 is installed, with 0.0.0 still kept, and its template unedited");
    let opt = scratch.path("/opt/coffer");
    files::rename(&opt.join(version), &opt.join("0.0.1"))?;
    files::relink("0.0.1", &opt.join("current"))?;
    files::write(&opt.join("0.0.0/bin/coffer"), "an old binary")?;
    let old_template = b"# the 0.0.1 template\n";
    files::write(&opt.join("0.0.1/share/config.yaml.example"), old_template)?;
    files::write(&scratch.config_example(), old_template)?;

    eprintln!("--- installing {version} upgrades 0.0.1 in place");
    let upgrade = scratch.run(artifact, &[])?.ok()?;
    ensure!(
        upgrade.stdout.contains(&format!("switching to {version}")),
        "the installer names the upgrade: {upgrade}"
    );
    assert_installed(&scratch, artifact)?;
    files::assert_dir(&opt.join("0.0.1"), 0o755).context("the previous version is kept")?;
    files::assert_absent(&opt.join("0.0.0")).context("older versions are removed")?;
    files::assert_absent(&scratch.config_example().with_extension("example.new"))?;
    ensure!(
        files::read(&scratch.path("/etc/coffer/platform.secret"))? == secret,
        "an upgrade changed the platform secret"
    );

    eprintln!("--- pretend 99.0.0 is installed: {version} refuses to replace it");
    files::rename(&opt.join(version), &opt.join("99.0.0"))?;
    files::relink("99.0.0", &opt.join("current"))?;
    let refused = scratch.run(artifact, &[])?.failed()?;
    ensure!(
        refused.stderr.contains("99.0.0") && refused.stderr.contains("--allow-downgrade"),
        "the refusal names the newer version and the way out: {refused}"
    );
    files::assert_link(&opt.join("current"), "99.0.0")?;

    eprintln!("--- --allow-downgrade installs it anyway");
    scratch.run(artifact, &["--allow-downgrade"])?.ok()?;
    assert_installed(&scratch, artifact)?;
    Ok(())
}

#[test]
fn a_platform_secret_in_the_data_directory_is_copied_not_replaced() -> anyhow::Result<()> {
    let artifact = artifact()?;
    let scratch = Scratch::new()?;
    let earlier: Vec<u8> = (0..32).collect();
    let in_data_dir = scratch.path("/var/lib/coffer/platform.secret");
    files::write(&in_data_dir, &earlier)?;

    eprintln!("--- install as if run with sudo by root");
    scratch.run_as_sudo_user(artifact, &[], "root")?.ok()?;
    ensure!(
        files::read(&scratch.path("/etc/coffer/platform.secret"))? == earlier,
        "the platform secret of a daemon started by hand was not carried over"
    );
    files::assert_file(&scratch.path("/etc/coffer/platform.secret"), 0o600)?;
    ensure!(
        files::read(&in_data_dir)? == earlier,
        "the data directory's copy was changed"
    );
    let home = home_of("root")?;
    let template = scratch.config_example_in(Path::new(&home));
    ensure!(
        files::read(&template)? == artifact.config_example,
        "with SUDO_USER=root the template belongs in {home} ({})",
        template.display()
    );
    Ok(())
}

#[test]
fn failures_name_the_step_and_the_cause() -> anyhow::Result<()> {
    let artifact = artifact()?;

    eprintln!("--- a command in /usr/local/bin that Coffer did not install");
    let scratch = Scratch::new()?;
    let foreign = scratch.path("/usr/local/bin/coffer");
    files::write(&foreign, "#!/bin/sh\necho someone else's coffer\n")?;
    let refused = scratch.run(artifact, &[])?.failed()?;
    ensure!(
        refused
            .stderr
            .contains("/usr/local/bin/coffer exists and was not installed by Coffer")
            && refused.stderr.contains("failed while linking the commands"),
        "the failure names the file, the reason and the step: {refused}"
    );
    ensure!(
        files::read(&foreign)? == b"#!/bin/sh\necho someone else's coffer\n",
        "the foreign file was changed"
    );

    eprintln!("--- a damaged installer file");
    let scratch = Scratch::new()?;
    let mut bytes = files::read(&artifact.path)?;
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let damaged = scratch.home().join("damaged.run");
    files::write(&damaged, &bytes)?;
    let refused = scratch.run_file_with_sh(&damaged, &[])?.failed()?;
    ensure!(
        refused.stderr.contains("is damaged or incomplete"),
        "a damaged file is refused as such: {refused}"
    );
    files::assert_absent(&scratch.path("/opt/coffer/current"))?;

    eprintln!("--- arguments that make no sense");
    let scratch = Scratch::new()?;
    for args in [&["--frobnicate"][..], &["--purge"][..], &["--extract"][..]] {
        let refused = scratch.run(artifact, args)?.failed()?;
        ensure!(
            refused.stderr.contains("error:"),
            "{args:?} is refused with an error: {refused}"
        );
    }
    files::assert_absent(&scratch.path("/opt"))?;
    Ok(())
}

#[test]
fn extract_unpacks_the_payload_only() -> anyhow::Result<()> {
    let artifact = artifact()?;
    let scratch = Scratch::new()?;
    let into = scratch.home().join("unpacked");
    let into_text = into.to_string_lossy().into_owned();
    scratch.run(artifact, &["--extract", &into_text])?.ok()?;
    let package = into.join(format!("coffer_{}", artifact.version));
    files::assert_file(&package.join("bin/coffer"), 0o755)?;
    files::assert_file(&package.join("bin/sdkms-cluster"), 0o755)?;
    files::assert_file(&package.join("share/coffer.service"), 0o644)?;
    ensure!(
        files::read_text(&package.join("VERSION"))?.trim() == artifact.version,
        "VERSION in the payload"
    );
    files::assert_absent(&scratch.root())?;
    Ok(())
}

#[test]
fn the_build_refuses_a_tree_without_config_yaml_example() -> anyhow::Result<()> {
    let tree = SourceTree::copy_without_config_example()?;
    let out = tree.dir().join("out");
    let refused = tree.build_installer(&out)?.failed()?;
    ensure!(
        refused.stderr.contains("config.yaml.example is missing"),
        "the build names the missing template: {refused}"
    );
    files::assert_absent(&out)?;
    Ok(())
}

/// The installer, built once for all tests of this file, into a directory of this process
/// (another test run may be building its own at the same time).
fn artifact() -> anyhow::Result<&'static Artifact> {
    static ARTIFACT: OnceLock<Result<Artifact, String>> = OnceLock::new();
    ARTIFACT
        .get_or_init(|| {
            let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coffer-installer");
            remove_builds_of_finished_runs(&base);
            let out = base.join(std::process::id().to_string());
            Artifact::build(&out).map_err(|error| format!("{error:#}"))
        })
        .as_ref()
        .map_err(|error| anyhow!("building the installer failed: {error}"))
}

/// Removes the build directories (named by process id) of test runs that have ended.
fn remove_builds_of_finished_runs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let finished = name.parse::<u32>().is_ok() && !Path::new("/proc").join(&name).exists();
        if finished || name.ends_with(".run") || name.ends_with(".sha256") {
            let _ = std::fs::remove_dir_all(entry.path())
                .or_else(|_| std::fs::remove_file(entry.path()));
        }
    }
}

/// Everything a fresh install promises, the template included.
fn assert_installed(scratch: &Scratch, artifact: &Artifact) -> anyhow::Result<()> {
    assert_installed_except_template(scratch, artifact)?;
    let template = scratch.config_example();
    files::assert_file(&template, 0o644)?;
    ensure!(
        files::read(&template)? == artifact.config_example,
        "{} is not this version's template",
        template.display()
    );
    Ok(())
}

fn assert_installed_except_template(scratch: &Scratch, artifact: &Artifact) -> anyhow::Result<()> {
    let opt = scratch.path("/opt/coffer");
    let release = opt.join(&artifact.version);
    files::assert_dir(&release, 0o755)?;
    files::assert_link(&opt.join("current"), &artifact.version)?;
    for name in ["coffer", "sdkms-cluster"] {
        files::assert_file(&release.join("bin").join(name), 0o755)?;
    }
    for name in COMMANDS {
        let link = scratch.path("/usr/local/bin").join(name);
        if release.join("bin").join(name).exists() {
            files::assert_link(&link, &format!("../../../opt/coffer/current/bin/{name}"))?;
        } else {
            eprintln!("    (this build has no {name})");
            files::assert_absent(&link)?;
        }
    }

    let unit = scratch.path("/etc/systemd/system/coffer.service");
    files::assert_file(&unit, 0o644)?;
    let text = files::read_text(&unit)?;
    ensure!(
        text == files::read_text(&repository().join("packaging/coffer.service"))?,
        "the installed unit is not packaging/coffer.service"
    );
    for line in UNIT_LINES {
        ensure!(
            text.lines().any(|have| have.trim() == *line),
            "coffer.service lacks `{line}`"
        );
    }
    files::assert_link(
        &scratch.path("/etc/systemd/system/multi-user.target.wants/coffer.service"),
        "/etc/systemd/system/coffer.service",
    )?;

    files::assert_dir(&scratch.path("/var/lib/coffer"), 0o700)?;
    files::assert_dir(&scratch.path("/etc/coffer"), 0o700)?;
    let secret = scratch.path("/etc/coffer/platform.secret");
    files::assert_file(&secret, 0o600)?;
    let length = files::read(&secret)?.len();
    ensure!(
        length == 32,
        "the platform secret is {length} bytes, not 32"
    );

    ensure!(
        files::entries(&scratch.home())?.is_empty(),
        "the installer wrote into $HOME outside the root: {:?}",
        files::entries(&scratch.home())?
    );
    Ok(())
}

/// The software is gone: versions, links and unit.
fn assert_software_absent(scratch: &Scratch) -> anyhow::Result<()> {
    files::assert_absent(&scratch.path("/opt/coffer"))?;
    for name in COMMANDS {
        files::assert_absent(&scratch.path("/usr/local/bin").join(name))?;
    }
    files::assert_absent(&scratch.path("/etc/systemd/system/coffer.service"))?;
    files::assert_absent(
        &scratch.path("/etc/systemd/system/multi-user.target.wants/coffer.service"),
    )
}

/// Runs `coffer --version` and `sdkms-cluster --help` through the links in the root's
/// /usr/local/bin.
fn run_installed_commands(scratch: &Scratch, version: &str) -> anyhow::Result<()> {
    let bin = scratch.path("/usr/local/bin");
    let shown = Run::of(Command::new(bin.join("coffer")).arg("--version"))?.ok()?;
    ensure!(
        shown.stdout.trim() == format!("coffer {version}"),
        "the installed coffer --version: {shown}"
    );
    let help = Run::of(Command::new(bin.join("sdkms-cluster")).arg("--help"))?.ok()?;
    for command in ["create", "join", "token", "remove", "reset", "status"] {
        ensure!(
            help.stdout.contains(command),
            "the installed sdkms-cluster --help lacks {command}: {help}"
        );
    }
    Ok(())
}

/// The home directory of `user` in this machine's /etc/passwd.
fn home_of(user: &str) -> anyhow::Result<String> {
    files::read_text(Path::new("/etc/passwd"))?
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&user))
        .and_then(|fields| fields.get(5).map(|home| (*home).to_owned()))
        .with_context(|| format!("no {user} in /etc/passwd"))
}
