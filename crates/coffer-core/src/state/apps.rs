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
        self.apps.insert(app.id, app.clone());
        changed.push(RecordKey::new(Table::Apps, app.id.uuid()));
        Ok(())
    }

    pub(super) fn update_app(
        &mut self,
        app: &App,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let old = self
            .apps
            .get(&app.id)
            .ok_or(ApplyError::AppNotFound(app.id))?;
        if old.account != app.account {
            return Err(ApplyError::Immutable(Fixed::AppAccount));
        }
        self.check_app(app, Some(app.id))?;
        self.apps.insert(app.id, app.clone());
        changed.push(RecordKey::new(Table::Apps, app.id.uuid()));
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
