//! `GET /sys/v1/version` (dsm-api.md §2). Health (`GET /sys/v1/health`) has no body.

use serde::{Deserialize, Serialize};

wire_enum! {
    /// How the service runs (`server_mode`).
    pub enum ServerMode {
        /// Plain software (Coffer).
        Software = "Software",
        /// Inside SGX enclaves.
        Sgx = "Sgx",
    }
}

/// `GET /sys/v1/version` → `{"version","api_version","server_mode","fips_level"?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionResponse {
    /// Server version, `major.minor.build`.
    pub version: String,
    /// API version implemented, e.g. `1.0`.
    pub api_version: String,
    /// `Software` for Coffer.
    pub server_mode: ServerMode,
    /// FIPS level; present only in FIPS mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fips_level: Option<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_level_is_omitted_when_absent() {
        let response = VersionResponse {
            version: "1.0.25".into(),
            api_version: "1.0".into(),
            server_mode: ServerMode::Software,
            fips_level: None,
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"version":"1.0.25","api_version":"1.0","server_mode":"Software"}"#
        );
    }
}
