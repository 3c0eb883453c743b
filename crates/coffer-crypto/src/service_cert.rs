//! Service certificates signed by the operator's CA: requests, and checks of what comes back.
//!
//! `get_csrs` makes a key and a CSR per service (the API's "main" domain and the UI's "assets"
//! domain); `install_certs` takes the signed chains and, before anything is installed, checks
//! each one: leaf first, every certificate issued by the next, the leaf's key is the request's,
//! it names the service's domain, it is valid now, and it is not a wildcard.

use rcgen::string::Ia5String;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256, SanType,
};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::error::{CryptoError, Result};
use crate::node_cert::NodeCsr;
use crate::secret::Secret;

/// Makes a key and a CSR. `subject` is a simple domain (`dsm.example.com`, then the common name)
/// or a distinguished name (`CN=dsm.example.com,O=Example,L=Mountain View,ST=California,C=US`);
/// `names` are the DNS names to request as SANs (the domain should be among them).
///
/// # Errors
/// [`CryptoError::InvalidInput`] for a malformed subject or name.
pub fn service_csr(subject: &str, names: &[String]) -> Result<NodeCsr> {
    let key =
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|_| CryptoError::OperationFailed)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(subject)?;
    for name in names {
        let dns = Ia5String::try_from(name.as_str())
            .map_err(|_| CryptoError::invalid_input(format!("invalid DNS name {name:?}")))?;
        params.subject_alt_names.push(SanType::DnsName(dns));
    }
    let csr = params
        .serialize_request(&key)
        .map_err(|_| CryptoError::OperationFailed)?;
    let csr_pem = csr.pem().map_err(|_| CryptoError::OperationFailed)?;
    Ok(NodeCsr {
        csr_pem,
        key_pem: Secret::new(key.serialize_pem().into_bytes()),
    })
}

/// The common name of a subject given as a simple domain or a DN.
pub fn subject_common_name(subject: &str) -> Option<String> {
    if !subject.contains('=') {
        return Some(subject.trim().to_owned());
    }
    dn_parts(subject)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("CN"))
        .map(|(_, v)| v)
}

/// What a checked chain holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// DNS names of the leaf (SANs, or the common name when it has none).
    pub names: Vec<String>,
    /// The leaf's SubjectPublicKeyInfo, DER.
    pub leaf_spki: Vec<u8>,
    /// Certificates in the chain.
    pub length: usize,
    /// Leaf expiry, Unix seconds.
    pub not_after: i64,
}

/// Checks a PEM chain (leaf first): order (each certificate issued by the next, by name and
/// signature), validity at `now` (Unix seconds), no wildcard names. Returns what the caller
/// still has to compare (names, key).
///
/// # Errors
/// [`CryptoError::InvalidInput`] with a sentence saying what is wrong.
pub fn check_chain(chain_pem: &str, now: i64) -> Result<ChainReport> {
    let blocks = pem::parse_many(chain_pem)
        .map_err(|_| CryptoError::invalid_input("the chain is not PEM"))?;
    let ders: Vec<Vec<u8>> = blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.contents().to_vec())
        .collect();
    if ders.is_empty() {
        return Err(CryptoError::invalid_input("the chain holds no certificate"));
    }
    let mut certs = Vec::with_capacity(ders.len());
    for (i, der) in ders.iter().enumerate() {
        let (_, cert) = X509Certificate::from_der(der).map_err(|_| {
            CryptoError::invalid_input(format!("certificate {} of the chain does not parse", i + 1))
        })?;
        certs.push(cert);
    }
    for (i, cert) in certs.iter().enumerate() {
        let validity = cert.validity();
        if validity.not_before.timestamp() > now || validity.not_after.timestamp() < now {
            return Err(CryptoError::invalid_input(format!(
                "certificate {} ({}) is not valid now: valid from {} to {}",
                i + 1,
                cert.subject(),
                validity.not_before,
                validity.not_after
            )));
        }
        if let Some(issuer) = certs.get(i + 1) {
            if cert.issuer() != issuer.subject() {
                return Err(CryptoError::invalid_input(format!(
                    "the chain is out of order: certificate {} ({}) is not issued by certificate {} ({}); paste the leaf first, then each issuer",
                    i + 1,
                    cert.subject(),
                    i + 2,
                    issuer.subject()
                )));
            }
            cert.verify_signature(Some(issuer.public_key()))
                .map_err(|_| {
                    CryptoError::invalid_input(format!(
                        "certificate {}'s signature does not verify with certificate {}'s key",
                        i + 1,
                        i + 2
                    ))
                })?;
        }
    }
    let leaf = &certs[0];
    if leaf.is_ca() {
        return Err(CryptoError::invalid_input(
            "the first certificate is a CA certificate; paste the leaf (server) certificate first",
        ));
    }
    let mut names: Vec<String> = leaf
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(name) => Some((*name).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty()
        && let Some(cn) = leaf
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
    {
        names.push(cn.to_owned());
    }
    if let Some(wild) = names.iter().find(|n| n.contains('*')) {
        return Err(CryptoError::invalid_input(format!(
            "wildcard (catch-all) certificates are not accepted: the certificate names {wild}"
        )));
    }
    Ok(ChainReport {
        names,
        leaf_spki: leaf.public_key().raw.to_vec(),
        length: certs.len(),
        not_after: leaf.validity().not_after.timestamp(),
    })
}

/// The SubjectPublicKeyInfo of a PKCS#8 PEM private key (to compare with a leaf certificate).
///
/// # Errors
/// [`CryptoError::InvalidKey`] when the key does not parse.
pub fn key_spki(key_pem: &Secret) -> Result<Vec<u8>> {
    let pem =
        core::str::from_utf8(key_pem.expose()).map_err(|_| CryptoError::invalid_key("not PEM"))?;
    let key =
        KeyPair::from_pem(pem).map_err(|_| CryptoError::invalid_key("not a PKCS#8 private key"))?;
    Ok(rcgen::PublicKeyData::subject_public_key_info(&key))
}

fn distinguished_name(subject: &str) -> Result<DistinguishedName> {
    let mut dn = DistinguishedName::new();
    if !subject.contains('=') {
        let name = subject.trim();
        if name.is_empty() {
            return Err(CryptoError::invalid_input("the domain is empty"));
        }
        dn.push(DnType::CommonName, name);
        return Ok(dn);
    }
    let parts = dn_parts(subject);
    if parts.is_empty() {
        return Err(CryptoError::invalid_input(format!(
            "{subject:?} is not a distinguished name"
        )));
    }
    for (key, value) in parts {
        let kind = match key.to_ascii_uppercase().as_str() {
            "CN" => DnType::CommonName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "L" => DnType::LocalityName,
            "ST" => DnType::StateOrProvinceName,
            "C" => DnType::CountryName,
            other => {
                return Err(CryptoError::invalid_input(format!(
                    "unknown attribute {other} in the distinguished name (use CN, O, OU, L, ST, C)"
                )));
            }
        };
        dn.push(kind, value);
    }
    Ok(dn)
}

/// `CN=a,O=b` or `CN=a O=b L=Mountain View` (the guide's spacing) into pairs.
fn dn_parts(subject: &str) -> Vec<(String, String)> {
    let mut parts: Vec<(String, String)> = Vec::new();
    // Split on commas, then on " KEY=" boundaries, so values may contain spaces.
    for chunk in subject.split(',') {
        let mut rest = chunk.trim();
        while !rest.is_empty() {
            let Some(eq) = rest.find('=') else { break };
            let key = rest[..eq].trim().to_owned();
            let after = &rest[eq + 1..];
            let next = after.match_indices(' ').map(|(i, _)| i).find(|&i| {
                after[i + 1..].split_once('=').is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic())
                })
            });
            let (value, tail) = match next {
                Some(i) => (&after[..i], &after[i + 1..]),
                None => (after, ""),
            };
            parts.push((key, value.trim().to_owned()));
            rest = tail.trim();
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguished_names_parse_with_commas_or_spaces() {
        assert_eq!(
            dn_parts("CN=dsm.example.com O=Fortanix L=Mountain View ST=California"),
            vec![
                ("CN".into(), "dsm.example.com".into()),
                ("O".into(), "Fortanix".into()),
                ("L".into(), "Mountain View".into()),
                ("ST".into(), "California".into())
            ]
        );
        assert_eq!(
            subject_common_name("CN=a.example,O=x"),
            Some("a.example".into())
        );
        assert_eq!(subject_common_name("a.example"), Some("a.example".into()));
    }

    #[test]
    fn a_csr_can_be_made_for_a_simple_name_or_a_dn() {
        assert!(service_csr("dsm.example.com", &["dsm.example.com".into()]).is_ok());
        assert!(service_csr("CN=dsm.example.com O=Example", &["dsm.example.com".into()]).is_ok());
        assert!(service_csr("XX=bad", &[]).is_err());
    }

    #[test]
    fn a_chain_from_the_bootstrap_ca_checks_and_reports_its_names() {
        let ca = crate::tls::bootstrap_ca("test").unwrap();
        let leaf = crate::tls::issue_server_cert(&ca, &["a.example".into()], &[]).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let report = check_chain(&leaf.cert_chain_pem, now).unwrap();
        assert_eq!(report.names, vec!["a.example".to_owned()]);
        assert_eq!(report.length, 2);
        assert_eq!(report.leaf_spki, key_spki(&leaf.key_pem).unwrap());
        // Reversed order is refused with a reason.
        let blocks: Vec<&str> = leaf
            .cert_chain_pem
            .split_inclusive("-----END CERTIFICATE-----\n")
            .collect();
        let reversed = format!("{}{}", blocks[1], blocks[0]);
        let error = check_chain(&reversed, now).unwrap_err().to_string();
        assert!(error.contains("leaf") || error.contains("order"), "{error}");
        // Expired (as seen from far in the future).
        assert!(check_chain(&leaf.cert_chain_pem, now + 20 * 365 * 86400).is_err());
    }

    #[test]
    fn wildcard_certificates_are_refused() {
        let ca = crate::tls::bootstrap_ca("test").unwrap();
        let leaf = crate::tls::issue_server_cert(&ca, &["*.example.com".into()], &[]).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(
            check_chain(&leaf.cert_chain_pem, now)
                .unwrap_err()
                .to_string()
                .contains("wildcard")
        );
    }
}
