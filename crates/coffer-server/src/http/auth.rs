//! Who is calling: the authentication middleware and the `Caller` extractor.
//!
//! The middleware runs around every route. It logs the request, authenticates the
//! `Authorization` header (app API key as Basic, bearer session, or — only on the login
//! endpoint — a user's email and password), runs the handler, hands the audit record to the
//! audit writer, and logs the response. Handlers take an [`Authenticated`] to demand authentication.
//!
//! Apps registered with a client certificate authenticate as DSM's certificate apps do: over
//! the mutual-TLS interface, presenting that certificate in the handshake, with
//! `Authorization: Basic base64(app_id:)` — the app's id and an empty password — on any
//! endpoint, or on the login endpoint for a bearer session.

use super::error::ApiError;
use crate::net::listener::ClientAddr;
use crate::net::log_filter::LogFilter;
use axum::Extension;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use coffer_node::Node;
use coffer_node::audit::{ActionType, AuditNote, AuditRecord, Severity};
use coffer_node::caller::Caller;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// The path where users trade a password for a session.
pub(crate) const LOGIN_PATH: &str = "/sys/v1/session/auth";

/// The extractor a handler takes to demand an authenticated caller: the middleware put the
/// [`Caller`] in the request's extensions, or the request is refused with 401.
pub(crate) struct Authenticated(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .copied()
            .map(Authenticated)
            .ok_or(ApiError::Unauthorized("authentication required"))
    }
}

/// Numbers the requests this process serves, for the `request_id` of their log lines.
static NEXT_REQUEST_ID: AtomicU64 = AtomicU64::new(1);

/// The middleware: log, authenticate, run, audit, log — all inside one `request` span, so
/// every line a request writes (its handler's included) carries its `request_id`.
pub(crate) async fn authenticate(
    State(node): State<Arc<Node>>,
    ConnectInfo(client): ConnectInfo<ClientAddr>,
    Extension(log_filter): Extension<Arc<LogFilter>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = NEXT_REQUEST_ID.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!("request", request_id);
    let health_check = LogFilter::is_health_check(request.method(), request.uri().path());
    let filtering = log_filter.on();
    if filtering {
        log_filter.saw(client.0.ip(), health_check);
    }
    let quiet = health_check && filtering;
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let logged = async {
        let started = Instant::now();
        if !quiet {
            log_request(client.0, &method, &path);
        }
        let response = handle(node, client, request, next).await;
        let status = response.status();
        let elapsed = started.elapsed();
        crate::telemetry::record_request(
            &route,
            method.as_str(),
            status.as_u16(),
            elapsed.as_secs_f64(),
        );
        let elapsed_us = elapsed.as_micros() as u64;
        if !quiet {
            log_response(client.0, &method, &path, status, elapsed_us);
        } else if !status.is_success() {
            // A failed health check is written in full, request and response.
            log_request(client.0, &method, &path);
            log_response(client.0, &method, &path, status, elapsed_us);
        }
        response
    };
    logged.instrument(span).await
}

fn log_request(client: std::net::SocketAddr, method: &Method, path: &str) {
    tracing::info!(log = "request", client_ip = %client.ip(), %method, path, "request");
}

fn log_response(
    client: std::net::SocketAddr,
    method: &Method,
    path: &str,
    status: axum::http::StatusCode,
    elapsed_us: u64,
) {
    tracing::info!(
        log = "response",
        client_ip = %client.ip(),
        %method,
        path,
        status = status.as_u16(),
        duration_us = elapsed_us,
        "response"
    );
}

async fn handle(
    node: Arc<Node>,
    ClientAddr(client, service, certificate): ClientAddr,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if service == crate::net::listener::Service::Ui {
        let response = super::ui::serve(&path);
        let _ = finish(&method, &path, None, client, started, &response);
        return response;
    }

    if !is_public(&path)
        && let Some(reason) = node.refusal()
    {
        let response =
            ApiError::Unavailable(format!("this node cannot serve: {reason}")).into_response();
        let _ = finish(&method, &path, None, client, started, &response);
        return response;
    }
    let caller = match request.headers().get(header::AUTHORIZATION) {
        Some(_) if is_public(&path) => None,
        Some(value) => match node
            .authenticate(
                value.as_bytes(),
                path == LOGIN_PATH,
                certificate,
                client.ip(),
            )
            .await
        {
            Ok(caller) => Some(caller),
            Err(error) => {
                let response = ApiError::from(error).into_response();
                let claimed = node.claimed_identity(value.as_bytes());
                if let Some(record) =
                    finish(&method, &path, claimed.as_ref(), client, started, &response)
                {
                    node.audit.record_unauthenticated(record).await;
                }
                return response;
            }
        },
        None => None,
    };
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    let response = next.run(request).await;
    if let Some(record) = finish(&method, &path, caller.as_ref(), client, started, &response) {
        // Anyone can send requests without credentials: their records are sampled.
        match caller {
            Some(_) => node.audit.record(record).await,
            None => node.audit.record_unauthenticated(record).await,
        }
    }
    response
}

/// Health and version probes ignore credentials entirely.
fn is_public(path: &str) -> bool {
    matches!(path, "/" | "/sys/v1/health" | "/sys/v1/version")
}

/// Writes the response log line and, for auditable requests, makes the audit record.
fn finish(
    method: &Method,
    path: &str,
    caller: Option<&Caller>,
    client: std::net::SocketAddr,
    started: Instant,
    response: &Response,
) -> Option<AuditRecord> {
    let status = response.status();
    let elapsed = started.elapsed();
    if let Some(super::error::ServerFault(detail)) = response.extensions().get() {
        tracing::error!(
            client_ip = %client.ip(),
            %method,
            path,
            error = detail.as_str(),
            "request failed on a server fault"
        );
    }
    let note = response.extensions().get::<AuditNote>().cloned();
    let failed_auth = status == axum::http::StatusCode::UNAUTHORIZED;
    let mutating = !matches!(*method, Method::GET | Method::HEAD);
    if is_public(path) || !(note.is_some() || failed_auth || mutating) {
        return None;
    }
    let account = note
        .as_ref()
        .and_then(|n| n.account)
        .or(caller.and_then(|c| c.account));
    let (action, message, object, groups) = match note {
        Some(note) => (note.action, note.message, note.object, note.groups),
        None => {
            let error = response
                .extensions()
                .get::<super::error::ErrorText>()
                .map(|e| e.0.as_str())
                .unwrap_or("");
            let action = if failed_auth || path.starts_with("/sys/v1/session") {
                ActionType::Auth
            } else if path.starts_with("/crypto/") {
                ActionType::CryptoOperation
            } else {
                ActionType::Administrative
            };
            let message = if status.is_success() {
                format!("{method} {path} answered {}", status.as_u16())
            } else {
                format!("{method} {path} failed with {}: {error}", status.as_u16())
            };
            (action, message, None, Vec::new())
        }
    };
    let severity = if status.is_success() {
        Severity::Info
    } else if failed_auth || status == axum::http::StatusCode::FORBIDDEN {
        Severity::Warning
    } else {
        Severity::Info
    };
    Some(AuditRecord {
        time_nanos: coffer_node::now_nanos(),
        account,
        action,
        actor: caller.map(|c| c.principal),
        object,
        groups,
        message,
        severity,
        status: status.as_u16(),
        client_ip: Some(client.ip()),
        response_time_nanos: elapsed.as_nanos() as u64,
    })
}
