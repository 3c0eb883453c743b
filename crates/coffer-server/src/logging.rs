//! The daemon's log output: one JSON object per line on stderr.
//!
//! Request handling emits three kinds of lines, tagged by the `log` field: `connection` (client
//! address, written by the listener), `request` (address, method, path) and `response` (status,
//! duration); every line written while a request is handled carries its `request_id` (in the
//! `span` object). Secrets never reach a log: handlers log ids, never bodies or headers.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. `RUST_LOG` may narrow or widen it; the default is `info`.
///
/// Lines are written by a background thread through a buffer, so a request never waits for a
/// write to stderr; the returned guard flushes what is left when the daemon exits. When the
/// buffer is full, logging waits rather than dropping lines (a log line per request is a
/// promise, R-LOG-1).
pub(crate) fn init() -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(64 * 1024)
        .finish(std::io::stderr());
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,openraft=warn"));
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(writer)
        .with_env_filter(filter)
        .init();
    guard
}
