//! `useLogFilter` (R-LOG-2), as the guide words it: the request lines of health checks
//! (`GET /sys/v1/health`, `HEAD /sys/v1/health`, `HEAD /`) are held until the response; when the
//! check succeeds neither its request nor its response line is written, when it fails both are.
//! Addresses that have made nothing but health checks lose their connection lines too, until
//! they make any other request. Read from the live settings for every request and connection,
//! so a `deploy` applies at once.

use axum::http::Method;
use coffer_node::settings::LiveSettings;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// Addresses profiled at most; past this the profile starts over (connection lines of
/// health-only checkers come back until they are profiled again).
const MAX_PROFILED: usize = 10_000;

/// The filter, shared by the listener (connection lines) and the request middleware.
pub(crate) struct LogFilter {
    settings: LiveSettings,
    /// True for an address that made only health checks so far.
    health_only: Mutex<HashMap<IpAddr, bool>>,
}

impl LogFilter {
    /// A filter following `settings`.
    pub(crate) fn new(settings: LiveSettings) -> Self {
        Self {
            settings,
            health_only: Mutex::new(HashMap::new()),
        }
    }

    /// True while `useLogFilter` is on.
    pub(crate) fn on(&self) -> bool {
        self.settings
            .current()
            .config
            .as_ref()
            .is_some_and(|config| config.use_log_filter)
    }

    /// True for the requests the guide calls health checks.
    pub(crate) fn is_health_check(method: &Method, path: &str) -> bool {
        (path == "/sys/v1/health" && (method == Method::GET || method == Method::HEAD))
            || (path == "/" && method == Method::HEAD)
    }

    /// True when the connection line of a new connection from `client` is to be written.
    pub(crate) fn logs_connection(&self, client: IpAddr) -> bool {
        !self.on() || !self.lock().get(&client).copied().unwrap_or(false)
    }

    /// Records what `client` asked for (call it while the filter is on).
    pub(crate) fn saw(&self, client: IpAddr, health_check: bool) {
        let mut profiles = self.lock();
        if profiles.len() >= MAX_PROFILED && !profiles.contains_key(&client) {
            profiles.clear();
        }
        let only = profiles.entry(client).or_insert(true);
        *only = *only && health_check;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, bool>> {
        self.health_only
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
