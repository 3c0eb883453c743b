//! The installer without `--root`, on the machine's own paths, in a private mount namespace.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::files;
use crate::run::Run;

/// The directories an install writes, each seen through an overlay whose writable layer is
/// in the temporary directory, so the machine's own files are never changed.
const OVERLAID: &[&str] = &["/etc", "/opt", "/usr/local", "/var/lib"];

/// Exit status of the namespace script when the namespace could not be set up.
const SETUP_FAILED: i32 = 97;

/// Enters a private mount namespace, lays an overlay on each directory given before `--`
/// (upper and work layers named after it in DIR), hides /run (so the installer finds no
/// running systemd and calls no systemctl on this machine), then runs the command after `--`.
/// A failure to set up exits with 97 before anything runs.
const ENTER: &str = r#"set -eu
dir=$1; shift
mount --make-rprivate / || exit 97
while [ "$1" != -- ]; do
    name=$(printf '%s' "$1" | tr / _)
    mkdir -p "$dir/upper$name" "$dir/work$name" || exit 97
    mount -t overlay overlay -o "lowerdir=$1,upperdir=$dir/upper$name,workdir=$dir/work$name" "$1" || exit 97
    shift
done
shift
mount -t tmpfs tmpfs /run || exit 97
exec "$@"
"#;

/// The machine's own paths, written only in private overlays (needs root, `unshare` and
/// overlayfs). `$HOME` is a temporary directory.
pub struct PrivateSystem {
    dir: tempfile::TempDir,
}

impl PrivateSystem {
    /// Sets up the directory and checks that a namespace with overlays works here; `None`,
    /// with the reason on stderr, when it does not (not root, no `unshare`, no overlayfs).
    pub fn new() -> anyhow::Result<Option<Self>> {
        let user = Run::of(Command::new("id").arg("-u"))?.ok()?;
        if user.stdout.trim() != "0" {
            eprintln!("skipped: installing without --root needs root, even in a private namespace");
            return Ok(None);
        }
        let dir = tempfile::Builder::new()
            .prefix("coffer-system-")
            .tempdir()
            .context("creating a temporary directory")?;
        files::write(&dir.path().join("enter.sh"), ENTER)?;
        std::fs::create_dir(dir.path().join("home")).context("creating home/")?;
        let system = Self { dir };
        let probe = match system.run_command(Path::new("true"), &[]) {
            Ok(probe) => probe,
            Err(error) => {
                eprintln!("skipped: cannot run unshare: {error:#}");
                return Ok(None);
            }
        };
        if probe.code == Some(SETUP_FAILED) || probe.code.is_none() {
            eprintln!(
                "skipped: no private mount namespace with overlays here: {}",
                probe.text().trim()
            );
            return Ok(None);
        }
        probe.ok()?;
        Ok(Some(system))
    }

    /// The installer's `$HOME` (a real path: the namespace does not cover it).
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Where a path the installer wrote under one of the overlaid directories ended up, for
    /// example `/etc/coffer/platform.secret`.
    pub fn written(&self, absolute: &str) -> anyhow::Result<PathBuf> {
        let base = OVERLAID
            .iter()
            .find(|base| absolute == **base || absolute.starts_with(&format!("{base}/")))
            .with_context(|| format!("{absolute} is not under an overlaid directory"))?;
        let upper = format!("upper{}", base.replace('/', "_"));
        Ok(files::under(
            &self.dir.path().join(upper),
            absolute.trim_start_matches(base),
        ))
    }

    /// Runs the installer file at `path` with `args` (no `--root`) inside the namespace,
    /// with `$HOME` set to [`Self::home`], no `SUDO_USER` and no standard input.
    pub fn run(&self, path: &Path, args: &[&str]) -> anyhow::Result<Run> {
        self.run_command(path, args)
    }

    /// Runs any program inside the namespace, for example an installed command.
    pub fn run_command(&self, program: &Path, args: &[&str]) -> anyhow::Result<Run> {
        let mut command = Command::new("unshare");
        command
            .arg("--mount")
            .arg("sh")
            .arg(self.dir.path().join("enter.sh"))
            .arg(self.dir.path())
            .args(OVERLAID)
            .arg("--")
            .arg(program)
            .args(args)
            .env("HOME", self.home())
            .env_remove("SUDO_USER")
            .stdin(Stdio::null());
        Run::of(&mut command)
    }
}
