//! The operator commands of a Coffer node, as the installation guide names them:
//!
//! - `sdkms-cluster`: forms, inspects and resets the cluster (`src/main.rs`);
//! - `get_csrs [--rotate]`: makes the key and certificate request of the API (Main) and UI
//!   (Assets) services and the first sysadmin ([`certs::get_csrs`]);
//! - `install_certs [--rotate]`: installs the signed certificate chains
//!   ([`certs::install_certs`]).
//!
//! All three are thin clients of the local daemon: they parse their flags (or ask on the
//! terminal), send one request over `DATA_DIR/admin.sock` and print the answer. `DATA_DIR` comes
//! from `--data-dir`, else `COFFER_DATA_DIR`, else `/var/lib/coffer`. This library holds what
//! they share: the admin-socket [`client`], the [`error`]s, the [`output`] formatting, the
//! typed command-line values ([`args`]) and the terminal questions ([`prompt`]).

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a failed test should panic"
    )
)]

pub mod args;
pub mod certs;
pub mod client;
pub mod error;
pub mod output;
pub mod prompt;
