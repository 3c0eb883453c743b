//! Who is calling: the principal behind a request and what it may act as.
//!
//! A leaf of the crate: the audit log records principals and every use case takes a
//! [`Caller`], while authentication (`auth`) produces one.

use crate::error::ServiceError;
use crate::session::SessionClaims;
use coffer_core::{AccountId, AppId, UserId};

/// The SHA-256 fingerprint of the client certificate a connection presented.
pub type CertificateFingerprint = [u8; 32];

/// An authenticated principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An app.
    App(AppId),
    /// A user or sysadmin.
    User(UserId),
}

/// The authenticated caller of a request.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// The account the request works in: an app's own, or the one a user session selected.
    pub account: Option<AccountId>,
    /// True for sysadmins.
    pub sysadmin: bool,
    /// The session, when the caller used a bearer token.
    pub session: Option<SessionClaims>,
}

impl Caller {
    /// The app, or 403 for user sessions (crypto is for apps).
    pub fn app(&self) -> Result<AppId, ServiceError> {
        match self.principal {
            Principal::App(app) => Ok(app),
            Principal::User(_) => Err(ServiceError::Forbidden(
                "this operation needs an app's credentials".into(),
            )),
        }
    }

    /// The user, or 403 for apps.
    pub fn user(&self) -> Result<UserId, ServiceError> {
        match self.principal {
            Principal::User(user) => Ok(user),
            Principal::App(_) => Err(ServiceError::Forbidden(
                "this operation needs a user session".into(),
            )),
        }
    }

    /// The account the caller works in, or 400 when a user has not selected one.
    pub fn account(&self) -> Result<AccountId, ServiceError> {
        self.account.ok_or_else(|| {
            ServiceError::invalid("no account selected: call /sys/v1/session/select_account")
        })
    }
}
