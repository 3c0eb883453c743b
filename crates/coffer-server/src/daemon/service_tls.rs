//! Which certificate the API listener presents: chosen per connection by SNI, and swapped live
//! when `install_certs` installs new ones (R-TLS-2…5).
//!
//! Before certificates are installed every name gets the node's bootstrap certificate (issued
//! by the cluster CA for the node's name and address; `status` warns about it). Afterwards the
//! main domain and its SANs get the main certificate, the UI domain and its SANs the UI one
//! (and connections there reach the UI service), and anything else — no SNI, an IP address,
//! an unknown name — the main certificate.

use crate::http::listener::{ChooseConfig, Service};
use crate::node::Node;
use rustls::ServerConfig;
use std::sync::{Arc, RwLock};

use super::certs::{MAIN_KEY_OWNER, UI_KEY_OWNER};

/// The current choice, swapped as a whole.
struct Choice {
    bootstrap: Arc<ServerConfig>,
    installed: Option<Installed>,
}

struct Installed {
    /// The chains served, to notice a new installation (two can happen within a second).
    chains: (String, String),
    main: Arc<ServerConfig>,
    ui_names: Vec<String>,
    ui: Arc<ServerConfig>,
}

/// The API listener's certificate chooser.
pub(crate) struct ServiceTls {
    choice: RwLock<Arc<Choice>>,
}

impl ServiceTls {
    /// Starts with the bootstrap configuration only.
    pub(crate) fn new(bootstrap: Arc<ServerConfig>) -> Self {
        Self {
            choice: RwLock::new(Arc::new(Choice {
                bootstrap,
                installed: None,
            })),
        }
    }

    /// Loads newly installed certificates from the replicated state, if any changed.
    pub(crate) fn refresh(&self, node: &Node) {
        let installed = node
            .cluster
            .state()
            .read()
            .cluster()
            .and_then(|c| c.tls.installed.clone());
        let Some(installed) = installed else { return };
        let current = self.current();
        let chains = (installed.main.chain_pem.clone(), installed.ui.chain_pem.clone());
        if current.installed.as_ref().is_some_and(|i| i.chains == chains)
        {
            return;
        }
        let build = |owner,
                     service: &coffer_core::ServiceCertificate|
         -> anyhow::Result<Arc<ServerConfig>> {
            let key = node
                .unseal(owner, &service.key)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::tls::api_server_config(&service.chain_pem, &key)
        };
        match (
            build(MAIN_KEY_OWNER, &installed.main),
            build(UI_KEY_OWNER, &installed.ui),
        ) {
            (Ok(main), Ok(ui)) => {
                let next = Choice {
                    bootstrap: current.bootstrap.clone(),
                    installed: Some(Installed {
                        chains,
                        main,
                        ui_names: lower(&installed.ui.names),
                        ui,
                    }),
                };
                if let Ok(mut choice) = self.choice.write() {
                    *choice = Arc::new(next);
                }
                tracing::info!(
                    main = installed.main.domain,
                    ui = installed.ui.domain,
                    "serving the installed certificates"
                );
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "installed certificates could not be loaded; still serving the previous ones"
                );
            }
        }
    }

    fn current(&self) -> Arc<Choice> {
        match self.choice.read() {
            Ok(choice) => choice.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl ChooseConfig for ServiceTls {
    fn choose(&self, server_name: Option<&str>) -> (Arc<ServerConfig>, Service) {
        let choice = self.current();
        let Some(installed) = &choice.installed else {
            return (choice.bootstrap.clone(), Service::Api);
        };
        let name = server_name.map(str::to_ascii_lowercase);
        match name {
            Some(name) if installed.ui_names.contains(&name) => (installed.ui.clone(), Service::Ui),
            _ => (installed.main.clone(), Service::Api),
        }
    }
}

fn lower(names: &[String]) -> Vec<String> {
    names.iter().map(|n| n.to_ascii_lowercase()).collect()
}
