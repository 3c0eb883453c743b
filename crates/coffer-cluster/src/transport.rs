//! How the cluster reaches its peers: a [`PeerTransport`] carries one request's bytes to a
//! peer's cluster port and brings the answer's bytes back; [`Transport`] puts JSON and the
//! deadline on top of it for the rest of this crate.
//!
//! The routes, their methods and their JSON payloads are listed at [`PeerRoute`]; the peer
//! answers them with [`Cluster::answer_peer`]. The transport is given to [`Cluster::start`].
//!
//! [`PeerRoute`]: crate::PeerRoute
//! [`Cluster::answer_peer`]: crate::Cluster::answer_peer
//! [`Cluster::start`]: crate::Cluster::start

use crate::error::PeerError;
use coffer_store::NodeInfo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// How a request is sent: `GET` has no body, `POST` carries JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerMethod {
    /// HTTP `GET`.
    Get,
    /// HTTP `POST`.
    Post,
}

/// One request to a peer's cluster port.
#[derive(Debug)]
pub struct PeerRequest<'a> {
    /// The route's method.
    pub method: PeerMethod,
    /// The route's path, such as `/raft/append`.
    pub path: &'a str,
    /// The JSON request body; empty for a `GET`.
    pub body: Vec<u8>,
    /// How long the whole exchange may take. The cluster gives up after it in any case
    /// ([`PeerError::Timeout`]); a transport may use it to stop its own work sooner.
    pub timeout: Duration,
}

/// Carries requests to other nodes' cluster ports. The cluster only hands it bytes: it must
/// reach `peer.cluster_addr` and make sure the node there is `peer.name` (the routes trust
/// their caller completely, so the peer must be able to authenticate this node too).
pub trait PeerTransport: Send + Sync + std::fmt::Debug + 'static {
    /// Sends `request` to `peer` and gives the body of its successful (2xx) answer.
    ///
    /// Failures: [`PeerError::Connect`] when no connection could be made, so the request was
    /// certainly not sent ([`PeerError::not_sent`]); [`PeerError::Request`] or
    /// [`PeerError::Body`] when the exchange broke after that; [`PeerError::Status`] for any
    /// other answer, with its status and the start of its body (at most 512 bytes);
    /// [`PeerError::BadName`] or [`PeerError::BadAddress`] when `peer` cannot be dialled;
    /// [`PeerError::Timeout`] when `request.timeout` passed.
    fn call<'a>(
        &'a self,
        peer: &'a NodeInfo,
        request: PeerRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, PeerError>> + Send + 'a>>;
}

/// JSON requests over a [`PeerTransport`], each bounded by its timeout.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    inner: Arc<dyn PeerTransport>,
}

impl Transport {
    pub(crate) fn new(inner: Arc<dyn PeerTransport>) -> Self {
        Self { inner }
    }

    /// POSTs `body` as JSON to `path` on `peer` and decodes the JSON answer, all within
    /// `timeout`.
    pub(crate) async fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        peer: &NodeInfo,
        path: &str,
        body: &Req,
        timeout: Duration,
    ) -> Result<Resp, PeerError> {
        let body = serde_json::to_vec(body).map_err(PeerError::Encode)?;
        self.call(peer, PeerMethod::Post, path, body, timeout).await
    }

    /// GETs `path` on `peer` and decodes the JSON answer, within `timeout`.
    pub(crate) async fn get<Resp: DeserializeOwned>(
        &self,
        peer: &NodeInfo,
        path: &str,
        timeout: Duration,
    ) -> Result<Resp, PeerError> {
        self.call(peer, PeerMethod::Get, path, Vec::new(), timeout)
            .await
    }

    async fn call<Resp: DeserializeOwned>(
        &self,
        peer: &NodeInfo,
        method: PeerMethod,
        path: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Resp, PeerError> {
        let request = PeerRequest {
            method,
            path,
            body,
            timeout,
        };
        let bytes = tokio::time::timeout(timeout, self.inner.call(peer, request))
            .await
            .map_err(|_| PeerError::Timeout(timeout))??;
        serde_json::from_slice(&bytes).map_err(PeerError::Decode)
    }
}
