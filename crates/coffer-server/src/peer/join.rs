//! `sdkms-cluster join`: the joining node's side and the cluster's side.
//!
//! ```text
//! joiner                                   any member                 leader
//!   │ GET /join/cluster-info?token_id=ID  ──►│ CA cert + HMAC(token key)  │
//!   │   (TLS unverified; the HMAC proves the peer knows the token: the CA is now pinned)
//!   │ POST /join/request {token, name, ip, CSR, transport key, clock} ──►│──forward──►│
//!   │◄── node id, node certificate, CMK sealed to the transport key ─────────────────│
//!   │ starts Raft and its cluster port with the new certificate
//!   │ POST /join/complete (mutual TLS) ────────────────────────────────────────────►│
//!   │                                  leader adds it as learner, waits until caught up,
//!   │◄── done ──────────────────────── promotes it to voter ─────────────────────────│
//! ```
//!
//! One join at a time: the leader remembers the pending join and refuses another until it
//! completes or goes stale ([`PENDING_TIMEOUT`]). A joiner that dies before `complete` leaves the
//! membership untouched, and its retry starts over.

use crate::admin::{admin_error, ok, tokens};
use crate::runtime::{Daemon, PENDING_STORE_FILE, Phase, STORE_FILE};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_admin::{AdminError, Joined};
use coffer_cluster::NodeInfo;
use coffer_core::Sealed;
use coffer_crypto::{DigestAlgorithm, Envelope, TransportKey};
use coffer_node::identity::{NodeIdentity, check_node_name, host_name, parse_addr};
use coffer_node::vault::{NodePurpose, Purpose, Vault};
use coffer_node::{Node, now};
use coffer_store::Store;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Largest clock difference a joiner may have (R-NTP-1).
const MAX_CLOCK_OFFSET_MS: i64 = 30_000;

/// The cluster's answer to `/join/cluster-info`.
#[derive(Serialize, Deserialize)]
pub(crate) struct ClusterInfoAnswer {
    cluster_id: uuid::Uuid,
    ca_cert_pem: String,
    /// HMAC-SHA-256 under the token's signing key over `cluster_id ‖ ca_cert_pem`, base64.
    signature: String,
}

/// A joiner's request.
#[derive(Serialize, Deserialize)]
pub(crate) struct JoinRequest {
    token: String,
    name: String,
    ip: IpAddr,
    api_port: u16,
    cluster_port: u16,
    csr_pem: String,
    /// The joiner's transport public key, base64.
    transport_key: String,
    /// The joiner's clock, Unix milliseconds.
    time_ms: i64,
}

/// The leader's answer to a join request.
#[derive(Serialize, Deserialize)]
pub(crate) struct JoinGrant {
    node_id: u64,
    cert_chain_pem: String,
    cmk_sender_key: String,
    cmk_sealed: String,
    leader_cluster_addr: String,
}

/// The joiner's last step.
#[derive(Serialize, Deserialize)]
pub(crate) struct JoinComplete {
    node_id: u64,
    name: String,
    cluster_addr: String,
    api_addr: String,
}

type Refusal = (StatusCode, String);

// ---- the joining node ----

/// Joins the cluster that `peer` belongs to.
pub(crate) async fn join(
    daemon: &Arc<Daemon>,
    peer: &str,
    token: &str,
    self_addr: Option<&str>,
    node_name: Option<String>,
) -> Result<serde_json::Value, AdminError> {
    let mut phase = daemon.phase.lock().await;
    if matches!(*phase, Phase::Member(_)) {
        return Err(admin_error(
            "this node already belongs to a cluster",
            Some("run `sdkms-cluster reset --delete-data` first to move it"),
        ));
    }
    let (peer_ip, peer_prefix) =
        parse_addr(peer).map_err(|e| admin_error(format!("--peer: {e}"), None))?;
    let (_, secret) = tokens::split(token).ok_or_else(|| {
        admin_error(
            "--token is malformed (expected abcdef.0123456789abcdef)",
            None,
        )
    })?;
    let (ip, prefix) = match self_addr {
        Some(text) => parse_addr(text).map_err(|e| admin_error(format!("--self: {e}"), None))?,
        None => (
            local_ip_towards(peer_ip, daemon.config.cluster_port)
                .map_err(|e| admin_error(e, Some("give this node's address with --self")))?,
            peer_prefix,
        ),
    };
    if self_addr.is_none()
        && let Some(prefix) = peer_prefix
        && !same_subnet(ip, peer_ip, prefix)
    {
        return Err(admin_error(
            format!("this node's address {ip} is not in {peer_ip}/{prefix}"),
            Some("nodes on different subnets join with --self=<this node's IP>"),
        ));
    }
    let name = node_name.unwrap_or_else(host_name);
    check_node_name(&name).map_err(|e| admin_error(e, None))?;
    daemon.set_label("Joining");
    let result = join_steps(daemon, peer_ip, token, secret, ip, prefix, &name).await;
    match result {
        Ok((running, joined)) => {
            daemon.set_phase(&mut phase, Phase::Member(running));
            tracing::info!(node = name, node_id = joined.node_id, "joined the cluster");
            ok(&joined)
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
    let unverified =
        crate::net::tls::https_client(danger::unverified_client()?, Duration::from_secs(15))
            .map_err(internal)?;
    let answer: ClusterInfoAnswer = fetch(
        unverified.get(format!(
            "https://{peer}/join/cluster-info?token_id={token_id}"
        )),
        "asking the peer for the cluster's CA",
    )
    .await?;
    let key = tokens::signing_key(secret)?;
    let expected = cluster_info_mac(&key, answer.cluster_id, &answer.ca_cert_pem)?;
    let presented = STANDARD.decode(&answer.signature).unwrap_or_default();
    if !coffer_crypto::constant_time_eq(&expected, &presented) {
        return Err(admin_error(
            format!(
                "{peer} could not prove it knows this token: either the token is wrong or the peer is not the cluster you meant"
            ),
            Some("check the token with `sdkms-cluster token list` on a member"),
        ));
    }

    // 2. Ask to join, with a CSR and a transport key for the master key.
    let pinned = crate::net::tls::https_client(
        crate::net::tls::cluster_client_config(&answer.ca_cert_pem, None).map_err(internal)?,
        Duration::from_secs(60),
    )
    .map_err(internal)?;
    let transport = TransportKey::generate().map_err(|e| internal(e.into()))?;
    let csr = coffer_crypto::node_csr(name, ip)
        .map_err(|e| admin_error(format!("making the node key: {e}"), None))?;
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
        pinned
            .post(format!("https://{peer}/join/request"))
            .json(&request),
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
    let cmk = transport
        .open(&envelope, &cmk_aad(name))
        .map_err(|_| admin_error("the master key sent by the cluster did not open", None))?;
    let vault = Vault::from_cmk_secret(&cmk).map_err(internal)?;

    // 3. Become a node: store the CMK and identity, start Raft and the ports.
    if daemon.config.dir.join(STORE_FILE).exists() {
        return Err(admin_error(
            "this node holds the data of a cluster member",
            Some("run `sdkms-cluster reset --delete-data` to discard it first"),
        ));
    }
    let path = daemon.config.dir.join(PENDING_STORE_FILE);
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&path).map_err(|e| internal(e.into()))?;
    let node_seal = daemon
        .sealing()
        .map_err(|e| admin_error(format!("{e:#}"), None))?;
    node_seal.store_cmk(&store, &vault).map_err(internal)?;
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
        .map_err(|e| admin_error(format!("starting the node: {e:#}"), None))?;

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
        None => Err(admin_error("internal error: no peer client", None)),
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
        PeerCallError::Unreachable(e) => admin_error(
            format!("{what}: {e}"),
            Some(
                "check the address and that the cluster port is reachable (`sdkms-cluster check-network`)",
            ),
        ),
        other => admin_error(format!("{what}: {other}"), None),
    }
}

/// Sends a request and decodes a JSON answer; a refusal's text becomes the error.
async fn fetch<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<T, AdminError> {
    let response = request.send().await.map_err(|e| admin_error(format!("{what}: {e}"), Some("check the address and that the cluster port is reachable (`sdkms-cluster check-network`)")))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        return Err(admin_error(
            format!("{what}: refused ({status}): {text}"),
            None,
        ));
    }
    response
        .json()
        .await
        .map_err(|e| admin_error(format!("{what}: unexpected answer: {e}"), None))
}

// ---- the cluster's side ----

/// `GET /join/cluster-info?token_id=ID`: the CA, signed with the token's key.
pub(crate) async fn cluster_info(
    State(node): State<Arc<Node>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<ClusterInfoAnswer>, Refusal> {
    let token_id = query
        .get("token_id")
        .ok_or((StatusCode::BAD_REQUEST, "token_id is required".to_owned()))?;
    let (token, cluster_id, ca_cert_pem) = {
        let state = node.cluster.state();
        let state = state.read();
        let cluster = state.cluster().ok_or((
            StatusCode::SERVICE_UNAVAILABLE,
            "the cluster is not initialized".to_owned(),
        ))?;
        let token = cluster
            .tokens
            .get(token_id)
            .filter(|t| t.expires_at > now())
            .cloned();
        (token, cluster.cluster_id, cluster.ca_cert_pem.clone())
    };
    let token = token.ok_or((
        StatusCode::FORBIDDEN,
        "the token is unknown or expired".to_owned(),
    ))?;
    let key = tokens::unseal_signing_key(&node, &token)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let mac = cluster_info_mac(&key, cluster_id, &ca_cert_pem)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.message))?;
    Ok(Json(ClusterInfoAnswer {
        cluster_id,
        ca_cert_pem,
        signature: STANDARD.encode(mac),
    }))
}

/// `POST /join/request`: checked and granted by the leader (forwarded there if need be).
pub(crate) async fn request(
    State(node): State<Arc<Node>>,
    Json(request): Json<JoinRequest>,
) -> Result<Json<JoinGrant>, Refusal> {
    if !node.cluster.is_leader() {
        return forward(&node, "/join/request", &request).await;
    }
    let membership = node.membership.as_ref().ok_or((
        StatusCode::SERVICE_UNAVAILABLE,
        "not a cluster member".to_owned(),
    ))?;
    let refuse = |text: String| (StatusCode::FORBIDDEN, text);
    tokens::check(&node, &request.token).map_err(refuse)?;
    check_node_name(&request.name).map_err(refuse)?;
    let offset = request.time_ms - now_ms();
    if offset.abs() > MAX_CLOCK_OFFSET_MS {
        return Err(refuse(format!(
            "the joining node's clock is {offset} ms off the leader's; fix NTP and retry"
        )));
    }
    for (id, info, role) in node.cluster.members() {
        if info.name == request.name {
            if role == coffer_cluster::MemberRole::Voter {
                return Err((
                    StatusCode::CONFLICT,
                    format!("a node named {} is already a member", request.name),
                ));
            }
            // A learner left behind by a join that died half-way: take it out and start over.
            node.cluster
                .remove_node(id)
                .await
                .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        }
    }
    // Random ids are never reused, even after removals (Raft must not confuse a new node with a
    // removed one that kept its id).
    let node_id = match membership
        .join_gate
        .reserve(&request.name, || random_node_id(&node))?
    {
        Ok(id) => id,
        Err(other) => {
            return Err((
                StatusCode::CONFLICT,
                format!(
                    "node {other} is joining right now; join one node at a time and retry when it has finished"
                ),
            ));
        }
    };
    tracing::info!(
        node = request.name,
        node_id,
        attestation = "not available: the token alone authenticates the node",
        "join request accepted"
    );
    let ca = {
        let state = node.cluster.state();
        let cluster = state.read().cluster().cloned().ok_or((
            StatusCode::SERVICE_UNAVAILABLE,
            "not initialized".to_owned(),
        ))?;
        let key = cluster
            .ca_key
            .as_ref()
            .ok_or((StatusCode::INTERNAL_SERVER_ERROR, "no CA key".to_owned()))?;
        let key_pem = node
            .unseal(Purpose::ClusterCaKey, key)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        coffer_crypto::CaBundle {
            cert_pem: cluster.ca_cert_pem.clone(),
            key_pem,
        }
    };
    let chain = coffer_crypto::sign_node_csr(&ca, &request.csr_pem, &request.name, request.ip)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let transport = STANDARD.decode(&request.transport_key).map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            "transport_key is not base64".to_owned(),
        )
    })?;
    let envelope = coffer_crypto::seal_to(
        &transport,
        node.cmk_secret().expose(),
        &cmk_aad(&request.name),
    )
    .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(Json(JoinGrant {
        node_id,
        cert_chain_pem: chain,
        cmk_sender_key: STANDARD.encode(envelope.sender_public),
        cmk_sealed: STANDARD.encode(envelope.sealed),
        leader_cluster_addr: membership.identity.cluster_addr().to_string(),
    }))
}

/// `POST /join/complete`: adds the new node as learner, then voter.
pub(crate) async fn complete(
    State(node): State<Arc<Node>>,
    Json(request): Json<JoinComplete>,
) -> Result<Json<serde_json::Value>, Refusal> {
    if !node.cluster.is_leader() {
        return forward(&node, "/join/complete", &request).await;
    }
    let membership = node.membership.as_ref().ok_or((
        StatusCode::SERVICE_UNAVAILABLE,
        "not a cluster member".to_owned(),
    ))?;
    match membership.join_gate.expected() {
        Some((id, name)) if id == request.node_id && name == request.name => {}
        _ => {
            return Err((
                StatusCode::CONFLICT,
                "no matching join request is pending; start the join again".to_owned(),
            ));
        }
    }
    let info = NodeInfo {
        name: request.name.clone(),
        cluster_addr: request.cluster_addr.clone(),
        api_addr: request.api_addr.clone(),
    };
    let added = node.cluster.add_voter(request.node_id, info).await;
    membership.join_gate.clear();
    added.map_err(|e| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("adding the node failed: {e}"),
        )
    })?;
    tracing::info!(
        node = request.name,
        node_id = request.node_id,
        "node joined as voter"
    );
    Ok(Json(serde_json::json!({ "node_id": request.node_id })))
}

/// Relays a join step to the leader.
async fn forward<B: Serialize, T: serde::de::DeserializeOwned>(
    node: &Node,
    path: &str,
    body: &B,
) -> Result<Json<T>, Refusal> {
    let unavailable = |text: String| (StatusCode::SERVICE_UNAVAILABLE, text);
    let (_, leader) = node.cluster.leader().ok_or_else(|| {
        unavailable("no leader is known; the cluster may have lost its quorum".into())
    })?;
    let peers = &node
        .membership
        .as_ref()
        .ok_or_else(|| unavailable("not a cluster member".into()))?
        .peers;
    coffer_node::peers::post_json(
        peers.as_ref(),
        &leader.cluster_addr,
        path,
        body,
        Duration::from_secs(150),
    )
    .await
    .map(Json)
    .map_err(|error| match error {
        coffer_node::peers::PeerCallError::Refused { status, text } => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            text,
        ),
        coffer_node::peers::PeerCallError::Unreachable(e) => {
            unavailable(format!("could not reach the leader: {e}"))
        }
        coffer_node::peers::PeerCallError::Decode(e) => {
            unavailable(format!("bad answer from the leader: {e}"))
        }
    })
}

fn random_node_id(node: &Node) -> Result<u64, Refusal> {
    let taken: Vec<u64> = node
        .cluster
        .members()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    loop {
        let bytes: [u8; 8] = coffer_crypto::random::random_array()
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        // Below 2^53 so that scripts reading the id from JSON keep it exact.
        let id = u64::from_be_bytes(bytes) >> 11;
        if id > 1 && !taken.contains(&id) {
            return Ok(id);
        }
    }
}

fn cluster_info_mac(
    key: &[u8],
    cluster_id: uuid::Uuid,
    ca_cert_pem: &str,
) -> Result<Vec<u8>, AdminError> {
    let mut message = cluster_id.as_bytes().to_vec();
    message.extend_from_slice(ca_cert_pem.as_bytes());
    coffer_crypto::hmac(DigestAlgorithm::Sha256, key, &message).map_err(|e| internal(e.into()))
}

fn cmk_aad(name: &str) -> Vec<u8> {
    format!("coffer cmk for {name} v1").into_bytes()
}

fn now_ms() -> i64 {
    (coffer_node::now_nanos() / 1_000_000) as i64
}

fn internal(error: anyhow::Error) -> AdminError {
    admin_error(format!("{error:#}"), None)
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
            .map_err(|e| crate::admin::admin_error(e.to_string(), None))?
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

    #[test]
    fn the_cluster_info_mac_binds_the_cluster_id_and_the_ca() {
        let key = tokens::signing_key("0123456789abcdef").unwrap();
        let a = cluster_info_mac(&key, uuid::Uuid::from_u128(1), "CA").unwrap();
        assert_ne!(
            a,
            cluster_info_mac(&key, uuid::Uuid::from_u128(2), "CA").unwrap()
        );
        assert_ne!(
            a,
            cluster_info_mac(&key, uuid::Uuid::from_u128(1), "CB").unwrap()
        );
        let other = tokens::signing_key("fedcba9876543210").unwrap();
        assert_ne!(
            a,
            cluster_info_mac(&other, uuid::Uuid::from_u128(1), "CA").unwrap()
        );
    }
}
