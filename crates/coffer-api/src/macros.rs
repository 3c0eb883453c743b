//! `wire_enum!`: string enums with one exact wire spelling per variant.
//!
//! Every generated enum serializes as its exact spelling and parses case-insensitively (so Py's
//! `Blake2b256` and `GroupAdministrator` meet Rs's `BLAKE2B256` and `GROUPADMINISTRATOR`). An
//! unknown value is a serde `unknown variant` error naming the value and the accepted spellings.

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact spelling on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            const WIRE_NAMES: &'static [&'static str] = &[$($wire),+];
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::WireError;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                $(
                    if s.eq_ignore_ascii_case($wire) {
                        return Ok($name::$variant);
                    }
                )+
                Err($crate::WireError::UnknownEnumValue {
                    kind: stringify!($name),
                    value: s.to_owned(),
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                struct WireVisitor;

                impl<'de> ::serde::de::Visitor<'de> for WireVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " name"))
                    }

                    fn visit_str<E: ::serde::de::Error>(
                        self,
                        value: &str,
                    ) -> ::core::result::Result<$name, E> {
                        value
                            .parse()
                            .map_err(|_| E::unknown_variant(value, $name::WIRE_NAMES))
                    }
                }

                deserializer.deserialize_str(WireVisitor)
            }
        }
    };
}
