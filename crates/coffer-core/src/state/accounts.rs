//! Commands on accounts.

use super::{RecordKey, State, Table};
use crate::error::{ApplyError, Fixed};
use crate::ids::UserId;
use crate::records::Account;

impl State {
    pub(super) fn create_account(
        &mut self,
        account: &Account,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.ensure_new_id(account.id.uuid())?;
        self.ensure_account_name_free(&account.name, None)?;
        self.accounts.insert(account.id, account.clone());
        changed.push(RecordKey::new(Table::Accounts, account.id.uuid()));
        Ok(())
    }

    pub(super) fn create_account_with_administrator(
        &mut self,
        account: &Account,
        administrator: &UserId,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.ensure_new_id(account.id.uuid())?;
        self.ensure_account_name_free(&account.name, None)?;
        let user = self
            .users
            .get_mut(administrator)
            .ok_or(ApplyError::UserNotFound(*administrator))?;
        user.memberships
            .entry(account.id)
            .or_default()
            .roles
            .insert(crate::records::AccountRole::Administrator);
        self.accounts.insert(account.id, account.clone());
        changed.push(RecordKey::new(Table::Accounts, account.id.uuid()));
        changed.push(RecordKey::new(Table::Users, administrator.uuid()));
        Ok(())
    }

    pub(super) fn update_account(
        &mut self,
        account: &Account,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let old = self
            .accounts
            .get(&account.id)
            .ok_or(ApplyError::AccountNotFound(account.id))?;
        if old.created_at != account.created_at {
            return Err(ApplyError::Immutable(Fixed::AccountCreationTime));
        }
        self.ensure_account_name_free(&account.name, Some(account.id))?;
        self.accounts.insert(account.id, account.clone());
        changed.push(RecordKey::new(Table::Accounts, account.id.uuid()));
        Ok(())
    }
}
