//! Answers given before the request body was read — a 401 from the authentication layer, a 404,
//! a 413 — must not cut off an HTTP/2 stream the client is still sending on. When a handler
//! drops an unread body, hyper resets the stream (`RST_STREAM`, as RFC 9113 §8.1 allows), and
//! common clients (curl, nghttp2) report that as a failed request instead of showing the
//! answer. So the body is kept here, and what the handler left unread is drained in the
//! background after the answer is sent: at most [`DRAIN_AT_MOST`] bytes within
//! [`DRAIN_WITHIN`], discarded as it arrives, so an unauthenticated sender costs no memory and
//! bounded time.

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

/// How long an unread body is drained at most.
const DRAIN_WITHIN: Duration = Duration::from_secs(10);
/// How much of an unread body is drained at most: the API's body limit (a larger body is
/// refused anyway, and its stream may be reset).
const DRAIN_AT_MOST: usize = 1024 * 1024;

/// Runs the request; drains whatever of its body the handler did not read.
pub(crate) async fn drain_unread_body(request: Request, next: Next) -> Response {
    // Nothing can be left unread of a body that is already over (most GETs).
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let slot = Arc::new(Mutex::new(Slot {
        body: Some(body),
        finished: false,
    }));
    let request = Request::from_parts(parts, Body::new(Tap(slot.clone())));
    let response = next.run(request).await;
    let unread = {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.finished {
            None
        } else {
            slot.body.take()
        }
    };
    if let Some(body) = unread {
        tokio::spawn(drain(body));
    }
    response
}

/// The request body, shared between the handler's view of it and this layer.
struct Slot {
    body: Option<Body>,
    /// The body ended (or failed): there is nothing left to drain.
    finished: bool,
}

/// The handler's view of the body.
struct Tap(Arc<Mutex<Slot>>);

impl HttpBody for Tap {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(body) = slot.body.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            slot.finished = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.finished || slot.body.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.body
            .as_ref()
            .map_or_else(|| http_body::SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

/// Reads and discards the rest of a body, within the bounds above.
async fn drain(mut body: Body) {
    let mut read = 0usize;
    let _ = tokio::time::timeout(DRAIN_WITHIN, async {
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, Bytes::len);
            if read > DRAIN_AT_MOST {
                return;
            }
        }
    })
    .await;
}
