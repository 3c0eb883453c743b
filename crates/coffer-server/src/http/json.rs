//! Request and response bodies.
//!
//! DSM clients differ in what they send: the Python client puts `Content-Type: application/json`
//! on every request, the Rust client none on body-less ones. So bodies are parsed whatever the
//! content type says, an empty body counts as `{}` where the body is optional, and a parse error
//! is a 400 that names the field and position — never the value found there, which may be a
//! secret (the answer's text also goes to the audit log).

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A JSON request body, parsed leniently about headers and strictly about content.
pub(crate) struct Body<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::bad_request(format!("could not read the request body: {rejection}"))
                }
            })?;
        let parsed = parse(&bytes);
        wipe(bytes);
        parsed.map(Body)
    }
}

/// Overwrites a request body once it is parsed (passwords, key values and plaintexts pass
/// through here), when this is the only reference to its buffer. A body that arrived in one
/// piece may still share the connection's read buffer; that copy is beyond reach.
fn wipe(bytes: Bytes) {
    if let Ok(mut owned) = bytes.try_into_mut() {
        zeroize::Zeroize::zeroize(owned.as_mut());
    }
}

/// Parses a body; an empty one is read as `{}`.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        ApiError::bad_request(describe(&error.path().to_string(), error.inner()))
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::bad_request(describe(".", &error)))?;
    Ok(value)
}

/// What was wrong with a body, where, without the offending value.
/// `path` is where in the body (`.` for the whole of it).
fn describe(path: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Syntax => format!("invalid request body: malformed JSON at {at}"),
        Category::Eof => format!("invalid request body: it ends early, at {at}"),
        Category::Io => "invalid request body: it could not be read".to_owned(),
        Category::Data => {
            // serde's own text names the value for type and variant errors; only a missing
            // field's text is safe to repeat.
            let text = error.to_string();
            if let Some(field) = text.strip_prefix("missing field ")
                && let Some(field) = field.split(' ').next()
            {
                return match path {
                    "." => format!("invalid request body: missing field {field}"),
                    inner => format!("invalid request body: missing field {field} in `{inner}`"),
                };
            }
            match path {
                "." => format!("invalid request body: not the object expected, at {at}"),
                field => format!(
                    "invalid request body: `{field}` has the wrong type or a value that is not accepted, at {at}"
                ),
            }
        }
    }
}

/// A JSON response.
pub(crate) use axum::Json;

/// The answer of operations that return nothing: 204 with an empty body (DSM's Rust client
/// cannot decode `{}` into `()`).
pub(crate) fn no_content() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Query parameters, parsed as DSM clients write them (see `coffer_api::parse_query`): an
/// empty query or a bare `?` is fine, and unknown parameters are ignored.
pub(crate) struct Query<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        coffer_api::parse_query(parts.uri.query().unwrap_or(""))
            .map(Query)
            .map_err(|error| ApiError::bad_request(format!("invalid query string: {error}")))
    }
}
