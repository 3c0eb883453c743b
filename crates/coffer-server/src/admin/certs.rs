//! `get_csrs` and `install_certs`: the API (main) and UI (assets) certificates.
//!
//! `get_csrs` makes a key and a CSR for each service and keeps both keys sealed under the
//! cluster master key in replicated state, so every node can serve the certificates once they
//! are installed; it also creates the first sysadmin. `install_certs` checks each signed chain
//! and installs it; every node swaps its TLS configuration live, without a restart, and the old
//! certificates keep serving until then. `--rotate` on both commands replaces installed
//! certificates; using it on one and not the other is refused.
//!
//! A mutual-TLS interface (`get_csrs --mtls-san NAME`, guide §5.5: "add an additional interface
//! as SAN Name on the main certificate") is one more name on the main certificate; connections
//! for it are asked for a client certificate, with which apps authenticate (R-TLS-4). On
//! `--rotate` the installed interfaces stay as long as they are still among the main SANs.

use coffer_admin::{AdminError, CertsInstalled, CsrsCreated};
use coffer_core::{
    CertificateRequest, Command, InstalledCertificates, PendingCertificates, ServiceCertificate,
};
use coffer_node::vault::Purpose;
use coffer_node::{Node, now};
use std::sync::Arc;

/// What `get_csrs` was asked.
pub(crate) struct CsrRequest {
    pub(crate) main_domain: String,
    pub(crate) main_sans: Vec<String>,
    pub(crate) mtls_sans: Vec<String>,
    pub(crate) ui_domain: String,
    pub(crate) ui_sans: Vec<String>,
    pub(crate) cluster_name: String,
    pub(crate) sysadmin_email: String,
    pub(crate) sysadmin_password: String,
    pub(crate) rotate: bool,
}

/// Makes both requests (and the first sysadmin).
pub(crate) async fn get_csrs(
    node: Arc<Node>,
    request: CsrRequest,
) -> Result<CsrsCreated, AdminError> {
    let main_cn = coffer_crypto::subject_common_name(&request.main_domain)
        .filter(|cn| !cn.is_empty())
        .ok_or_else(|| AdminError::new("the main domain needs a common name (CN=…)", None))?;
    let ui_cn = coffer_crypto::subject_common_name(&request.ui_domain)
        .filter(|cn| !cn.is_empty())
        .ok_or_else(|| AdminError::new("the UI domain needs a common name (CN=…)", None))?;
    if main_cn.eq_ignore_ascii_case(&ui_cn) {
        return Err(AdminError::new(
            "the main (API) and UI (assets) domains must differ: they are separate services with separate certificates",
            None,
        ));
    }
    if request.cluster_name.trim().is_empty() {
        return Err(AdminError::new("the cluster name is empty", None));
    }
    let installed_mtls = node
        .cluster
        .state()
        .read()
        .cluster()
        .and_then(|c| c.tls.installed.as_ref().map(|i| i.mtls_names.clone()))
        .unwrap_or_default();
    let mtls_names = mtls_names(&main_cn, &request, &installed_mtls)?;
    let main_sans: Vec<String> = request
        .main_sans
        .iter()
        .chain(&mtls_names)
        .cloned()
        .collect();
    let main_names = names(&main_cn, &main_sans)?;
    let ui_names = names(&ui_cn, &request.ui_sans)?;
    if let Some(shared) = main_names.iter().find(|n| ui_names.contains(n)) {
        return Err(AdminError::new(
            format!(
                "{shared} is requested for both services; each name may belong to one service only"
            ),
            None,
        ));
    }
    let installed = node
        .cluster
        .state()
        .read()
        .cluster()
        .is_some_and(|c| c.tls.installed.is_some());
    match (request.rotate, installed) {
        (true, false) => {
            return Err(AdminError::new(
                "--rotate replaces installed certificates, and none are installed yet",
                Some("run get_csrs without --rotate"),
            ));
        }
        (false, true) => {
            return Err(AdminError::new(
                "certificates are already installed",
                Some("to replace them run `get_csrs --rotate`, then `install_certs --rotate`"),
            ));
        }
        _ => {}
    }
    let sysadmin_created =
        ensure_sysadmin(&node, &request.sysadmin_email, &request.sysadmin_password).await?;
    let failed =
        |what: &str, e: coffer_crypto::CryptoError| AdminError::new(format!("{what}: {e}"), None);
    let main = coffer_crypto::service_csr(&request.main_domain, &main_names)
        .map_err(|e| failed("the main domain", e))?;
    let ui = coffer_crypto::service_csr(&request.ui_domain, &ui_names)
        .map_err(|e| failed("the UI domain", e))?;
    let seal = |owner, key: &coffer_crypto::Secret| {
        node.seal(owner, key.expose())
            .map_err(|e| AdminError::new(e.to_string(), None))
    };
    let pending = PendingCertificates {
        rotate: request.rotate,
        cluster_name: request.cluster_name.trim().to_owned(),
        main: CertificateRequest {
            domain: main_cn,
            names: main_names,
            csr_pem: main.csr_pem.clone(),
            key: seal(Purpose::MainTlsKey, &main.key_pem)?,
        },
        ui: CertificateRequest {
            domain: ui_cn,
            names: ui_names,
            csr_pem: ui.csr_pem.clone(),
            key: seal(Purpose::UiTlsKey, &ui.key_pem)?,
        },
        created_at: now(),
        mtls_names,
    };
    node.propose(Command::SetPendingCertificates(pending))
        .await
        .map_err(|e| AdminError::new(format!("could not store the requests: {e}"), None))?;
    tracing::info!(
        rotate = request.rotate,
        mtls = ?request.mtls_sans,
        "certificate requests created"
    );
    Ok(CsrsCreated {
        cluster_csr_pem: main.csr_pem,
        ui_csr_pem: ui.csr_pem,
        sysadmin_created,
    })
}

/// Checks and installs the signed chains.
pub(crate) async fn install_certs(
    node: Arc<Node>,
    main_chain: String,
    ui_chain: String,
    rotate: bool,
) -> Result<CertsInstalled, AdminError> {
    let pending = node
        .cluster
        .state()
        .read()
        .cluster()
        .and_then(|c| c.tls.pending.clone())
        .ok_or_else(|| {
            AdminError::new(
                "no certificate requests are pending",
                Some("run get_csrs first"),
            )
        })?;
    if pending.rotate != rotate {
        let (asked, given) = if pending.rotate {
            ("with", "without")
        } else {
            ("without", "with")
        };
        return Err(AdminError::new(
            format!(
                "get_csrs was run {asked} --rotate, so install_certs must be too (it was run {given} it)"
            ),
            Some(if pending.rotate {
                "run `install_certs --rotate`"
            } else {
                "run `install_certs` without --rotate"
            }),
        ));
    }
    let now = coffer_node::now().0 as i64;
    if same_leaf(&main_chain, &ui_chain) {
        return Err(AdminError::new(
            "one certificate for both the main and the UI domain is not accepted: each service needs its own certificate",
            None,
        ));
    }
    let main = check_service(
        &node,
        "Main (Cluster)",
        &main_chain,
        &pending.main,
        Purpose::MainTlsKey,
        now,
    )?;
    let ui = check_service(
        &node,
        "Assets (UI)",
        &ui_chain,
        &pending.ui,
        Purpose::UiTlsKey,
        now,
    )?;
    if let Some(missing) = pending
        .mtls_names
        .iter()
        .find(|name| !main.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
    {
        return Err(AdminError::new(
            format!(
                "Main (Cluster) certificate: it does not name the mutual-TLS interface {missing} \
                 (it names {})",
                main.names.join(", ")
            ),
            Some(
                "have the CA sign every name the Cluster request asks for, or run get_csrs \
                 again without that interface",
            ),
        ));
    }
    if main.leaf_spki == ui.leaf_spki || main.names.iter().any(|n| ui.names.contains(n)) {
        return Err(AdminError::new(
            "one certificate for both the main and the UI domain is not accepted: each service needs its own certificate",
            None,
        ));
    }
    let installed = InstalledCertificates {
        main: ServiceCertificate {
            domain: pending.main.domain.clone(),
            names: main.names.clone(),
            chain_pem: main_chain,
            key: pending.main.key.clone(),
        },
        ui: ServiceCertificate {
            domain: pending.ui.domain.clone(),
            names: ui.names.clone(),
            chain_pem: ui_chain,
            key: pending.ui.key.clone(),
        },
        installed_at: coffer_node::now(),
        mtls_names: pending.mtls_names.clone(),
    };
    node.propose(Command::InstallCertificates(installed))
        .await
        .map_err(|e| AdminError::new(format!("could not install the certificates: {e}"), None))?;
    tracing::info!("service certificates installed");
    Ok(CertsInstalled {
        main_names: main.names,
        ui_names: ui.names,
        main_not_after: main.not_after,
        ui_not_after: ui.not_after,
    })
}

fn check_service(
    node: &Node,
    service: &str,
    chain_pem: &str,
    request: &CertificateRequest,
    owner: Purpose<'_>,
    now: i64,
) -> Result<coffer_crypto::ChainReport, AdminError> {
    let report = coffer_crypto::check_chain(chain_pem, now)
        .map_err(|e| AdminError::new(format!("{service} certificate: {e}"), None))?;
    let key = node
        .unseal(owner, &request.key)
        .map_err(|e| AdminError::new(e.to_string(), None))?;
    let spki = coffer_crypto::key_spki(&key).map_err(|e| AdminError::new(e.to_string(), None))?;
    if report.leaf_spki != spki {
        return Err(AdminError::new(
            format!(
                "{service} certificate: its key is not the key of the request made by get_csrs"
            ),
            Some("sign the request printed by the latest get_csrs"),
        ));
    }
    if !report
        .names
        .iter()
        .any(|n| n.eq_ignore_ascii_case(&request.domain))
    {
        return Err(AdminError::new(
            format!(
                "{service} certificate: it does not name {} (it names {})",
                request.domain,
                report.names.join(", ")
            ),
            None,
        ));
    }
    Ok(report)
}

/// True when both chains start with the same certificate.
fn same_leaf(a: &str, b: &str) -> bool {
    let first = |chain: &str| {
        chain
            .split("-----END CERTIFICATE-----")
            .next()
            .map(|c| c.split_whitespace().collect::<String>())
    };
    first(a).is_some_and(|leaf| !leaf.is_empty() && Some(leaf) == first(b))
}

/// The mutual-TLS interface names of a request: those asked for, and on `--rotate` the installed
/// ones still among the main SANs. Each must differ from the main domain, whose connections are
/// not asked for client certificates.
fn mtls_names(
    main_cn: &str,
    request: &CsrRequest,
    installed: &[String],
) -> Result<Vec<String>, AdminError> {
    let kept = installed.iter().filter(|name| {
        request.rotate
            && request
                .main_sans
                .iter()
                .any(|san| san.trim().eq_ignore_ascii_case(name))
    });
    let mut chosen: Vec<String> = Vec::new();
    for name in request.mtls_sans.iter().chain(kept).map(|n| n.trim()) {
        if name.is_empty() || chosen.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            continue;
        }
        if name.eq_ignore_ascii_case(main_cn) {
            return Err(AdminError::new(
                format!(
                    "the mutual-TLS interface needs a name of its own, not the main domain {main_cn}"
                ),
                Some("give the interface a name of its own with --mtls-san"),
            ));
        }
        chosen.push(name.to_owned());
    }
    Ok(chosen)
}

fn names(common_name: &str, sans: &[String]) -> Result<Vec<String>, AdminError> {
    let mut names = vec![common_name.to_owned()];
    for san in sans.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if san.contains('*') {
            return Err(AdminError::new(
                format!("wildcard names are not accepted: {san}"),
                None,
            ));
        }
        if !names.iter().any(|n| n.eq_ignore_ascii_case(san)) {
            names.push(san.to_owned());
        }
    }
    if common_name.contains('*') {
        return Err(AdminError::new(
            format!("wildcard names are not accepted: {common_name}"),
            None,
        ));
    }
    Ok(names)
}

/// Creates the first sysadmin, unless one exists; true when created.
async fn ensure_sysadmin(node: &Node, email: &str, password: &str) -> Result<bool, AdminError> {
    if node.cluster.state().read().users().any(|u| u.sysadmin) {
        return Ok(false);
    }
    coffer_node::membership::add_sysadmin(node, email, password).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(rotate: bool, main_sans: &[&str], mtls_sans: &[&str]) -> CsrRequest {
        let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        CsrRequest {
            main_domain: "dsm.example.com".into(),
            main_sans: owned(main_sans),
            mtls_sans: owned(mtls_sans),
            ui_domain: "ui.example.com".into(),
            ui_sans: Vec::new(),
            cluster_name: "c".into(),
            sysadmin_email: "a@example.com".into(),
            sysadmin_password: String::new(),
            rotate,
        }
    }

    #[test]
    fn mutual_tls_interfaces_are_the_ones_asked_for_and_on_rotation_the_installed_ones_still_requested()
     {
        let installed = ["mtls.example.com".to_owned()];
        let chosen = |r: &CsrRequest| mtls_names("dsm.example.com", r, &installed).ok();
        assert_eq!(
            chosen(&request(
                false,
                &[],
                &[" apps.example.com ", "APPS.example.com", ""]
            )),
            Some(vec!["apps.example.com".to_owned()])
        );
        assert_eq!(
            chosen(&request(false, &["mtls.example.com"], &[])),
            Some(vec![]),
            "only a rotation keeps installed interfaces"
        );
        assert_eq!(
            chosen(&request(true, &["MTLS.example.com"], &[])),
            Some(vec!["mtls.example.com".to_owned()])
        );
        assert_eq!(
            chosen(&request(true, &["api.example.com"], &[])),
            Some(vec![]),
            "an interface left out of the SANs is dropped"
        );
        assert_eq!(chosen(&request(false, &[], &["DSM.example.com"])), None);
    }
}
