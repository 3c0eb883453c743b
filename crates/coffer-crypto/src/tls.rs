//! Bootstrap TLS certificates: a private CA and the server certificates it issues.
//!
//! All keys are ECDSA P-256 and all signatures ECDSA-SHA-256. The CA is valid for
//! [`CA_VALIDITY_DAYS`], server certificates for [`SERVER_CERT_VALIDITY_DAYS`]; both start an
//! hour in the past to tolerate clock skew. Output is PEM, ready for rustls: private keys are
//! PKCS#8 (`-----BEGIN PRIVATE KEY-----`).

use std::net::IpAddr;

use rcgen::string::Ia5String;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::error::{CryptoError, Result};
use crate::random;
use crate::secret::Secret;

/// Lifetime of a bootstrap CA certificate.
pub const CA_VALIDITY_DAYS: i64 = 3650;
/// Lifetime of a server certificate.
pub const SERVER_CERT_VALIDITY_DAYS: i64 = 365;
/// Lifetime of a node certificate: as long as the cluster CA. Members are admitted by the key
/// their membership record pins, and removing a node is what revokes it, so an expiry would
/// add no protection — only an outage, a year after creation, on a cluster nobody renewed.
pub const NODE_CERT_VALIDITY_DAYS: i64 = CA_VALIDITY_DAYS;

/// A self-signed CA certificate and its private key.
#[derive(Clone, Debug)]
pub struct CaBundle {
    /// The CA certificate, PEM.
    pub cert_pem: String,
    /// The CA private key, PKCS#8 PEM.
    pub key_pem: Secret,
}

/// A server certificate chain and its private key.
#[derive(Clone, Debug)]
pub struct ServerCert {
    /// The leaf certificate followed by the CA certificate, PEM.
    pub cert_chain_pem: String,
    /// The leaf private key, PKCS#8 PEM.
    pub key_pem: Secret,
}

fn failed(_: rcgen::Error) -> CryptoError {
    CryptoError::OperationFailed
}

fn new_params(common_name: &str, days: i64) -> Result<CertificateParams> {
    let mut params = validity_params(days)?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    Ok(params)
}

/// Parameters with only the validity window and a fresh serial number set.
pub(crate) fn validity_params(days: i64) -> Result<CertificateParams> {
    let mut params = CertificateParams::default();
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
    // A positive, full-length 128-bit serial number.
    let mut serial: [u8; 16] = random::random_array()?;
    serial[0] = (serial[0] & 0x7f) | 0x40;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    Ok(params)
}

fn new_key() -> Result<KeyPair> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(failed)
}

fn key_pem(key: &KeyPair) -> Secret {
    Secret::new(key.serialize_pem().into_bytes())
}

/// Creates a self-signed CA (path length 0: it issues leaf certificates only).
///
/// # Errors
/// [`CryptoError::OperationFailed`] or [`CryptoError::RandomFailed`] if key generation or
/// signing fails.
pub fn bootstrap_ca(common_name: &str) -> Result<CaBundle> {
    let key = new_key()?;
    let mut params = new_params(common_name, CA_VALIDITY_DAYS)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok(CaBundle {
        cert_pem: cert.pem(),
        key_pem: key_pem(&key),
    })
}

/// Issues a server certificate signed by `ca` for the given names and addresses.
///
/// The subject common name is the first DNS name (or, without one, the first address). The
/// certificate allows both server and client authentication, so cluster peers can use it for
/// mutual TLS.
///
/// # Errors
/// [`CryptoError::InvalidInput`] if there are no names or addresses or a name is not ASCII;
/// [`CryptoError::InvalidKey`] if `ca` does not parse.
pub fn issue_server_cert(
    ca: &CaBundle,
    dns_names: &[String],
    ip_addrs: &[IpAddr],
) -> Result<ServerCert> {
    let common_name = match (dns_names.first(), ip_addrs.first()) {
        (Some(name), _) => name.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => {
            return Err(CryptoError::invalid_input(
                "a server certificate needs at least one DNS name or IP address",
            ));
        }
    };
    let ca_key_pem = core::str::from_utf8(ca.key_pem.expose())
        .map_err(|_| CryptoError::invalid_key("the CA key is not PEM"))?;
    let ca_key = KeyPair::from_pem(ca_key_pem)
        .map_err(|_| CryptoError::invalid_key("the CA key is not a PKCS#8 PEM private key"))?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, ca_key)
        .map_err(|_| CryptoError::invalid_key("the CA certificate does not parse"))?;

    let mut params = new_params(&common_name, SERVER_CERT_VALIDITY_DAYS)?;
    for name in dns_names {
        let name = Ia5String::try_from(name.as_str())
            .map_err(|_| CryptoError::invalid_input(format!("invalid DNS name {name:?}")))?;
        params.subject_alt_names.push(SanType::DnsName(name));
    }
    params
        .subject_alt_names
        .extend(ip_addrs.iter().copied().map(SanType::IpAddress));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;

    let key = new_key()?;
    let cert = params.signed_by(&key, &issuer).map_err(failed)?;
    let mut cert_chain_pem = cert.pem();
    if !cert_chain_pem.ends_with('\n') {
        cert_chain_pem.push('\n');
    }
    cert_chain_pem.push_str(&ca.cert_pem);
    Ok(ServerCert {
        cert_chain_pem,
        key_pem: key_pem(&key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_holds_the_leaf_then_the_ca() {
        let ca = bootstrap_ca("Coffer test CA").unwrap();
        let names = ["kms.example.com".to_owned()];
        let server = issue_server_cert(&ca, &names, &["127.0.0.1".parse().unwrap()]).unwrap();
        let count = server
            .cert_chain_pem
            .matches("-----BEGIN CERTIFICATE-----")
            .count();
        assert_eq!(count, 2);
        assert!(server.cert_chain_pem.ends_with(&ca.cert_pem));
        let key = core::str::from_utf8(server.key_pem.expose()).unwrap();
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn a_certificate_needs_a_name() {
        let ca = bootstrap_ca("Coffer test CA").unwrap();
        assert!(matches!(
            issue_server_cert(&ca, &[], &[]),
            Err(CryptoError::InvalidInput(_))
        ));
    }

    #[test]
    fn non_ascii_names_are_refused() {
        let ca = bootstrap_ca("Coffer test CA").unwrap();
        let err = issue_server_cert(&ca, &["bücher.example".to_owned()], &[]);
        assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
    }

    #[test]
    fn a_broken_ca_key_is_reported() {
        let mut ca = bootstrap_ca("Coffer test CA").unwrap();
        ca.key_pem = Secret::from_slice(b"not a key");
        let err = issue_server_cert(&ca, &["a.example".to_owned()], &[]);
        assert!(matches!(err, Err(CryptoError::InvalidKey(_))));
    }
}
