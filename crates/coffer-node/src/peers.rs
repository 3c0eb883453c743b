//! How the control plane reaches other members' cluster ports.
//!
//! The edge that owns the cluster port's client (mutual TLS with the node certificate) provides
//! a [`PeerLink`]; use cases send JSON through it and read JSON back, without knowing HTTP.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What a peer answered: the HTTP status and the body.
#[derive(Clone, Debug)]
pub struct PeerAnswer {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// A peer could not be asked or did not answer (unreachable, refused TLS, timed out).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PeerLinkError(pub String);

/// The future of one call.
pub type PeerFuture<'a> =
    Pin<Box<dyn Future<Output = Result<PeerAnswer, PeerLinkError>> + Send + 'a>>;

/// Sends requests to other members' cluster ports.
pub trait PeerLink: Send + Sync + 'static {
    /// POSTs the JSON `body` to `path` on the cluster port at `cluster_addr`, giving up after
    /// `timeout`.
    fn post<'a>(
        &'a self,
        cluster_addr: &'a str,
        path: &'a str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> PeerFuture<'a>;
}

/// Why a JSON call to a peer gave no value.
#[derive(Debug, thiserror::Error)]
pub enum PeerCallError {
    /// The peer could not be asked, or did not answer.
    #[error("{0}")]
    Unreachable(#[from] PeerLinkError),
    /// The peer answered with an error status; the body is its text.
    #[error("refused ({status}): {text}")]
    Refused {
        /// The status code.
        status: u16,
        /// The answer's text.
        text: String,
    },
    /// The answer was not the JSON expected.
    #[error("unexpected answer: {0}")]
    Decode(#[from] serde_json::Error),
}

/// POSTs `body` as JSON and decodes the JSON answer of a successful status.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    link: &dyn PeerLink,
    cluster_addr: &str,
    path: &str,
    body: &B,
    timeout: Duration,
) -> Result<T, PeerCallError> {
    let body = serde_json::to_vec(body)?;
    let answer = link.post(cluster_addr, path, body, timeout).await?;
    if !(200..300).contains(&answer.status) {
        return Err(PeerCallError::Refused {
            status: answer.status,
            text: String::from_utf8_lossy(&answer.body).into_owned(),
        });
    }
    Ok(serde_json::from_slice(&answer.body)?)
}
