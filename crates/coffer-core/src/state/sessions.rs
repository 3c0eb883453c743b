//! Commands on revoked sessions and the account each session selected.

use super::{RecordKey, SessionAccount, SessionSeen, State, Table};
use crate::error::ApplyError;
use crate::ids::{AccountId, SessionId};
use crate::records::UnixTime;

impl State {
    pub(super) fn revoke_session(
        &mut self,
        session: &SessionId,
        until: &UnixTime,
        at: &UnixTime,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.prune_sessions(*at, changed);
        self.revoked_sessions.insert(*session, *until);
        changed.push(RecordKey::new(Table::RevokedSessions, session.uuid()));
        Ok(())
    }

    pub(super) fn sessions_seen(
        &mut self,
        seen: &[(SessionId, UnixTime, UnixTime)],
        at: UnixTime,
        changed: &mut Vec<RecordKey>,
    ) {
        self.prune_sessions(at, changed);
        for (session, last_use, until) in seen {
            let entry = self.sessions_seen.entry(*session).or_insert(SessionSeen {
                at: *last_use,
                until: *until,
            });
            // Reports from several nodes arrive in any order: the latest use wins.
            if *last_use >= entry.at {
                *entry = SessionSeen {
                    at: *last_use,
                    until: (*until).max(entry.until),
                };
            }
            changed.push(RecordKey::new(Table::SessionsSeen, session.uuid()));
        }
    }

    pub(super) fn select_account(
        &mut self,
        session: &SessionId,
        account: &AccountId,
        until: &UnixTime,
        at: &UnixTime,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.ensure_account(*account)?;
        self.prune_sessions(*at, changed);
        self.session_accounts.insert(
            *session,
            SessionAccount {
                account: *account,
                until: *until,
            },
        );
        changed.push(RecordKey::new(Table::SessionAccounts, session.uuid()));
        Ok(())
    }
}
