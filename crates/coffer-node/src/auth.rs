//! Authentication: from an `Authorization` header (or a login) to a [`Caller`].
//!
//! An `Authorization` header authenticates as DSM's do: an app's API key as Basic
//! `base64(app_id:secret)`, a bearer session token, or — only when logging in — a user's email
//! and password. Apps registered with a client certificate authenticate with `base64(app_id:)`
//! (an empty password) on a connection whose TLS handshake presented that certificate; the edge
//! passes its SHA-256 fingerprint.

use crate::Node;
use crate::caller::{Caller, CertificateFingerprint, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::session::{SessionClaims, SessionPrincipal};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_core::{AccountId, AppId};

/// Splits a Basic credential into principal and password.
pub fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
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
pub fn bearer_token(header: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(header).ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
}

impl Node {
    /// Authenticates an `Authorization` header value from a client at `source`. User
    /// passwords are accepted only when `login` is set (the session endpoint); everywhere else
    /// users need a session. An app id with an empty password names an app that authenticates
    /// with the client `certificate` of the connection.
    ///
    /// A password is checked on the bounded [`PasswordPool`](crate::password_pool), after the
    /// [`LoginBackoff`](crate::login_backoff) of the source and the user: either refuses with
    /// [`ServiceError::Busy`] before any hashing.
    pub async fn authenticate(
        &self,
        header: &[u8],
        login: bool,
        certificate: Option<CertificateFingerprint>,
        source: std::net::IpAddr,
    ) -> Result<Caller, ServiceError> {
        const BAD: ServiceError = ServiceError::Unauthenticated("invalid credentials");
        if let Some(token) = bearer_token(header) {
            return self.authenticate_session(token);
        }
        let (principal, password) = basic_credentials(header).ok_or(
            ServiceError::Unauthenticated("malformed Authorization header"),
        )?;
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
        self.login_backoff.check(source, &principal)?;
        let outcome = self
            .authenticate_user_password(principal.clone(), password)
            .await;
        match &outcome {
            Ok(_) => self.login_backoff.succeeded(&principal),
            Err(ServiceError::Unauthenticated(_)) => self.login_backoff.failed(source, &principal),
            Err(_) => {}
        }
        outcome
    }

    /// Starts a session for `caller`, who just authenticated with credentials: the bearer
    /// token and its claims. The session is bound to the principal's current credential
    /// generation.
    pub fn start_session(&self, caller: &Caller) -> ServiceResult<(String, SessionClaims)> {
        const GONE: ServiceError = ServiceError::Unauthenticated("invalid credentials");
        // The guard must be gone before the token is issued: issuing reads the state again,
        // and a second read lock while a writer waits would deadlock.
        let (principal, generation) = {
            let state = self.cluster.state();
            let state = state.read();
            match caller.principal {
                Principal::App(app) => (
                    SessionPrincipal::App(app),
                    state.app(app).ok_or(GONE)?.credential_generation,
                ),
                Principal::User(user) => (
                    SessionPrincipal::User(user),
                    state.user(user).ok_or(GONE)?.credential_generation,
                ),
            }
        };
        let claims = SessionClaims {
            id: coffer_core::SessionId::new(uuid::Uuid::new_v4()),
            principal,
            issued_at: crate::now(),
            generation,
        };
        self.activity.touch(&claims, claims.issued_at, None);
        Ok((self.issue_token(claims)?, claims))
    }

    /// Who a refused credential claimed to be, for the audit log: the app or user it names,
    /// if that principal exists. Never trusted for anything else — and filed under no account:
    /// whoever sends a refused credential must not be able to fill the account's audit log
    /// (sysadmins read the entries of no account).
    pub fn claimed_identity(&self, header: &[u8]) -> Option<Caller> {
        let (principal, _) = basic_credentials(header)?;
        let state = self.cluster.state();
        let state = state.read();
        if let Ok(id) = principal.parse::<uuid::Uuid>() {
            let app = state.app(AppId::new(id))?;
            return Some(Caller {
                principal: Principal::App(app.id),
                account: None,
                sysadmin: false,
                session: None,
            });
        }
        let user = state.user_by_email(&principal)?;
        Some(Caller {
            principal: Principal::User(user.id),
            account: None,
            sysadmin: false,
            session: None,
        })
    }

    fn authenticate_session(&self, token: &str) -> Result<Caller, ServiceError> {
        const EXPIRED: ServiceError = ServiceError::Unauthenticated("session expired or invalid");
        let claims = self.verify_token(token).ok_or(EXPIRED)?;
        let state = self.cluster.state();
        let state = state.read();
        if state.session_revoked(claims.id)
            || !self
                .activity
                .touch(&claims, crate::now(), state.session_last_seen(claims.id))
        {
            return Err(EXPIRED);
        }
        match claims.principal {
            SessionPrincipal::App(id) => {
                let app = state
                    .app(id)
                    .filter(|a| a.enabled && a.credential_generation == claims.generation)
                    .filter(|a| state.account(a.account).is_some_and(|acct| acct.enabled))
                    .ok_or(EXPIRED)?;
                Ok(Caller {
                    principal: Principal::App(id),
                    account: Some(app.account),
                    sysadmin: false,
                    session: Some(claims),
                })
            }
            SessionPrincipal::User(id) => {
                let user = state
                    .user(id)
                    .filter(|u| u.credential_generation == claims.generation)
                    .ok_or(EXPIRED)?;
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
    ) -> Result<Caller, ServiceError> {
        let state = self.cluster.state();
        let state = state.read();
        let app = state
            .app(id)
            .ok_or(ServiceError::Unauthenticated("invalid credentials"))?;
        let digest = self.app_secret_digest_like(&app.secret, secret)?;
        let matches: bool = coffer_crypto::constant_time_eq(&digest, &app.secret_digest);
        if !matches || !app.enabled || !state.account(app.account).is_some_and(|a| a.enabled) {
            return Err(ServiceError::Unauthenticated("invalid credentials"));
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
        certificate: Option<CertificateFingerprint>,
    ) -> Result<Caller, ServiceError> {
        let presented = certificate.ok_or(ServiceError::Unauthenticated(
            "certificate authentication needs the app's client certificate in the TLS \
             handshake, on the mutual-TLS interface",
        ))?;
        const BAD: ServiceError = ServiceError::Unauthenticated("invalid credentials");
        let state = self.cluster.state();
        let state = state.read();
        let app = state.app(id).ok_or(BAD)?;
        let (registered, _) = app.certificate().ok_or(BAD)?;
        let matches: bool = coffer_crypto::constant_time_eq(&presented, registered);
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

    async fn authenticate_user_password(
        &self,
        email: String,
        password: String,
    ) -> Result<Caller, ServiceError> {
        let password = zeroize::Zeroizing::new(password);
        let user = self.cluster.state().read().user_by_email(&email).cloned();
        // Verify against a fixed hash when the user is unknown, so timing does not reveal which
        // emails exist.
        let hash = user
            .as_ref()
            .map_or(crate::passwords::DUMMY_HASH.to_owned(), |u| {
                u.password_hash.clone()
            });
        let valid = self
            .passwords
            .run(move || crate::passwords::verify(&password, &hash))
            .await?;
        match user {
            Some(user) if valid => Ok(Caller {
                principal: Principal::User(user.id),
                account: only_account(&user),
                sysadmin: user.sysadmin,
                session: None,
            }),
            _ => Err(ServiceError::Unauthenticated("invalid credentials")),
        }
    }
}

/// The account a user works in without selecting one: their only one.
pub fn only_account(user: &coffer_core::User) -> Option<AccountId> {
    let mut accounts = user.memberships.keys();
    match (accounts.next(), accounts.next()) {
        (Some(only), None) => Some(*only),
        _ => None,
    }
}
