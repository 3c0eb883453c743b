//! Self-validating bearer tokens.
//!
//! A token is `base64url(body ‖ HMAC-SHA256(session key, body))`, where the body holds a format
//! version, the session id, the principal, the issue time and the principal's credential
//! generation at login (a token of an older generation is refused: new credentials, or a
//! disabled app, end every session). The session key is derived from the
//! cluster master key, so every node can check a token without a write or a lookup; logout
//! records a revocation in replicated state. The idle timeout is tracked per node in memory
//! (`SessionActivity`): each successful use extends the session, as DSM clients expect.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coffer_core::{AppId, SessionId, UnixTime, UserId};
use coffer_crypto::{DigestAlgorithm, Secret};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// Seconds a session lives without use (DSM's default, reported as `expires_in`).
pub const IDLE_TIMEOUT_SECS: u64 = 600;
/// Seconds a session lives at most, however busy.
pub const MAX_LIFETIME_SECS: u64 = 24 * 3600;

const FORMAT_VERSION: u8 = 2;
const BODY_LEN: usize = 1 + 16 + 1 + 16 + 8 + 8;
const MAC_LEN: usize = 32;

/// Who a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionPrincipal {
    /// An app session.
    App(AppId),
    /// A user (or sysadmin) session.
    User(UserId),
}

/// What a valid token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionClaims {
    /// The session.
    pub id: SessionId,
    /// Its principal.
    pub principal: SessionPrincipal,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// The principal's credential generation when the session started.
    pub generation: u64,
}

/// Issues and checks tokens under one session key.
pub struct SessionKeys {
    key: Secret,
}

impl SessionKeys {
    /// Keys from the secret derived from the cluster master key.
    pub fn new(key: Secret) -> Self {
        Self { key }
    }

    /// The bearer token for `claims`.
    pub fn issue(&self, claims: SessionClaims) -> String {
        let mut token = Vec::with_capacity(BODY_LEN + MAC_LEN);
        token.push(FORMAT_VERSION);
        token.extend_from_slice(claims.id.uuid().as_bytes());
        let (kind, principal) = match claims.principal {
            SessionPrincipal::App(id) => (1u8, id.uuid()),
            SessionPrincipal::User(id) => (2u8, id.uuid()),
        };
        token.push(kind);
        token.extend_from_slice(principal.as_bytes());
        token.extend_from_slice(&claims.issued_at.0.to_be_bytes());
        token.extend_from_slice(&claims.generation.to_be_bytes());
        // HMAC-SHA-256 is always available; an error here would mean the library is broken.
        let mac = coffer_crypto::hmac(DigestAlgorithm::Sha256, self.key.expose(), &token)
            .unwrap_or_default();
        token.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// The claims of an authentic token, or `None`. Expiry and revocation are checked by the
    /// caller, which knows the clock and the state.
    pub fn verify(&self, token: &str) -> Option<SessionClaims> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if bytes.len() != BODY_LEN + MAC_LEN || bytes[0] != FORMAT_VERSION {
            return None;
        }
        let (body, mac) = bytes.split_at(BODY_LEN);
        if !coffer_crypto::hmac_verify(DigestAlgorithm::Sha256, self.key.expose(), body, mac)
            .unwrap_or(false)
        {
            return None;
        }
        let id = SessionId::new(Uuid::from_slice(&body[1..17]).ok()?);
        let principal = Uuid::from_slice(&body[18..34]).ok()?;
        let principal = match body[17] {
            1 => SessionPrincipal::App(AppId::new(principal)),
            2 => SessionPrincipal::User(UserId::new(principal)),
            _ => return None,
        };
        let issued_at = UnixTime(u64::from_be_bytes(body[34..42].try_into().ok()?));
        let generation = u64::from_be_bytes(body[42..50].try_into().ok()?);
        Some(SessionClaims {
            id,
            principal,
            issued_at,
            generation,
        })
    }
}

/// When each session was last used on this node.
#[derive(Default)]
pub struct SessionActivity {
    last_use: Mutex<HashMap<SessionId, u64>>,
}

impl SessionActivity {
    /// Checks the timeouts at `now` and, when the session is alive, records the use.
    pub fn touch(&self, claims: &SessionClaims, now: UnixTime) -> bool {
        if now.0 >= claims.issued_at.0.saturating_add(MAX_LIFETIME_SECS) {
            return false;
        }
        let Ok(mut last_use) = self.last_use.lock() else {
            return false;
        };
        let last = last_use
            .get(&claims.id)
            .copied()
            .unwrap_or(claims.issued_at.0)
            .max(claims.issued_at.0);
        if now.0 > last.saturating_add(IDLE_TIMEOUT_SECS) {
            last_use.remove(&claims.id);
            return false;
        }
        last_use.insert(claims.id, now.0.max(last));
        if last_use.len() > 100_000 {
            last_use.retain(|_, used| now.0 <= used.saturating_add(IDLE_TIMEOUT_SECS));
        }
        true
    }

    /// Forgets a session (after logout).
    pub fn forget(&self, session: SessionId) {
        if let Ok(mut last_use) = self.last_use.lock() {
            last_use.remove(&session);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SessionKeys {
        SessionKeys::new(Secret::new(vec![7; 32]))
    }

    fn claims() -> SessionClaims {
        SessionClaims {
            id: SessionId::from_u128(1),
            principal: SessionPrincipal::App(AppId::from_u128(2)),
            issued_at: UnixTime(1000),
            generation: 3,
        }
    }

    #[test]
    fn issued_tokens_verify_to_their_claims() {
        let token = keys().issue(claims());
        assert_eq!(keys().verify(&token), Some(claims()));
    }

    #[test]
    fn a_token_under_another_key_or_tampered_is_refused() {
        let token = keys().issue(claims());
        assert_eq!(
            SessionKeys::new(Secret::new(vec![8; 32])).verify(&token),
            None
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("own encoding");
        bytes[20] ^= 1;
        assert_eq!(keys().verify(&URL_SAFE_NO_PAD.encode(bytes)), None);
        assert_eq!(keys().verify("garbage"), None);
    }

    #[test]
    fn use_extends_the_idle_timeout_until_the_lifetime_ends() {
        let activity = SessionActivity::default();
        let claims = claims();
        assert!(activity.touch(&claims, UnixTime(1000 + IDLE_TIMEOUT_SECS)));
        assert!(activity.touch(&claims, UnixTime(1000 + 2 * IDLE_TIMEOUT_SECS)));
        assert!(!activity.touch(&claims, UnixTime(1000 + 4 * IDLE_TIMEOUT_SECS)));
        assert!(!activity.touch(&claims, UnixTime(1000 + MAX_LIFETIME_SECS)));
    }
}
