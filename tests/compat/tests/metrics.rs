//! `GET /sys/v1/metrics`: the Prometheus text format, parsed by a Prometheus parser; counters
//! move with the requests and crypto operations made; only sysadmins may read it.

use anyhow::{Context, ensure};
use coffer_compat_tests::clients;
use coffer_compat_tests::keys::{self, kid};
use coffer_compat_tests::raw::{self, bearer};
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::api_model::*;

/// The metrics as a sysadmin reads them, parsed.
fn scrape(server: &CofferServer, authorization: &str) -> anyhow::Result<prometheus_parse::Scrape> {
    let response = raw::send(server, "GET", "/sys/v1/metrics", authorization)?;
    ensure!(
        response.status == 200,
        "metrics answered {}",
        response.status
    );
    let text = response.text();
    prometheus_parse::Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
        .context("the metrics are not in the Prometheus text format")
}

/// The value of the sample named `name` whose labels include every pair of `labels` (summed).
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .filter(|sample| labels.iter().all(|(k, v)| sample.labels.get(k) == Some(v)))
        .map(|sample| match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[test]
fn metrics_count_requests_and_crypto_operations_for_sysadmins_only() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let admin = clients::sysadmin_session(&server)?;
    let authorization = bearer(&admin)?;
    let app = clients::app_with_api_key(&server)?;
    let key = kid(&app.create_sobject(&keys::generate(
        &coffer_compat_tests::data::unique_name("metered"),
        ObjectType::Aes,
        256,
    ))?)?;
    let encrypts = |scrape: &prometheus_parse::Scrape| {
        value(
            scrape,
            "coffer_crypto_operations_total",
            &[("operation", "Encrypt"), ("key_type", "Aes")],
        )
    };
    let requests = |scrape: &prometheus_parse::Scrape| {
        value(
            scrape,
            "coffer_http_requests_total",
            &[
                ("route", "/crypto/v1/encrypt"),
                ("method", "POST"),
                ("status", "200"),
            ],
        )
    };

    let before = scrape(&server, &authorization)?;
    for _ in 0..7 {
        app.encrypt(&keys::aes_encrypt(key, CipherMode::Gcm, b"counted"))?;
    }
    let after = scrape(&server, &authorization)?;
    ensure!(
        encrypts(&after) - encrypts(&before) == 7.0,
        "crypto operations counted: {} -> {}",
        encrypts(&before),
        encrypts(&after)
    );
    ensure!(
        requests(&after) - requests(&before) == 7.0,
        "requests counted by route and status: {} -> {}",
        requests(&before),
        requests(&after)
    );
    ensure!(
        value(
            &after,
            "coffer_http_request_duration_seconds_count",
            &[("route", "/crypto/v1/encrypt")]
        ) >= 7.0,
        "the latency histogram has the encryptions"
    );
    ensure!(
        value(&after, "coffer_raft_is_leader", &[]) == 1.0,
        "a single node leads"
    );
    ensure!(
        value(&after, "coffer_raft_applied_index", &[]) > 0.0,
        "the applied index"
    );
    ensure!(
        value(
            &after,
            "coffer_api_connections_total",
            &[("proxy", "direct")]
        ) > 0.0,
        "connections by PROXY outcome"
    );

    eprintln!("--- apps and anonymous callers cannot read them");
    let app_key = format!("Basic {}", server.credentials().api_key);
    ensure!(raw::send(&server, "GET", "/sys/v1/metrics", &app_key)?.status == 403);
    ensure!(raw::send(&server, "GET", "/sys/v1/metrics", "")?.status == 401);
    Ok(())
}
