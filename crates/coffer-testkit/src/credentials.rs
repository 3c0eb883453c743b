//! The contents of `DIR/dev-credentials.json`.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use serde::Deserialize;

/// What a development server writes to `DIR/dev-credentials.json` once it serves requests.
///
/// A restart on the same directory keeps every credential and changes only `url` and `pid`.
#[derive(Clone, Deserialize)]
pub struct DevCredentials {
    /// Base URL of the API, `https://127.0.0.1:PORT`.
    pub url: String,
    /// The dev app's API key: base64 of `app_id:secret`.
    pub api_key: String,
    /// Login of the first sysadmin.
    pub sysadmin_email: String,
    /// Password of the first sysadmin.
    pub sysadmin_password: String,
    /// The dev account.
    pub account_id: String,
    /// The dev account's group, holding the dev app's keys.
    pub group_id: String,
    /// The dev app, member of `group_id` with every permission.
    pub app_id: String,
    /// PEM of the CA that issued the server certificate (valid for `localhost` and `127.0.0.1`).
    pub ca_cert_pem: String,
    /// Process id of the server that wrote the file.
    pub pid: u32,
}

impl DevCredentials {
    /// Reads and parses `DIR/dev-credentials.json`.
    pub fn read(data_dir: &Path) -> anyhow::Result<Self> {
        let path = Self::path(data_dir);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Where a server keeps its credentials file in `data_dir`.
    pub fn path(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("dev-credentials.json")
    }

    /// The app secret inside [`api_key`](Self::api_key).
    pub fn app_secret(&self) -> anyhow::Result<String> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(self.api_key.trim())
            .context("api_key is not standard base64")?;
        let text = String::from_utf8(decoded).context("api_key does not decode to UTF-8")?;
        let (app_id, secret) = text
            .split_once(':')
            .context("api_key does not decode to app_id:secret")?;
        anyhow::ensure!(
            app_id == self.app_id,
            "api_key names app {app_id}, not {}",
            self.app_id
        );
        Ok(secret.to_owned())
    }

    /// The `Authorization` header value an app sends with its API key.
    pub fn basic_auth(&self) -> String {
        format!("Basic {}", self.api_key)
    }
}

impl fmt::Debug for DevCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevCredentials")
            .field("url", &self.url)
            .field("api_key", &"<redacted>")
            .field("sysadmin_email", &self.sysadmin_email)
            .field("sysadmin_password", &"<redacted>")
            .field("account_id", &self.account_id)
            .field("group_id", &self.group_id)
            .field("app_id", &self.app_id)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}
