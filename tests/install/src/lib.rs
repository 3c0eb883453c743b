//! Installer tests.
