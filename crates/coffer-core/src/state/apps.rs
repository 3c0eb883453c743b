//! Commands on apps.

use super::{RecordKey, State, Table};
use crate::error::{ApplyError, Fixed};
use crate::ids::AppId;
use crate::records::App;

impl State {
    pub(super) fn create_app(
        &mut self,
        app: &App,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.ensure_new_id(app.id.uuid())?;
        self.check_app(app, None)?;
        self.check_sealed(&app.secret)?;
        let mut app = app.clone();
        app.credential_generation = 0;
        changed.push(RecordKey::new(Table::Apps, app.id.uuid()));
        self.apps.insert(app.id, app);
        Ok(())
    }

    pub(super) fn update_app(
        &mut self,
        app: &App,
        new_credentials: bool,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let old = self
            .apps
            .get(&app.id)
            .ok_or(ApplyError::AppNotFound(app.id))?;
        if old.account != app.account {
            return Err(ApplyError::Immutable(Fixed::AppAccount));
        }
        // New credentials, or a disabled app, end every session started before.
        let credentials_changed = new_credentials || (old.enabled && !app.enabled);
        let generation = old.credential_generation + u64::from(credentials_changed);
        let mut updated = app.clone();
        if new_credentials {
            self.check_sealed(&app.secret)?;
        } else {
            // The stored credentials stay: the command's copy may predate a re-sealing.
            updated.secret.clone_from(&old.secret);
            updated.secret_digest.clone_from(&old.secret_digest);
            updated
                .client_certificate
                .clone_from(&old.client_certificate);
        }
        self.check_app(&updated, Some(app.id))?;
        let mut app = updated;
        app.credential_generation = generation;
        changed.push(RecordKey::new(Table::Apps, app.id.uuid()));
        self.apps.insert(app.id, app);
        Ok(())
    }

    pub(super) fn delete_app(
        &mut self,
        id: &AppId,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.apps.remove(id).ok_or(ApplyError::AppNotFound(*id))?;
        changed.push(RecordKey::new(Table::Apps, id.uuid()));
        Ok(())
    }
}
