//! The node's one way out (R-OUT-1): every outbound HTTP(S) call goes through [`Outbound`],
//! whose proxy decision is `global.proxy` as `coffer-config` matches it (the exclude list:
//! suffix match on names, CIDRs for IP literals, optional port, internal names always
//! excluded, no DNS), read from the live settings for every request.

use coffer_admin::{AdminError, OutboundChecked};
use coffer_node::Node;
use coffer_node::settings::LiveSettings;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one outbound call may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The outbound HTTP client.
pub(crate) struct Outbound {
    client: reqwest::Client,
    settings: LiveSettings,
}

impl Outbound {
    /// A client following the proxy settings of `settings`.
    pub(crate) fn new(settings: LiveSettings) -> anyhow::Result<Self> {
        let decide = settings.clone();
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .proxy(reqwest::Proxy::custom(move |url| {
                proxy_for(&decide, url).map(|(full, _)| full)
            }))
            .build()?;
        Ok(Self { client, settings })
    }

    /// GETs `url`; the answer's status, and the proxy it went through (redacted).
    pub(crate) async fn get(&self, url: &str) -> anyhow::Result<(u16, Option<String>)> {
        let parsed = reqwest::Url::parse(url)?;
        let via = proxy_for(&self.settings, &parsed).map(|(_, redacted)| redacted);
        let route = match &via {
            Some(proxy) => format!("through the proxy {proxy}"),
            None => "directly".to_owned(),
        };
        let response = self
            .client
            .get(parsed)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{route}: {e}"))?;
        Ok((response.status().as_u16(), via))
    }
}

/// The proxy (full URL, redacted URL) a call to `url` goes through, if any.
fn proxy_for(settings: &LiveSettings, url: &reqwest::Url) -> Option<(String, String)> {
    let current = settings.current();
    let proxy = current.config.as_ref()?.proxy.as_ref()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = url.port_or_known_default()?;
    proxy.applies_to(host, port).then(|| {
        (
            proxy.url.as_str().to_owned(),
            proxy.url.redacted().to_owned(),
        )
    })
}

/// `check-outbound URL`: fetches `url` as any outbound call would go.
pub(crate) async fn check(node: Arc<Node>, url: String) -> Result<OutboundChecked, AdminError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(AdminError::new(
            format!("{url:?} is not an http:// or https:// URL"),
            None,
        ));
    }
    let outbound = Outbound::new(node.settings.clone())
        .map_err(|e| AdminError::new(format!("making the outbound client: {e:#}"), None))?;
    let started = Instant::now();
    let (status, via) = outbound.get(&url).await.map_err(|e| {
        AdminError::new(
            format!("fetching {url}: {e:#}"),
            Some("check global.proxy with `sdkms-cluster config show`"),
        )
    })?;
    Ok(OutboundChecked {
        url,
        via,
        status,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}
