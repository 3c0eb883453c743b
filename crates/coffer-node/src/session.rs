//! Self-validating bearer tokens.
//!
//! A token is `base64url(body ‖ HMAC-SHA256(session key, body))`, where the body holds a format
//! version, the session id, the principal, the issue time and the principal's credential
//! generation at login (a token of an older generation is refused: new credentials, or a
//! disabled app, end every session). The session key is derived from a version of the
//! cluster master key (named in the body), so every node can check a token without a write or
//! a lookup, and destroying that version after a rotation ends every session it signed; logout
//! records a revocation in replicated state. Each successful use extends the idle timeout, as
//! DSM clients expect; `SessionActivity` counts uses per node and reports them to the
//! replicated state once a minute, so the timeout holds across nodes.

use crate::error::ServiceResult;
use crate::vault::Vault;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coffer_core::{AppId, SessionId, UnixTime, UserId};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// Seconds a session lives without use (DSM's default, reported as `expires_in`).
pub const IDLE_TIMEOUT_SECS: u64 = 600;
/// Seconds a session lives at most, however busy.
pub const MAX_LIFETIME_SECS: u64 = 24 * 3600;

const FORMAT_VERSION: u8 = 3;
/// Format, master key version, session id, principal kind and id, issue time, generation.
const BODY_LEN: usize = 1 + 4 + 16 + 1 + 16 + 8 + 8;
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

/// The bearer token for `claims`, signed with the session key of master key `key_version`.
pub fn issue(vault: &Vault, key_version: u32, claims: SessionClaims) -> ServiceResult<String> {
    let mut token = Vec::with_capacity(BODY_LEN + MAC_LEN);
    token.push(FORMAT_VERSION);
    token.extend_from_slice(&key_version.to_be_bytes());
    token.extend_from_slice(claims.id.uuid().as_bytes());
    let (kind, principal) = match claims.principal {
        SessionPrincipal::App(id) => (1u8, id.uuid()),
        SessionPrincipal::User(id) => (2u8, id.uuid()),
    };
    token.push(kind);
    token.extend_from_slice(principal.as_bytes());
    token.extend_from_slice(&claims.issued_at.0.to_be_bytes());
    token.extend_from_slice(&claims.generation.to_be_bytes());
    let mac = vault.session_mac(key_version, &token)?;
    token.extend_from_slice(&mac);
    Ok(URL_SAFE_NO_PAD.encode(token))
}

/// The claims of an authentic token, or `None` (also when the master key version that signed
/// it is destroyed). Expiry and revocation are checked by the caller, which knows the clock
/// and the state.
pub fn verify(vault: &Vault, token: &str) -> Option<SessionClaims> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if bytes.len() != BODY_LEN + MAC_LEN || bytes[0] != FORMAT_VERSION {
        return None;
    }
    let (body, mac) = bytes.split_at(BODY_LEN);
    let key_version = u32::from_be_bytes(body[1..5].try_into().ok()?);
    if !vault.session_mac_matches(key_version, body, mac) {
        return None;
    }
    let body = &body[5..];
    let id = SessionId::new(Uuid::from_slice(&body[..16]).ok()?);
    let principal = Uuid::from_slice(&body[17..33]).ok()?;
    let principal = match body[16] {
        1 => SessionPrincipal::App(AppId::new(principal)),
        2 => SessionPrincipal::User(UserId::new(principal)),
        _ => return None,
    };
    let issued_at = UnixTime(u64::from_be_bytes(body[33..41].try_into().ok()?));
    let generation = u64::from_be_bytes(body[41..49].try_into().ok()?);
    Some(SessionClaims {
        id,
        principal,
        issued_at,
        generation,
    })
}

/// How often a node tells the cluster that a session it serves is still in use.
pub const REPORT_EVERY_SECS: u64 = 60;
/// Sessions reported in one command at most; the rest wait for the next report.
const MAX_REPORT: usize = 10_000;

/// When each session was last used on this node, and what this node told the cluster.
///
/// The idle timeout counts from the latest use the node knows of: its own, or one another
/// node reported through the replicated state (a coarse last-seen time, at most
/// [`REPORT_EVERY_SECS`] behind). So a session keeps its idle timeout when its requests move to
/// another node, behind a load balancer or after a failover.
#[derive(Default)]
pub struct SessionActivity {
    seen: Mutex<HashMap<SessionId, Seen>>,
}

#[derive(Clone, Copy)]
struct Seen {
    last_use: u64,
    /// The last use the cluster knows of: the issue time (in the token) or the last report.
    known: u64,
    issued_at: u64,
}

impl SessionActivity {
    /// Checks the timeouts at `now` — counting from `seen_elsewhere`, the latest use another
    /// node reported, when it is later — and, when the session is alive, records the use.
    pub fn touch(
        &self,
        claims: &SessionClaims,
        now: UnixTime,
        seen_elsewhere: Option<UnixTime>,
    ) -> bool {
        if now.0 >= claims.issued_at.0.saturating_add(MAX_LIFETIME_SECS) {
            return false;
        }
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        let elsewhere = seen_elsewhere.map_or(0, |t| t.0);
        let local = seen.get(&claims.id).copied();
        let last = local
            .map_or(claims.issued_at.0, |s| s.last_use)
            .max(claims.issued_at.0)
            .max(elsewhere);
        if now.0 > last.saturating_add(IDLE_TIMEOUT_SECS) {
            seen.remove(&claims.id);
            return false;
        }
        let known = local.map_or(claims.issued_at.0, |s| s.known).max(elsewhere);
        seen.insert(
            claims.id,
            Seen {
                last_use: now.0.max(last),
                known,
                issued_at: claims.issued_at.0,
            },
        );
        if seen.len() > 100_000 {
            seen.retain(|_, s| now.0 <= s.last_use.saturating_add(IDLE_TIMEOUT_SECS));
        }
        true
    }

    /// The uses the cluster should hear of: sessions used at least [`REPORT_EVERY_SECS`]
    /// after the last use it knows, each with its last use and when its record may go. They
    /// count as known from now on.
    pub fn take_reports(&self) -> Vec<(SessionId, UnixTime, UnixTime)> {
        let Ok(mut seen) = self.seen.lock() else {
            return Vec::new();
        };
        let mut reports = Vec::new();
        for (id, s) in seen.iter_mut() {
            if reports.len() >= MAX_REPORT {
                break;
            }
            if s.last_use >= s.known.saturating_add(REPORT_EVERY_SECS) {
                let until = s
                    .last_use
                    .saturating_add(IDLE_TIMEOUT_SECS)
                    .min(s.issued_at.saturating_add(MAX_LIFETIME_SECS));
                reports.push((*id, UnixTime(s.last_use), UnixTime(until)));
                s.known = s.last_use;
            }
        }
        reports
    }

    /// Forgets a session (after logout).
    pub fn forget(&self, session: SessionId) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(&session);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::generate().expect("a key")
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
        let vault = vault();
        let token = issue(&vault, 1, claims()).expect("issued");
        assert_eq!(verify(&vault, &token), Some(claims()));
    }

    #[test]
    fn a_token_under_another_key_or_tampered_is_refused() {
        let vault = vault();
        let token = issue(&vault, 1, claims()).expect("issued");
        assert_eq!(verify(&self::vault(), &token), None);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("own encoding");
        bytes[20] ^= 1;
        assert_eq!(verify(&vault, &URL_SAFE_NO_PAD.encode(bytes)), None);
        assert_eq!(verify(&vault, "garbage"), None);
    }

    #[test]
    fn a_token_signed_under_a_destroyed_master_key_version_is_refused() {
        let vault = vault();
        let old = issue(&vault, 1, claims()).expect("issued");
        vault.create_version(2).expect("a second version");
        let new = issue(&vault, 2, claims()).expect("issued");
        assert_eq!(
            verify(&vault, &old),
            Some(claims()),
            "both live during a rotation"
        );
        assert!(vault.retire_through(1).expect("retired"));
        assert_eq!(verify(&vault, &old), None);
        assert_eq!(verify(&vault, &new), Some(claims()));
        assert!(issue(&vault, 1, claims()).is_err());
    }

    #[test]
    fn use_extends_the_idle_timeout_until_the_lifetime_ends() {
        let activity = SessionActivity::default();
        let claims = claims();
        assert!(activity.touch(&claims, UnixTime(1000 + IDLE_TIMEOUT_SECS), None));
        assert!(activity.touch(&claims, UnixTime(1000 + 2 * IDLE_TIMEOUT_SECS), None));
        assert!(!activity.touch(&claims, UnixTime(1000 + 4 * IDLE_TIMEOUT_SECS), None));
        assert!(!activity.touch(&claims, UnixTime(1000 + MAX_LIFETIME_SECS), None));
    }

    #[test]
    fn a_busy_session_keeps_its_idle_timeout_on_another_node_through_the_reports() {
        let (first, second) = (SessionActivity::default(), SessionActivity::default());
        let claims = claims();
        // In use on the first node for 15 minutes, every 5 minutes.
        for minute in [5, 10, 15] {
            assert!(first.touch(&claims, UnixTime(1000 + minute * 60), None));
        }
        let reports = first.take_reports();
        assert_eq!(reports.len(), 1);
        let (id, last_use, until) = reports[0];
        assert_eq!((id, last_use), (claims.id, UnixTime(1000 + 15 * 60)));
        assert_eq!(until, UnixTime(1000 + 15 * 60 + IDLE_TIMEOUT_SECS));
        assert!(first.take_reports().is_empty(), "reported once");

        // Its requests move to the second node two minutes later.
        let moved = UnixTime(1000 + 17 * 60);
        assert!(
            !SessionActivity::default().touch(&claims, moved, None),
            "counted from the issue time alone, it looks idle"
        );
        assert!(second.touch(&claims, moved, Some(last_use)));
        assert!(
            !second.touch(
                &claims,
                UnixTime(moved.0 + IDLE_TIMEOUT_SECS + 1),
                Some(last_use)
            ),
            "and it still ends when idle"
        );
    }

    #[test]
    fn a_session_used_only_within_the_report_interval_of_its_start_is_not_reported() {
        let activity = SessionActivity::default();
        let claims = claims();
        assert!(activity.touch(&claims, UnixTime(1000 + REPORT_EVERY_SECS - 1), None));
        assert!(
            activity.take_reports().is_empty(),
            "the token carries its issue time"
        );
    }
}
