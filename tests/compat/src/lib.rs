//! Compatibility tests with the official Fortanix DSM Rust client (`sdkms` 0.5).
//!
//! The integration tests in `tests/` start a real development server each (through
//! `coffer-testkit`) and drive it over TLS with the unmodified `sdkms` crate, plus raw HTTPS for
//! what that client cannot express. This library is their shared support:
//!
//! - [`clients`]: `SdkmsClient`s that trust the dev CA (API key, app session, sysadmin, …).
//! - [`expect`]: turning client errors and raw responses into asserted status codes.
//! - [`data`]: unique names, random bytes, base64 and hex.
//! - [`keys`]: request builders for the key types the tests use.
//! - [`der`]: just enough DER reading to check exported key formats.
//! - [`raw`]: hand-made requests with the usual headers.
//! - [`wire`]: checks of the exact JSON wire formats (dates, ids, base64, objects).
//!
//! One test file per area: `health_session`, `admin`, `sobjects`, `crypto`, `audit`,
//! `bad_input`, `persistence`, `logs`. Each test opens its phases with `eprintln!("--- …")`.

pub mod clients;
pub mod data;
pub mod der;
pub mod expect;
pub mod keys;
pub mod raw;
pub mod wire;

pub use coffer_testkit::{CofferServer, DevCredentials, RawResponse};
pub use sdkms;
