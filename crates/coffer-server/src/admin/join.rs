//! `sdkms-cluster join`: the joining node's side of the join protocol (see
//! `coffer_node::join_protocol` for the exchange; the cluster's side is `peer::join`).

use crate::runtime::{Daemon, PENDING_STORE_FILE, Phase, STORE_FILE};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_admin::{AdminError, Joined};
use coffer_cluster::{PeerMethod, PeerRequest};
use coffer_core::Sealed;
use coffer_crypto::{Envelope, TransportKey};
use coffer_node::identity::{NodeIdentity, check_node_name, host_name, parse_addr};
use coffer_node::join_protocol::{
    ClusterInfoAnswer, JoinComplete, JoinGrant, JoinRequest, cluster_info_mac, now_ms,
};
use coffer_node::join_tokens;
use coffer_node::vault::{NodePurpose, Vault};
use coffer_peer::HttpsTransport;
use coffer_store::Store;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Joins the cluster that `peer` belongs to.
pub(crate) async fn join(
    daemon: &Arc<Daemon>,
    peer: &str,
    token: &str,
    self_addr: Option<&str>,
    node_name: Option<String>,
) -> Result<Joined, AdminError> {
    let mut phase = daemon.phase.lock().await;
    if matches!(*phase, Phase::Member(_)) {
        return Err(AdminError::new(
            "this node already belongs to a cluster",
            Some("run `sdkms-cluster reset --delete-data` first to move it"),
        ));
    }
    let (peer_ip, peer_prefix) =
        parse_addr(peer).map_err(|e| AdminError::new(format!("--peer: {e}"), None))?;
    let (_, secret) = join_tokens::split(token).ok_or_else(|| {
        AdminError::new(
            "--token is malformed (expected abcdef.0123456789abcdef)",
            None,
        )
    })?;
    let (ip, prefix) = match self_addr {
        Some(text) => {
            parse_addr(text).map_err(|e| AdminError::new(format!("--self: {e}"), None))?
        }
        None => (
            local_ip_towards(peer_ip, daemon.config.cluster_port)
                .map_err(|e| AdminError::new(e, Some("give this node's address with --self")))?,
            peer_prefix,
        ),
    };
    if self_addr.is_none()
        && let Some(prefix) = peer_prefix
        && !same_subnet(ip, peer_ip, prefix)
    {
        return Err(AdminError::new(
            format!("this node's address {ip} is not in {peer_ip}/{prefix}"),
            Some("nodes on different subnets join with --self=<this node's IP>"),
        ));
    }
    let name = node_name.unwrap_or_else(host_name);
    check_node_name(&name).map_err(|e| AdminError::new(e, None))?;
    daemon.set_label("Joining");
    let result = join_steps(daemon, peer_ip, token, secret, ip, prefix, &name).await;
    match result {
        Ok((running, joined)) => {
            daemon.set_phase(&mut phase, Phase::Member(running));
            tracing::info!(node = name, node_id = joined.node_id, "joined the cluster");
            Ok(joined)
        }
        Err(error) => {
            daemon.set_phase(&mut phase, Phase::Uninitialized);
            let _ = std::fs::remove_file(daemon.config.dir.join(PENDING_STORE_FILE));
            Err(error)
        }
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "the steps of one protocol, called once"
)]
async fn join_steps(
    daemon: &Arc<Daemon>,
    peer_ip: IpAddr,
    token: &str,
    secret: &str,
    ip: IpAddr,
    prefix: Option<u8>,
    name: &str,
) -> Result<(crate::runtime::Running, Joined), AdminError> {
    let port = daemon.config.cluster_port;
    let peer = SocketAddr::new(peer_ip, port);
    let token_id = token.split('.').next().unwrap_or_default();

    // 1. Authenticate the cluster's CA through the token.
    let unverified = HttpsTransport::new(&*danger::unverified_client()?);
    let path = format!("/join/cluster-info?token_id={token_id}");
    let answer: ClusterInfoAnswer = fetch(
        &unverified,
        None,
        peer,
        PeerRequest {
            method: PeerMethod::Get,
            path: &path,
            body: Vec::new(),
            timeout: Duration::from_secs(15),
        },
        "asking the peer for the cluster's CA",
    )
    .await?;
    let key = join_tokens::signing_key(secret)?;
    let expected = cluster_info_mac(
        &key,
        answer.cluster_id,
        &answer.ca_cert_pem,
        &answer.node_cert_key,
    )?;
    let presented = STANDARD.decode(&answer.signature).unwrap_or_default();
    if !coffer_crypto::constant_time_eq(&expected, &presented) {
        return Err(AdminError::new(
            format!(
                "{peer} could not prove it knows this token: either the token is wrong or the peer is not the cluster you meant"
            ),
            Some("check the token with `sdkms-cluster token list` on a member"),
        ));
    }

    // 2. Ask to join, with a CSR and a transport key for the master key — of the member that
    //    proved it knows the token, by its certificate key, not merely of the cluster's CA.
    let member_key = coffer_store::cert_key_from_hex(&answer.node_cert_key)
        .ok_or_else(|| AdminError::new(format!("{peer} named no certificate key"), None))?;
    let pinned = HttpsTransport::new(
        &*crate::net::tls::cluster_client_config(&answer.ca_cert_pem, None).map_err(internal)?,
    );
    let transport = TransportKey::generate().map_err(|e| internal(e.into()))?;
    let csr = coffer_crypto::node_csr(name, ip)
        .map_err(|e| AdminError::new(format!("making the node key: {e}"), None))?;
    let request = JoinRequest {
        token: token.to_owned(),
        name: name.to_owned(),
        ip,
        api_port: daemon.config.api_port,
        cluster_port: port,
        csr_pem: csr.csr_pem.clone(),
        transport_key: STANDARD.encode(transport.public_key()),
        time_ms: now_ms(),
    };
    let grant: JoinGrant = fetch(
        &pinned,
        Some(member_key),
        peer,
        PeerRequest {
            method: PeerMethod::Post,
            path: "/join/request",
            body: serde_json::to_vec(&request).map_err(|e| internal(e.into()))?,
            timeout: Duration::from_secs(60),
        },
        "asking to join",
    )
    .await?;
    let envelope = Envelope {
        sender_public: STANDARD
            .decode(&grant.cmk_sender_key)
            .map_err(|e| internal(e.into()))?,
        sealed: STANDARD
            .decode(&grant.cmk_sealed)
            .map_err(|e| internal(e.into()))?,
    };
    let vault = Vault::receive_as_joiner(transport, &envelope, name)
        .map_err(|e| AdminError::new(format!("{e:#}"), None))?;

    // 3. Become a node: store the CMK and identity, start Raft and the ports.
    if daemon.config.dir.join(STORE_FILE).exists() {
        return Err(AdminError::new(
            "this node holds the data of a cluster member",
            Some("run `sdkms-cluster reset --delete-data` to discard it first"),
        ));
    }
    let path = daemon.config.dir.join(PENDING_STORE_FILE);
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&path).map_err(|e| internal(e.into()))?;
    let node_seal = daemon
        .sealing()
        .map_err(|e| AdminError::new(format!("{e:#}"), None))?;
    // Kept in the data directory, where the node's start below reads it.
    coffer_node::vault::keep_master_keys(node_seal.clone(), &daemon.config.dir, vault)
        .map_err(internal)?;
    let sealed_key = node_seal
        .seal(NodePurpose::NodeKey(name), csr.key_pem.expose())
        .map_err(internal)?;
    let identity = NodeIdentity {
        node_id: grant.node_id,
        name: name.to_owned(),
        ip,
        prefix,
        api_port: daemon.config.api_port,
        cluster_port: port,
        cert_chain_pem: grant.cert_chain_pem.clone(),
        ca_cert_pem: answer.ca_cert_pem.clone(),
        sealed_key: Sealed(sealed_key),
    };
    let running = daemon
        .start_member(store, identity.clone(), false)
        .await
        .map_err(|e| AdminError::new(format!("starting the node: {e:#}"), None))?;
    let leader_key = grant
        .leader_key_id()
        .ok_or_else(|| AdminError::new("the leader's grant names no certificate key", None));
    match leader_key {
        Ok(key) => running.node.cluster.admitted_by(grant.leader_node_id, key),
        Err(error) => {
            crate::runtime::stop_running(running).await;
            return Err(error);
        }
    }

    // 4. Ask the leader to add us, and wait until we are a voter.
    let complete = JoinComplete {
        node_id: grant.node_id,
        name: name.to_owned(),
        cluster_addr: identity.cluster_addr().to_string(),
        api_addr: identity.api_addr().to_string(),
    };
    let peers = running.node.membership.as_ref().map(|m| m.peers.clone());
    let added = match peers {
        Some(peers) => coffer_node::peers::post_json::<_, serde_json::Value>(
            peers.as_ref(),
            &grant.leader_cluster_addr,
            "/join/complete",
            &complete,
            Duration::from_secs(150),
        )
        .await
        .map(|_| ())
        .map_err(|e| peer_failure("waiting for the leader to add this node", e)),
        None => Err(AdminError::new("internal error: no peer client", None)),
    };
    if let Err(error) = added {
        crate::runtime::stop_running(running).await;
        return Err(error);
    }
    identity
        .save(running.node.cluster.store())
        .map_err(internal)?;
    crate::runtime::promote_pending_store(&daemon.config.dir).map_err(internal)?;
    Ok((
        running,
        Joined {
            node: name.to_owned(),
            node_id: grant.node_id,
            role: "voter".into(),
        },
    ))
}

/// The admin error for a failed call to the cluster port, saying what was being done.
fn peer_failure(what: &str, error: coffer_node::peers::PeerCallError) -> AdminError {
    use coffer_node::peers::PeerCallError;
    match error {
        PeerCallError::Unreachable(e) => AdminError::new(
            format!("{what}: {e}"),
            Some(
                "check the address and that the cluster port is reachable (`sdkms-cluster check-network`)",
            ),
        ),
        other => AdminError::new(format!("{what}: {other}"), None),
    }
}

/// Sends a request to the cluster port at `peer` and decodes a JSON answer; a refusal's text
/// becomes the error.
async fn fetch<T: serde::de::DeserializeOwned>(
    client: &HttpsTransport,
    pin: Option<[u8; 32]>,
    peer: SocketAddr,
    request: PeerRequest<'_>,
    what: &str,
) -> Result<T, AdminError> {
    let reply = client
        .send_to(&peer.to_string(), &peer.ip().to_string(), pin, request)
        .await
        .map_err(|e| {
            AdminError::new(
                format!("{what}: {:#}", anyhow::Error::new(e)),
                Some(
                    "check the address and that the cluster port is reachable (`sdkms-cluster check-network`)",
                ),
            )
        })?;
    if !(200..300).contains(&reply.status) {
        let status = axum::http::StatusCode::from_u16(reply.status)
            .map_or_else(|_| reply.status.to_string(), |s| s.to_string());
        let text = String::from_utf8_lossy(&reply.body);
        return Err(AdminError::new(
            format!("{what}: refused ({status}): {text}"),
            None,
        ));
    }
    serde_json::from_slice(&reply.body)
        .map_err(|e| AdminError::new(format!("{what}: unexpected answer: {e}"), None))
}

fn internal(error: anyhow::Error) -> AdminError {
    AdminError::new(format!("{error:#}"), None)
}

/// The local address the kernel would use to reach `peer`.
fn local_ip_towards(peer: IpAddr, port: u16) -> Result<IpAddr, String> {
    let bind: SocketAddr = if peer.is_ipv4() {
        "0.0.0.0:0".parse()
    } else {
        "[::]:0".parse()
    }
    .map_err(|e| format!("{e}"))?;
    let socket =
        std::net::UdpSocket::bind(bind).map_err(|e| format!("finding this node's address: {e}"))?;
    socket
        .connect(SocketAddr::new(peer, port))
        .map_err(|e| format!("no route to {peer}: {e}"))?;
    socket
        .local_addr()
        .map(|a| a.ip())
        .map_err(|e| format!("finding this node's address: {e}"))
}

fn same_subnet(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix.min(32)))
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix.min(128)))
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// Certificate checks switched off, for the one request whose answer is authenticated by the
/// join token instead (the joiner does not know the cluster CA yet).
mod danger {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use std::sync::Arc;

    #[derive(Debug)]
    struct AcceptAnyServer(Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for AcceptAnyServer {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// A client configuration that accepts any server certificate.
    pub(super) fn unverified_client() -> Result<Arc<rustls::ClientConfig>, coffer_admin::AdminError>
    {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| coffer_admin::AdminError::new(e.to_string(), None))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider)))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_compare_by_prefix() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(same_subnet(ip("10.0.0.5"), ip("10.0.0.200"), 24));
        assert!(!same_subnet(ip("10.0.1.5"), ip("10.0.0.200"), 24));
        assert!(same_subnet(ip("10.0.1.5"), ip("10.0.0.200"), 16));
    }
}
