//! The daemon's log output: one JSON object per line on stderr.
//!
//! Request handling emits three kinds of lines, tagged by the `log` field: `connection` (client
//! address, written by the listener), `request` (address, method, path) and `response` (status,
//! duration). Secrets never reach a log: handlers log ids, never bodies or headers.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. `RUST_LOG` may narrow or widen it; the default is `info`.
pub(crate) fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,openraft=warn"));
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
}
