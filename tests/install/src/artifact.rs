//! Building the installer file with `scripts/build-installer.sh`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail, ensure};

use crate::files;
use crate::run::Run;

/// The files of the repository that `scripts/build-installer.sh` reads.
const BUILD_INPUTS: &[&str] = &[
    "Cargo.toml",
    "scripts/build-installer.sh",
    "packaging/installer.sh",
    "packaging/coffer.service",
    "docs/install.md",
    "docs/ports.md",
];

/// The repository this crate is part of.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A tree to build the installer from: the repository itself, or a copy of the files the
/// build reads (to build without, or with a stand-in for, `config.yaml.example`).
pub struct SourceTree {
    dir: PathBuf,
    _copy: Option<tempfile::TempDir>,
}

impl SourceTree {
    /// The repository, when it has a `config.yaml.example`; otherwise a copy of the build's
    /// inputs with a small stand-in template, and a note on stderr saying so.
    pub fn for_tests() -> anyhow::Result<Self> {
        let repository = repository();
        if repository.join("config.yaml.example").is_file() {
            return Ok(Self {
                dir: repository,
                _copy: None,
            });
        }
        eprintln!(
            "note: {} has no config.yaml.example; building from a copy with a stand-in template",
            repository.display()
        );
        let tree = Self::copy_without_config_example()?;
        files::write(
            &tree.dir.join("config.yaml.example"),
            "# Stand-in template for the installer tests.\nglobal:\n  localntp: false\n",
        )?;
        Ok(tree)
    }

    /// A copy of the build's inputs without `config.yaml.example`.
    pub fn copy_without_config_example() -> anyhow::Result<Self> {
        let copy = tempfile::tempdir().context("creating a temporary directory")?;
        let repository = repository();
        for input in BUILD_INPUTS {
            let from = repository.join(input);
            let to = copy.path().join(input);
            if !from.exists() && input.starts_with("docs/") {
                continue;
            }
            files::write(&to, files::read(&from)?)?;
            std::fs::set_permissions(
                &to,
                std::fs::metadata(&from)
                    .with_context(|| format!("reading {}", from.display()))?
                    .permissions(),
            )
            .with_context(|| format!("copying the mode of {}", from.display()))?;
        }
        Ok(Self {
            dir: copy.path().to_path_buf(),
            _copy: Some(copy),
        })
    }

    /// The tree's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `scripts/build-installer.sh --no-build` on the binaries the tests were built with,
    /// writing into `out`.
    pub fn build_installer(&self, out: &Path) -> anyhow::Result<Run> {
        let binaries = Binaries::of_this_test()?;
        Run::of(
            Command::new("bash")
                .arg(self.dir.join("scripts/build-installer.sh"))
                .arg("--profile")
                .arg(&binaries.profile)
                .arg("--target-dir")
                .arg(&binaries.target_dir)
                .arg("--no-build")
                .arg("--out")
                .arg(out)
                .stdin(Stdio::null()),
        )
    }
}

/// One built installer file.
pub struct Artifact {
    /// The `coffer_<version>.run` file.
    pub path: PathBuf,
    /// The version it installs.
    pub version: String,
    /// The template it carries, as the build read it.
    pub config_example: Vec<u8>,
}

impl Artifact {
    /// Builds the installer into `out` from [`SourceTree::for_tests`], building the binaries
    /// first if they are missing.
    pub fn build(out: &Path) -> anyhow::Result<Self> {
        Binaries::of_this_test()?.build_if_missing()?;
        let tree = SourceTree::for_tests()?;
        let run = tree.build_installer(out)?.ok()?;
        let version = workspace_version(&tree.dir.join("Cargo.toml"))?;
        let path = out.join(format!("coffer_{version}.run"));
        ensure!(
            run.stdout.trim() == path.to_string_lossy(),
            "the build should print the path of the file it wrote, {}: {run}",
            path.display()
        );
        eprintln!("{}", run.stderr.trim_end());
        Ok(Self {
            path,
            version,
            config_example: files::read(&tree.dir.join("config.yaml.example"))?,
        })
    }
}

/// The `version` of `[workspace.package]` in a workspace manifest.
fn workspace_version(manifest: &Path) -> anyhow::Result<String> {
    let text = files::read_text(manifest)?;
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("version")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Ok(value.trim().trim_matches('"').to_owned());
        }
    }
    bail!("no [workspace.package] version in {}", manifest.display())
}

/// Where cargo put the binaries of the profile these tests were built with.
struct Binaries {
    /// `debug` or `release`.
    profile: String,
    /// Cargo's target directory.
    target_dir: PathBuf,
}

impl Binaries {
    /// Test executables live in `TARGET/PROFILE/deps/`; the binaries in `TARGET/PROFILE/`.
    fn of_this_test() -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the test executable")?;
        let mut dir = exe
            .parent()
            .context("the test executable has no directory")?;
        if dir.ends_with("deps") {
            dir = dir.parent().context("the deps directory has no parent")?;
        }
        let profile = dir
            .file_name()
            .context("the profile directory has no name")?
            .to_string_lossy()
            .into_owned();
        let target_dir = dir
            .parent()
            .context("the profile directory has no parent")?
            .to_path_buf();
        Ok(Self {
            profile,
            target_dir,
        })
    }

    /// Runs `cargo build --workspace --bins` for this profile unless `coffer` and
    /// `sdkms-cluster` are already there (CI builds them before the tests).
    fn build_if_missing(&self) -> anyhow::Result<()> {
        let dir = self.target_dir.join(&self.profile);
        if dir.join("coffer").is_file() && dir.join("sdkms-cluster").is_file() {
            return Ok(());
        }
        eprintln!(
            "note: no coffer or sdkms-cluster in {}; running cargo build --workspace --bins",
            dir.display()
        );
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(repository())
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .args(["build", "--workspace", "--bins"]);
        if self.profile == "release" {
            command.arg("--release");
        }
        let status = command.status().context("running cargo build")?;
        ensure!(status.success(), "cargo build --workspace --bins failed");
        Ok(())
    }
}
