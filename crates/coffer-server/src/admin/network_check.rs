//! `sdkms-cluster check-network`: reachability, latency and loss on every cluster port of every
//! peer (R-CLU-9). Each probe is a TCP connect with a deadline, so a firewall that silently drops
//! traffic shows up as loss rather than as a hang.

use coffer_admin::{AdminError, CheckNetworkReport, PortCheck};
use coffer_node::Node;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROBES: u32 = 5;
const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);

/// Probes the API and cluster ports of every member (or of `peer` only).
pub(crate) async fn check(
    node: Arc<Node>,
    peer: Option<String>,
) -> Result<CheckNetworkReport, AdminError> {
    let mut targets = Vec::new();
    for (_, info, _) in node.cluster.members() {
        let ip = info
            .cluster_addr
            .rsplit_once(':')
            .map(|(ip, _)| ip.to_owned())
            .unwrap_or_default();
        if peer.as_ref().is_some_and(|p| p != &ip && p != &info.name) {
            continue;
        }
        targets.push((info.name.clone(), "cluster", info.cluster_addr.clone()));
        targets.push((info.name.clone(), "api", info.api_addr.clone()));
    }
    if targets.is_empty() {
        return Err(AdminError::new(
            format!("no member matches {}", peer.unwrap_or_default()),
            Some("see `sdkms-cluster status` for the members"),
        ));
    }
    let mut checks = Vec::new();
    for (name, port_name, address) in targets {
        checks.push(probe(name, port_name, address).await);
    }
    Ok(CheckNetworkReport { checks })
}

async fn probe(peer: String, port_name: &str, address: String) -> PortCheck {
    let mut rtts = Vec::new();
    let mut error = None;
    let target: Option<SocketAddr> = address.parse().ok();
    for _ in 0..PROBES {
        let Some(target) = target else {
            error = Some(format!("{address} is not an address"));
            break;
        };
        let started = Instant::now();
        match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(target)).await {
            Ok(Ok(_)) => rtts.push(started.elapsed().as_secs_f64() * 1000.0),
            Ok(Err(e)) => error = Some(e.to_string()),
            Err(_) => error = Some(format!("no answer within {} ms", PROBE_TIMEOUT.as_millis())),
        }
    }
    rtts.sort_by(f64::total_cmp);
    let received = rtts.len() as u32;
    PortCheck {
        peer,
        port_name: port_name.to_owned(),
        address,
        sent: PROBES,
        received,
        loss_percent: f64::from(PROBES - received) * 100.0 / f64::from(PROBES),
        median_rtt_ms: rtts.get(rtts.len() / 2).copied(),
        error: if received == PROBES { None } else { error },
    }
}
