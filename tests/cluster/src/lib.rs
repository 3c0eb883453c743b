//! Multi-node integration tests: real Coffer clusters on loopback addresses.
//!
//! Each test file in `tests/` is one scenario of the installation guide (create and join,
//! failover, remove and reset, interrupted and concurrent joins, read-only mode). A scenario
//! starts real `coffer server` daemons, each with its own temporary data directory and its own
//! loopback address, forms the cluster with the real `sdkms-cluster` command over each node's
//! admin socket, and talks to the API with the official `sdkms` client:
//!
//! ```text
//! scenario("127.10.0", |cluster| …)
//!   ├─ cluster.form(3)        node1 = 127.10.0.1, node2 = 127.10.0.2, node3 = 127.10.0.3
//!   │    ├─ coffer server --data-dir DIR --api-port 8443 --cluster-port 8444  (own process group)
//!   │    ├─ node1: sdkms-cluster create --self=127.10.0.1/24 --config FILE --node-name node1
//!   │    └─ nodeN: sdkms-cluster token create (on node1), then join --peer --token --self
//!   ├─ cluster.provision(1)   sysadmin (CLI) → account → group → app → API key (sdkms)
//!   └─ ApiClient per node     https://127.10.0.N:8443, trusting DIR/cluster-ca.pem only
//! ```
//!
//! - [`Node`]: one daemon: start, SIGTERM, SIGKILL, restart on the same data directory, CLI
//!   commands with captured output and exit code, `status --json`, health.
//! - [`Cluster`] and [`scenario`]: the nodes of one test; a failed scenario panics while the
//!   nodes are still alive, so each node prints the end of its daemon log.
//! - [`Status`]: the parsed `sdkms-cluster status --json`.
//! - [`ApiClient`] and [`Credentials`]: the DSM API of one node as an app.
//! - [`StolenDisk`]: the node certificate, its key and the cluster CA, taken out of a stopped
//!   node's data directory with its platform secret, as an attacker would.
//! - [`wait_until`]: polling with a deadline (tests never sleep for a fixed time).
//!
//! Every node of every scenario uses the same ports, as separate servers would; scenarios run
//! in parallel because each test file has its own `127.X.0.0/24` subnet. The binaries are
//! found next to the test executable (build them with `cargo build --workspace --bins`), or
//! through `COFFER_BIN` and `SDKMS_CLUSTER_BIN`. Set `COFFER_KEEP_TEST_DIRS` to keep every
//! node's data directory and logs.

mod api;
mod cli;
mod cluster;
pub mod curl;
mod node;
mod status;
mod stolen;
mod wait;

pub use api::{
    ApiClient, Credentials, is_read_only_refusal, mentions_read_only, status_of, unique_name,
};
pub use cli::{CliOutput, CliRun};
pub use cluster::{Cluster, scenario};
pub use node::{API_PORT, CLUSTER_PORT, CONFIG_YAML, JOIN_TIMEOUT, Node};
pub use sdkms;
pub use status::{NodeEntry, Status};
pub use stolen::{ClientIdentity, StolenDisk};
pub use wait::{DEADLINE, wait_until};
