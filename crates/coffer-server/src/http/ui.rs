//! The UI (assets) service on the UI domain.
//!
//! It serves the assets of the web interface; the interface itself (R-API-4) is not part of
//! this release, so the service answers with a page saying so and pointing at the API.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coffer</title></head>
<body><h1>Coffer</h1>
<p>This is the Coffer assets service. The web interface is not included in this release;
use the REST API on the cluster's main domain (for example with sdkms-cli).</p>
</body></html>
"#;

/// Answers a request that arrived on the UI domain.
pub(crate) fn serve(path: &str) -> Response {
    match path {
        "/" | "/index.html" => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
