//! Identifier newtypes: every id that crosses a function boundary has its own type.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Wraps a UUID.
            pub const fn new(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// An id from a number; for tests and fixed fixtures.
            pub const fn from_u128(n: u128) -> Self {
                Self(Uuid::from_u128(n))
            }

            /// The UUID inside.
            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }
    };
}

uuid_id!(
    /// An account (a tenant); keys, groups and apps belong to exactly one.
    AccountId
);
uuid_id!(
    /// A group inside an account; keys live in groups.
    GroupId
);
uuid_id!(
    /// An application principal (authenticates with an API key).
    AppId
);
uuid_id!(
    /// A user principal (email and password); sysadmins are users with a flag.
    UserId
);
uuid_id!(
    /// A security object (key, secret, certificate).
    KeyId
);
uuid_id!(
    /// A bearer session; carried inside the self-validating token.
    SessionId
);
