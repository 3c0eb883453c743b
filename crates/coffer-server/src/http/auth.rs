//! Who is calling: the authentication middleware and the `Caller` extractor.
//!
//! The middleware runs around every route. It logs the request, authenticates the
//! `Authorization` header (app API key as Basic, bearer session, or — only on the login
//! endpoint — a user's email and password), runs the handler, hands the audit record to the
//! audit writer, and logs the response. Handlers take a [`Caller`] to demand authentication.
//!
//! Apps registered with a client certificate authenticate as DSM's certificate apps do: over
//! the mutual-TLS interface, presenting that certificate in the handshake, with
//! `Authorization: Basic base64(app_id:)` — the app's id and an empty password — on any
//! endpoint, or on the login endpoint for a bearer session.

use super::error::ApiError;
use super::listener::{ClientAddr, ClientCertificate};
use crate::audit::{ActionType, AuditNote, AuditRecord, Severity};
use crate::node::Node;
use crate::session::{SessionClaims, SessionPrincipal};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_core::{AccountId, AppId, UserId};
use std::sync::Arc;
use std::time::Instant;

/// The path where users trade a password for a session.
pub(crate) const LOGIN_PATH: &str = "/sys/v1/session/auth";

/// An authenticated principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Principal {
    /// An app.
    App(AppId),
    /// A user or sysadmin.
    User(UserId),
}

/// The authenticated caller of a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    /// Who.
    pub(crate) principal: Principal,
    /// The account the request works in: an app's own, or the one a user session selected.
    pub(crate) account: Option<AccountId>,
    /// True for sysadmins.
    pub(crate) sysadmin: bool,
    /// The session, when the caller used a bearer token.
    pub(crate) session: Option<SessionClaims>,
}

impl Caller {
    /// The app, or 403 for user sessions (crypto is for apps).
    pub(crate) fn app(&self) -> Result<AppId, ApiError> {
        match self.principal {
            Principal::App(app) => Ok(app),
            Principal::User(_) => Err(ApiError::Forbidden(
                "this operation needs an app's credentials".into(),
            )),
        }
    }

    /// The user, or 403 for apps.
    pub(crate) fn user(&self) -> Result<UserId, ApiError> {
        match self.principal {
            Principal::User(user) => Ok(user),
            Principal::App(_) => Err(ApiError::Forbidden(
                "this operation needs a user session".into(),
            )),
        }
    }

    /// The account the caller works in, or 400 when a user has not selected one.
    pub(crate) fn account(&self) -> Result<AccountId, ApiError> {
        self.account.ok_or_else(|| {
            ApiError::bad_request("no account selected: call /sys/v1/session/select_account")
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .copied()
            .ok_or(ApiError::Unauthorized("authentication required"))
    }
}

/// The middleware: log, authenticate, run, audit, log.
pub(crate) async fn authenticate(
    State(node): State<Arc<Node>>,
    ConnectInfo(ClientAddr(client, service, certificate)): ConnectInfo<ClientAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    tracing::info!(log = "request", client_ip = %client.ip(), %method, path, "request");
    if service == super::listener::Service::Ui {
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
        Some(value) => match node.authenticate(value.as_bytes(), path == LOGIN_PATH, certificate) {
            Ok(caller) => Some(caller),
            Err(error) => {
                let response = error.into_response();
                let claimed = node.claimed_identity(value.as_bytes());
                if let Some(record) =
                    finish(&method, &path, claimed.as_ref(), client, started, &response)
                {
                    node.audit.record(record).await;
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
        node.audit.record(record).await;
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
    tracing::info!(
        log = "response",
        client_ip = %client.ip(),
        %method,
        path,
        status = status.as_u16(),
        duration_us = elapsed.as_micros() as u64,
        "response"
    );
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
            (
                action,
                format!("{method} {path} failed with {}: {error}", status.as_u16()),
                None,
                Vec::new(),
            )
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
        time_nanos: crate::node::now_nanos(),
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

/// Splits a Basic credential into principal and password.
pub(crate) fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
    let value = std::str::from_utf8(header).ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    // UTF-8 first; the Python client encodes user credentials as Latin-1.
    let text = match String::from_utf8(decoded) {
        Ok(text) => text,
        Err(error) => error.into_bytes().iter().map(|&b| b as char).collect(),
    };
    let (principal, password) = text.split_once(':')?;
    Some((principal.to_owned(), password.to_owned()))
}

/// The token of a Bearer credential.
pub(crate) fn bearer_token(header: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(header).ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
}

impl Node {
    /// Authenticates an `Authorization` header value. User passwords are accepted only when
    /// `login` is set (the session endpoint); everywhere else users need a session. An app id
    /// with an empty password names an app that authenticates with the client `certificate`
    /// of the connection.
    pub(crate) fn authenticate(
        &self,
        header: &[u8],
        login: bool,
        certificate: Option<ClientCertificate>,
    ) -> Result<Caller, ApiError> {
        const BAD: ApiError = ApiError::Unauthorized("invalid credentials");
        if let Some(token) = bearer_token(header) {
            return self.authenticate_session(token);
        }
        let (principal, password) = basic_credentials(header)
            .ok_or(ApiError::Unauthorized("malformed Authorization header"))?;
        if let Ok(app) = principal.parse::<uuid::Uuid>() {
            let app = AppId::new(app);
            if password.is_empty() {
                return self.authenticate_app_certificate(app, certificate);
            }
            return self.authenticate_app(app, password.as_bytes(), None);
        }
        if !login {
            return Err(BAD);
        }
        self.authenticate_user_password(&principal, &password, None)
    }

    /// Who a refused credential claimed to be, for the audit log: the app or user it names,
    /// if that principal exists. Never trusted for anything else.
    fn claimed_identity(&self, header: &[u8]) -> Option<Caller> {
        let (principal, _) = basic_credentials(header)?;
        let state = self.cluster.state();
        let state = state.read();
        if let Ok(id) = principal.parse::<uuid::Uuid>() {
            let app = state.app(AppId::new(id))?;
            return Some(Caller {
                principal: Principal::App(app.id),
                account: Some(app.account),
                sysadmin: false,
                session: None,
            });
        }
        let user = state.user_by_email(&principal)?;
        Some(Caller {
            principal: Principal::User(user.id),
            account: only_account(user),
            sysadmin: false,
            session: None,
        })
    }

    fn authenticate_session(&self, token: &str) -> Result<Caller, ApiError> {
        const EXPIRED: ApiError = ApiError::Unauthorized("session expired or invalid");
        let claims = self.sessions.verify(token).ok_or(EXPIRED)?;
        if !self.activity.touch(&claims, crate::node::now()) {
            return Err(EXPIRED);
        }
        let state = self.cluster.state();
        let state = state.read();
        if state.session_revoked(claims.id) {
            return Err(EXPIRED);
        }
        match claims.principal {
            SessionPrincipal::App(id) => {
                let app = state.app(id).filter(|a| a.enabled).ok_or(EXPIRED)?;
                Ok(Caller {
                    principal: Principal::App(id),
                    account: Some(app.account),
                    sysadmin: false,
                    session: Some(claims),
                })
            }
            SessionPrincipal::User(id) => {
                let user = state.user(id).ok_or(EXPIRED)?;
                let account = state
                    .selected_account(claims.id)
                    .or_else(|| only_account(user));
                Ok(Caller {
                    principal: Principal::User(id),
                    account,
                    sysadmin: user.sysadmin,
                    session: Some(claims),
                })
            }
        }
    }

    fn authenticate_app(
        &self,
        id: AppId,
        secret: &[u8],
        session: Option<SessionClaims>,
    ) -> Result<Caller, ApiError> {
        let digest = self.app_secret_digest(secret)?;
        let state = self.cluster.state();
        let state = state.read();
        let app = state
            .app(id)
            .ok_or(ApiError::Unauthorized("invalid credentials"))?;
        let matches: bool =
            subtle::ConstantTimeEq::ct_eq(digest.as_slice(), app.secret_digest.as_slice()).into();
        if !matches || !app.enabled || !state.account(app.account).is_some_and(|a| a.enabled) {
            return Err(ApiError::Unauthorized("invalid credentials"));
        }
        Ok(Caller {
            principal: Principal::App(id),
            account: Some(app.account),
            sysadmin: false,
            session,
        })
    }

    /// An app that registered a client certificate, on a connection that presented it.
    fn authenticate_app_certificate(
        &self,
        id: AppId,
        certificate: Option<ClientCertificate>,
    ) -> Result<Caller, ApiError> {
        let presented = certificate.ok_or(ApiError::Unauthorized(
            "certificate authentication needs the app's client certificate in the TLS \
             handshake, on the mutual-TLS interface",
        ))?;
        const BAD: ApiError = ApiError::Unauthorized("invalid credentials");
        let state = self.cluster.state();
        let state = state.read();
        let app = state.app(id).ok_or(BAD)?;
        let (registered, _) = app.certificate().ok_or(BAD)?;
        let matches: bool =
            subtle::ConstantTimeEq::ct_eq(presented.as_slice(), registered.as_slice()).into();
        if !matches || !app.enabled || !state.account(app.account).is_some_and(|a| a.enabled) {
            return Err(BAD);
        }
        Ok(Caller {
            principal: Principal::App(id),
            account: Some(app.account),
            sysadmin: false,
            session: None,
        })
    }

    fn authenticate_user_password(
        &self,
        email: &str,
        password: &str,
        session: Option<SessionClaims>,
    ) -> Result<Caller, ApiError> {
        let user = self.cluster.state().read().user_by_email(email).cloned();
        // Verify against a fixed hash when the user is unknown, so timing does not reveal which
        // emails exist.
        let hash = user
            .as_ref()
            .map_or(crate::service::passwords::DUMMY_HASH, |u| {
                u.password_hash.as_str()
            });
        let valid = crate::service::passwords::verify(password, hash);
        match user {
            Some(user) if valid => Ok(Caller {
                principal: Principal::User(user.id),
                account: only_account(&user),
                sysadmin: user.sysadmin,
                session,
            }),
            _ => Err(ApiError::Unauthorized("invalid credentials")),
        }
    }
}

/// The account a user works in without selecting one: their only one.
fn only_account(user: &coffer_core::User) -> Option<AccountId> {
    let mut accounts = user.memberships.keys();
    match (accounts.next(), accounts.next()) {
        (Some(only), None) => Some(*only),
        _ => None,
    }
}
