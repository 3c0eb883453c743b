//! Cluster node certificates from certificate signing requests.
//!
//! A joining node makes its own key and sends only a CSR: its private key never leaves it. The
//! cluster signs the request with the cluster CA after checking that it names exactly the node
//! (its name as DNS SAN and common name, its cluster address as IP SAN). The subject and SANs of
//! the issued certificate are taken from what the cluster expects, not from the request.

use std::net::IpAddr;

use rcgen::string::Ia5String;
use rcgen::{
    CertificateParams, CertificateSigningRequestParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    SanType,
};

use crate::error::{CryptoError, Result};
use crate::secret::Secret;
use crate::tls::{CaBundle, NODE_CERT_VALIDITY_DAYS, validity_params};

/// A certificate signing request and the private key it was made for.
#[derive(Clone, Debug)]
pub struct NodeCsr {
    /// The request, PEM.
    pub csr_pem: String,
    /// The private key, PKCS#8 PEM; stays on the node.
    pub key_pem: Secret,
}

/// Makes a key and a CSR for node `name` at `ip`.
///
/// # Errors
/// [`CryptoError::InvalidInput`] for a name that is not a valid DNS name.
pub fn node_csr(name: &str, ip: IpAddr) -> Result<NodeCsr> {
    let key =
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|_| CryptoError::OperationFailed)?;
    // A request carries only the names; usages and constraints are the signer's decision.
    let mut params = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, name);
    params.distinguished_name = subject;
    params.subject_alt_names = vec![SanType::DnsName(dns(name)?), SanType::IpAddress(ip)];
    let csr = params
        .serialize_request(&key)
        .map_err(|_| CryptoError::OperationFailed)?;
    let csr_pem = csr.pem().map_err(|_| CryptoError::OperationFailed)?;
    Ok(NodeCsr {
        csr_pem,
        key_pem: Secret::new(key.serialize_pem().into_bytes()),
    })
}

/// Signs a node's CSR with the cluster CA, for node `name` at `ip`. The request's signature is
/// verified (proving the requester holds the key); its names must be exactly `name` and `ip`.
/// Returns the certificate chain PEM (leaf, then CA).
///
/// # Errors
/// [`CryptoError::InvalidInput`] when the CSR does not parse, its signature is wrong, or it names
/// anything else; [`CryptoError::InvalidKey`] when the CA does not parse.
pub fn sign_node_csr(ca: &CaBundle, csr_pem: &str, name: &str, ip: IpAddr) -> Result<String> {
    let request = CertificateSigningRequestParams::from_pem(csr_pem).map_err(|_| {
        CryptoError::invalid_input(
            "the certificate signing request does not parse or its signature is wrong",
        )
    })?;
    let expected = [SanType::DnsName(dns(name)?), SanType::IpAddress(ip)];
    let named = &request.params.subject_alt_names;
    if named.len() != expected.len() || !expected.iter().all(|san| named.contains(san)) {
        return Err(CryptoError::invalid_input(format!(
            "the certificate signing request must name exactly {name} and {ip}"
        )));
    }
    let ca_key = core::str::from_utf8(ca.key_pem.expose())
        .ok()
        .and_then(|pem| KeyPair::from_pem(pem).ok())
        .ok_or_else(|| CryptoError::invalid_key("the CA key is not a PKCS#8 PEM private key"))?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, ca_key)
        .map_err(|_| CryptoError::invalid_key("the CA certificate does not parse"))?;
    let params = node_params(name, ip, validity_params(NODE_CERT_VALIDITY_DAYS)?)?;
    let signing = CertificateSigningRequestParams {
        params,
        public_key: request.public_key,
    };
    let cert = signing
        .signed_by(&issuer)
        .map_err(|_| CryptoError::OperationFailed)?;
    let mut chain = cert.pem();
    if !chain.ends_with('\n') {
        chain.push('\n');
    }
    chain.push_str(&ca.cert_pem);
    Ok(chain)
}

fn dns(name: &str) -> Result<Ia5String> {
    Ia5String::try_from(name)
        .map_err(|_| CryptoError::invalid_input(format!("invalid node name {name:?}")))
}

fn node_params(name: &str, ip: IpAddr, mut params: CertificateParams) -> Result<CertificateParams> {
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, name);
    params.distinguished_name = subject;
    params.subject_alt_names = vec![SanType::DnsName(dns(name)?), SanType::IpAddress(ip)];
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::bootstrap_ca;

    #[test]
    fn a_signed_csr_chains_to_the_ca_and_names_the_node() {
        let ca = bootstrap_ca("test cluster").unwrap();
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let csr = node_csr("node2", ip).unwrap();
        let chain = sign_node_csr(&ca, &csr.csr_pem, "node2", ip).unwrap();
        assert!(chain.ends_with(&ca.cert_pem));
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
    }

    #[test]
    fn a_node_certificate_lives_as_long_as_the_ca() {
        let ca = bootstrap_ca("test cluster").unwrap();
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let csr = node_csr("node2", ip).unwrap();
        let chain = sign_node_csr(&ca, &csr.csr_pem, "node2", ip).unwrap();
        let blocks = pem::parse_many(&chain).unwrap();
        let leaf = crate::certificate_summary(blocks[0].contents()).unwrap();
        let root = crate::certificate_summary(blocks[1].contents()).unwrap();
        let day = 86_400;
        assert!(
            leaf.not_after >= root.not_after - day,
            "the node certificate ends {} days before the CA",
            (root.not_after - leaf.not_after) / day
        );
    }

    #[test]
    fn a_csr_naming_another_node_is_refused() {
        let ca = bootstrap_ca("test cluster").unwrap();
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let csr = node_csr("node2", ip).unwrap();
        assert!(sign_node_csr(&ca, &csr.csr_pem, "node3", ip).is_err());
        assert!(sign_node_csr(&ca, &csr.csr_pem, "node2", "127.0.0.3".parse().unwrap()).is_err());
        assert!(sign_node_csr(&ca, "garbage", "node2", ip).is_err());
    }
}
