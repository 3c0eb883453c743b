//! Installer tests: the self-extracting `coffer_<version>.run` that
//! `scripts/build-installer.sh` writes (R-INST-1), run against scratch root directories.
//!
//! ```text
//! Artifact::build(out)       scripts/build-installer.sh --profile <the tests' profile>
//!   │                            --target-dir <the tests' target dir> --no-build --out <out>
//!   │                        (the binaries are built first with cargo if they are missing)
//!   └─ Scratch::new()        a temporary directory with root/ (given to --root) and home/
//!        └─ scratch.run(&artifact, &["--uninstall"])   HOME=home/, no SUDO_USER, no stdin
//! ```
//!
//! - [`Artifact`]: one built installer file and its version.
//! - [`Scratch`]: one scratch root and home; paths inside the root; runs of the installer.
//! - [`PrivateSystem`]: the installer without `--root`, on the machine's own paths, inside a
//!   private mount namespace whose overlays catch every write (root only; skipped otherwise).
//! - [`Run`]: what one finished command printed and how it exited.
//! - [`files`]: modes, link targets and contents, with errors that name the path.
//!
//! The tests never touch the machine outside their temporary directories: a run of the
//! installer gets `--root`, or runs in a [`PrivateSystem`]; either keeps it from calling
//! `systemctl`.

mod artifact;
pub mod files;
mod run;
mod scratch;
mod system;

pub use artifact::{Artifact, SourceTree, repository};
pub use run::Run;
pub use scratch::Scratch;
pub use system::PrivateSystem;
