//! Commands on users and sysadmins.

use super::{RecordKey, State, Table};
use crate::error::ApplyError;
use crate::ids::UserId;
use crate::records::User;

impl State {
    pub(super) fn create_user(
        &mut self,
        user: &User,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.ensure_new_id(user.id.uuid())?;
        self.check_user(user, None)?;
        self.user_emails.insert(user.email.to_lowercase(), user.id);
        let mut user = user.clone();
        user.credential_generation = 0;
        changed.push(RecordKey::new(Table::Users, user.id.uuid()));
        self.users.insert(user.id, user);
        Ok(())
    }

    pub(super) fn update_user(
        &mut self,
        user: &User,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let old = self
            .users
            .get(&user.id)
            .ok_or(ApplyError::UserNotFound(user.id))?;
        let old_email = old.email.to_lowercase();
        // A new password ends the sessions of the old one.
        let generation =
            old.credential_generation + u64::from(old.password_hash != user.password_hash);
        self.check_user(user, Some(user.id))?;
        self.user_emails.remove(&old_email);
        self.user_emails.insert(user.email.to_lowercase(), user.id);
        let mut user = user.clone();
        user.credential_generation = generation;
        changed.push(RecordKey::new(Table::Users, user.id.uuid()));
        self.users.insert(user.id, user);
        Ok(())
    }

    pub(super) fn delete_user(
        &mut self,
        id: &UserId,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let user = self.users.remove(id).ok_or(ApplyError::UserNotFound(*id))?;
        self.user_emails.remove(&user.email.to_lowercase());
        changed.push(RecordKey::new(Table::Users, id.uuid()));
        Ok(())
    }
}
