//! The cluster port's one error answer: a status and a short text, made from a
//! [`ServiceError`] in exactly one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coffer_node::ServiceError;
use coffer_node::error::Failure;

/// A refused cluster-port request.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    text: String,
}

impl From<ServiceError> for Refusal {
    fn from(error: ServiceError) -> Self {
        let status = match error.failure() {
            Failure::Invalid => StatusCode::BAD_REQUEST,
            Failure::Unauthenticated => StatusCode::UNAUTHORIZED,
            Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::Conflict => StatusCode::CONFLICT,
            Failure::ReadOnly | Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Busy => StatusCode::TOO_MANY_REQUESTS,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if let ServiceError::Internal(source) = &error {
            tracing::error!(
                error = format!("{source:#}"),
                "cluster-port request failed on a server fault"
            );
        }
        Self {
            status,
            text: error.to_string(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, self.text).into_response()
    }
}
