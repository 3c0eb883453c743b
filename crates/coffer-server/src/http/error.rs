//! `ApiError`: every failure a request can meet, mapped to HTTP exactly once.
//!
//! The body is short `text/plain` (no DSM client parses error bodies); internal detail goes to
//! the log (written by the middleware, from the response's [`ServerFault`]), never to the
//! client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coffer_node::ServiceError;
use coffer_node::error::Failure;

/// A request that failed, with what the client is told.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// Malformed input; the text says what and where.
    #[error("{0}")]
    BadRequest(String),
    /// Missing, wrong or expired credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such object or route.
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness clash or a state that forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// The body is over the size limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The node lost the cluster's quorum but serves reads (R-CLU-7); writes are refused.
    #[error(
        "the node is read-only: {0}; reads and crypto operations still work, writes resume when the quorum returns"
    )]
    ReadOnly(String),
    /// The node cannot serve right now (not leader and no way to forward, shutting down).
    #[error("{0}")]
    Unavailable(String),
    /// Refused to bound the work (a full password queue, a backing-off client); answered 429
    /// with `Retry-After` in whole seconds.
    #[error("{text}")]
    TooManyRequests {
        /// What the client is told.
        text: String,
        /// Seconds to wait, at least 1.
        retry_after_secs: u64,
    },
    /// A fault on our side; the detail is logged, the client sees a generic text.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 from anything printable.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// A 404 for a security object.
    pub(crate) fn key_not_found() -> Self {
        Self::NotFound("security object not found".into())
    }

    /// The status code this error is answered with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ReadOnly(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let fault = match &self {
            Self::Internal(error) => Some(ServerFault(format!("{error:#}"))),
            _ => None,
        };
        let status = self.status();
        let text = self.to_string();
        let mut response = (status, text.clone()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let Self::TooManyRequests {
            retry_after_secs, ..
        } = &self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        response.extensions_mut().insert(ErrorText(text));
        if let Some(fault) = fault {
            response.extensions_mut().insert(fault);
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Unauthenticated(text) => Self::Unauthorized(text),
            ServiceError::ReadOnly(reason) => Self::ReadOnly(reason),
            ServiceError::Internal(source) => Self::Internal(source),
            ServiceError::Busy { what, retry_after } => Self::TooManyRequests {
                text: what.to_owned(),
                retry_after_secs: retry_after.as_secs().max(1),
            },
            error => {
                let text = error.to_string();
                match error.failure() {
                    Failure::Forbidden => Self::Forbidden(text),
                    Failure::NotFound => Self::NotFound(text),
                    Failure::Conflict => Self::Conflict(text),
                    Failure::Unavailable => Self::Unavailable(text),
                    // The last classes belong to the variants matched above.
                    Failure::Invalid
                    | Failure::Unauthenticated
                    | Failure::ReadOnly
                    | Failure::Busy
                    | Failure::Internal => Self::BadRequest(text),
                }
            }
        }
    }
}

/// The text a failed response carried, for its audit record.
#[derive(Clone, Debug)]
pub(crate) struct ErrorText(pub(crate) String);

/// The detail of a server fault, which the middleware logs (the client sees only "internal
/// error").
#[derive(Clone, Debug)]
pub(crate) struct ServerFault(pub(crate) String);

/// The result type of handlers and services.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
