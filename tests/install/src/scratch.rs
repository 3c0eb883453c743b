//! A scratch root and home directory, and runs of the installer against them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::artifact::Artifact;
use crate::files;
use crate::run::Run;

/// A temporary directory holding `root/` (given to `--root`) and `home/` (the installer's
/// `$HOME`). Removed on drop unless `COFFER_KEEP_TEST_DIRS` is set.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// Creates the directory with an empty `home/`; `root/` is left to the installer.
    pub fn new() -> anyhow::Result<Self> {
        let keep = std::env::var_os("COFFER_KEEP_TEST_DIRS").is_some();
        let dir = tempfile::Builder::new()
            .prefix("coffer-install-")
            .disable_cleanup(keep)
            .tempdir()
            .context("creating a temporary directory")?;
        if keep {
            eprintln!("keeping {}", dir.path().display());
        }
        std::fs::create_dir(dir.path().join("home")).context("creating home/")?;
        Ok(Self { dir })
    }

    /// The directory given to `--root`.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The installer's `$HOME`, outside the root: nothing may be written there.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// An absolute path of the installed system, inside the root.
    pub fn path(&self, absolute: &str) -> PathBuf {
        files::under(&self.root(), absolute)
    }

    /// Where the installer puts the template for an administrator whose home is `home`:
    /// the same path inside the root.
    pub fn config_example_in(&self, home: &Path) -> PathBuf {
        files::under(&self.root(), &home.to_string_lossy()).join("config.yaml.example")
    }

    /// The template's place for the default administrator (`$HOME`, no `SUDO_USER`).
    pub fn config_example(&self) -> PathBuf {
        self.config_example_in(&self.home())
    }

    /// Runs the installer with `--root ROOT` and `args`, `$HOME` set to [`Self::home`], no
    /// `SUDO_USER` and no standard input.
    pub fn run(&self, artifact: &Artifact, args: &[&str]) -> anyhow::Result<Run> {
        self.run_with(Command::new(&artifact.path), args, None)
    }

    /// Like [`Self::run`], as if started with sudo by `sudo_user`.
    pub fn run_as_sudo_user(
        &self,
        artifact: &Artifact,
        args: &[&str],
        sudo_user: &str,
    ) -> anyhow::Result<Run> {
        self.run_with(Command::new(&artifact.path), args, Some(sudo_user))
    }

    /// Runs the installer file at `path` through `sh` (for copies written by the test
    /// itself, which are not executed directly).
    pub fn run_file_with_sh(&self, path: &Path, args: &[&str]) -> anyhow::Result<Run> {
        let mut command = Command::new("sh");
        command.arg(path);
        self.run_with(command, args, None)
    }

    fn run_with(
        &self,
        mut command: Command,
        args: &[&str],
        sudo_user: Option<&str>,
    ) -> anyhow::Result<Run> {
        command
            .arg("--root")
            .arg(self.root())
            .args(args)
            .env("HOME", self.home())
            .env_remove("SUDO_USER")
            .stdin(Stdio::null());
        if let Some(user) = sudo_user {
            command.env("SUDO_USER", user);
        }
        Run::of(&mut command)
    }
}
