//! Metrics in the Prometheus text format (`GET /sys/v1/metrics`, `sdkms-cluster metrics`),
//! recorded through the `metrics` facade and rendered by `metrics-exporter-prometheus`.
//!
//! Recorded as they happen: API requests by route template, method and status, with their
//! latency (`coffer_http_requests_total`, `coffer_http_request_duration_seconds`); crypto
//! operations by operation and key type (`coffer_crypto_operations_total`, recorded by
//! `coffer-node`); API connections by their PROXY-step outcome
//! (`coffer_api_connections_total{proxy=…}`). Read at each scrape: Raft's term, last log
//! index, applied index and their gap, the leader, and the audit writer's queue depth.

use coffer_node::Node;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Latency buckets, in seconds: from a cached AES call to a slow key generation.
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// The process's recorder, installed on first use (one per process: the facade is global).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::error!(%error, "the metrics recorder could not be installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder (call once at start, before the first request is counted).
pub(crate) fn install() {
    let _ = handle();
}

/// Every metric, in the text format, with the gauges read now from `node`.
pub(crate) fn render(node: &Node) -> String {
    let metrics = node.cluster.metrics();
    metrics::gauge!("coffer_raft_term").set(metrics.term as f64);
    let last_log = metrics.last_log_index.unwrap_or(0);
    let applied = metrics.last_applied.unwrap_or(0);
    metrics::gauge!("coffer_raft_last_log_index").set(last_log as f64);
    metrics::gauge!("coffer_raft_applied_index").set(applied as f64);
    metrics::gauge!("coffer_raft_apply_lag").set(last_log.saturating_sub(applied) as f64);
    metrics::gauge!("coffer_raft_is_leader").set(if metrics.leader == Some(metrics.id) {
        1.0
    } else {
        0.0
    });
    metrics::gauge!("coffer_audit_queue_depth").set(node.audit.queue_depth() as f64);
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

/// Counts one answered API request.
pub(crate) fn record_request(route: &str, method: &str, status: u16, seconds: f64) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("coffer_http_requests_total", &labels).increment(1);
    metrics::histogram!(
        "coffer_http_request_duration_seconds",
        "route" => route.to_owned(),
        "method" => method.to_owned()
    )
    .record(seconds);
}

/// Counts one API connection by what the PROXY step made of it.
pub(crate) fn record_connection(proxy: &'static str) {
    metrics::counter!("coffer_api_connections_total", "proxy" => proxy).increment(1);
}
