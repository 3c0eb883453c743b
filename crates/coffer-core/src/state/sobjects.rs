//! Commands on security objects.

use super::{RecordKey, State, Table};
use crate::error::{ApplyError, Fixed};
use crate::ids::KeyId;
use crate::records::{KeyOperation, Sobject};

impl State {
    pub(super) fn create_sobject(
        &mut self,
        key: &Sobject,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        self.ensure_new_id(key.id.uuid())?;
        self.check_sobject(key, &[])?;
        self.check_material(key)?;
        self.insert_sobject(key.clone(), changed);
        Ok(())
    }

    pub(super) fn update_sobject(
        &mut self,
        key: &Sobject,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let old = self
            .sobjects
            .get(&key.id)
            .ok_or(ApplyError::SobjectNotFound(key.id))?;
        if old.account != key.account {
            return Err(ApplyError::Immutable(Fixed::SobjectAccount));
        }
        if old.material.is_some() != key.material.is_some() || old.obj_type != key.obj_type {
            return Err(ApplyError::Immutable(Fixed::SobjectMaterial));
        }
        // The stored material stays: the command's copy may predate a re-sealing.
        let mut updated = key.clone();
        updated.material.clone_from(&old.material);
        self.check_sobject(&updated, &[key.id])?;
        self.remove_sobject(key.id, changed);
        self.insert_sobject(updated, changed);
        Ok(())
    }

    pub(super) fn rekey_sobject(
        &mut self,
        old: &KeyId,
        new: &Sobject,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let previous = self
            .sobjects
            .get(old)
            .ok_or(ApplyError::SobjectNotFound(*old))?;
        if previous.account != new.account || previous.replacement.is_some() {
            return Err(ApplyError::NotRotatable(*old));
        }
        self.ensure_new_id(new.id.uuid())?;
        self.check_sobject(new, &[*old])?;
        self.check_material(new)?;
        let mut retired = previous.clone();
        retired.name = None;
        retired.replacement = Some(new.id);
        self.remove_sobject(*old, changed);
        self.insert_sobject(retired, changed);
        let mut successor = new.clone();
        successor.replaced = Some(*old);
        self.insert_sobject(successor, changed);
        Ok(())
    }

    fn check_material(&self, key: &Sobject) -> Result<(), ApplyError> {
        key.material
            .as_ref()
            .map_or(Ok(()), |material| self.check_sealed(material))
    }

    pub(super) fn delete_sobject(
        &mut self,
        id: &KeyId,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        if !self.sobjects.contains_key(id) {
            return Err(ApplyError::SobjectNotFound(*id));
        }
        self.remove_sobject(*id, changed);
        Ok(())
    }

    pub(super) fn drop_private_key(
        &mut self,
        id: &KeyId,
        changed: &mut Vec<RecordKey>,
    ) -> Result<(), ApplyError> {
        let key = self
            .sobjects
            .get_mut(id)
            .ok_or(ApplyError::SobjectNotFound(*id))?;
        if key.public_key.is_none() {
            return Err(ApplyError::NoPublicHalf(*id));
        }
        key.material = None;
        key.key_ops
            .retain(|op| KeyOperation::WITHOUT_PRIVATE_HALF.contains(op));
        changed.push(RecordKey::new(Table::Sobjects, id.uuid()));
        Ok(())
    }
}
