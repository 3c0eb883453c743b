//! Commands on groups.

use super::{RecordKey, State, Table};
use crate::error::{ApplyError, Fixed};
use crate::records::Group;

impl State {
    pub(super) fn create_group(
        &mut self,
        group: &Group,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.ensure_new_id(group.id.uuid())?;
        self.ensure_account(group.account)?;
        self.ensure_group_name_free(group, None)?;
        self.groups.insert(group.id, group.clone());
        changed.push(RecordKey::new(Table::Groups, group.id.uuid()));
        Ok(())
    }

    pub(super) fn update_group(
        &mut self,
        group: &Group,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let old = self
            .groups
            .get(&group.id)
            .ok_or(ApplyError::GroupNotFound(group.id))?;
        if old.account != group.account {
            return Err(ApplyError::Immutable(Fixed::GroupAccount));
        }
        self.ensure_group_name_free(group, Some(group.id))?;
        self.groups.insert(group.id, group.clone());
        changed.push(RecordKey::new(Table::Groups, group.id.uuid()));
        Ok(())
    }
}
