//! Test support: start real Coffer servers and talk raw HTTPS to them.
//!
//! Integration tests run the built `coffer` binary in development mode, each server in its own
//! temporary directory, listening on a free loopback port:
//!
//! ```text
//! CofferServer::start_dev()
//!   ├─ spawn `coffer server --dev --data-dir DIR --listen 127.0.0.1:0`  (own process group)
//!   ├─ wait for DIR/dev-credentials.json naming the child's pid
//!   └─ wait for GET /sys/v1/health → 204                                (30 s deadline)
//! ```
//!
//! - [`CofferServer`] owns the process: [`stop`](CofferServer::stop) (SIGTERM, then SIGKILL after
//!   a deadline), [`kill`](CofferServer::kill), [`restart`](CofferServer::restart) on the same
//!   data directory, and drop kills the whole process group.
//! - [`DevCredentials`] is what the server wrote to `dev-credentials.json`.
//! - [`process`] starts, signals and reads child processes; the cluster tests and the
//!   benchmarks use it for their daemons too.
//! - [`RawClient`] sends hand-made HTTP/1.1 requests over TLS, for the cases an official client
//!   cannot express (malformed JSON, oversized bodies, exact status and header checks).
//!
//! The binary is found through `COFFER_BIN`, or next to the test executable
//! (`target/<profile>/coffer`); build it first with `cargo build --workspace --bins`.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let server = coffer_testkit::CofferServer::start_dev()?;
//! let health = server.raw_request("GET", "/sys/v1/health", &[], b"")?;
//! assert_eq!(health.status, 204);
//! # Ok(())
//! # }
//! ```

mod credentials;
pub mod files;
mod http;
pub mod process;
mod server;

pub use credentials::DevCredentials;
pub use http::{RawClient, RawResponse};
pub use server::{CofferServer, coffer_binary};
