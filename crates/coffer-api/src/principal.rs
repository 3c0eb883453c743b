//! [`Principal`]: who created an object (`creator`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A security principal, externally tagged: `{"app":"<uuid>"}`, `{"user":"<uuid>"}` or
/// `{"plugin":"<uuid>"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Principal {
    /// An app.
    App(Uuid),
    /// A user.
    User(Uuid),
    /// A plugin.
    Plugin(Uuid),
}

impl Principal {
    /// The principal's id, whatever its kind.
    pub const fn id(&self) -> Uuid {
        match *self {
            Principal::App(id) | Principal::User(id) | Principal::Plugin(id) => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_externally_tagged_objects() {
        let id = Uuid::from_u128(0x77ad);
        let json = serde_json::to_string(&Principal::App(id)).unwrap();
        assert_eq!(json, format!(r#"{{"app":"{id}"}}"#));
        let back: Principal = serde_json::from_str(&format!(r#"{{"user":"{id}"}}"#)).unwrap();
        assert_eq!(back, Principal::User(id));
        assert_eq!(back.id(), id);
    }
}
