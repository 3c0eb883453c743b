//! Use cases: what the HTTP handlers call. Each module owns one area.

pub(crate) mod access;
pub(crate) mod accounts;
pub(crate) mod app_admin;
pub(crate) mod apps;
pub(crate) mod audit_query;
pub(crate) mod convert;
pub(crate) mod crypto;
pub(crate) mod groups;
pub(crate) mod passwords;
pub(crate) mod sobjects;
pub(crate) mod users;
