//! Reading single X.509 certificates (apps' client certificates).

use crate::digest::DigestAlgorithm;
use crate::error::{CryptoError, Result};
use x509_parser::prelude::{FromDer, X509Certificate};

/// What Coffer keeps of a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertificateSummary {
    /// SHA-256 of the DER encoding.
    pub fingerprint: [u8; 32],
    /// The start of its validity, in seconds since the epoch.
    pub not_before: i64,
    /// The end of its validity, in seconds since the epoch.
    pub not_after: i64,
}

/// Parses one DER certificate with nothing after it. The error's reason says what is wrong.
pub fn certificate_summary(der: &[u8]) -> Result<CertificateSummary> {
    let (rest, certificate) =
        X509Certificate::from_der(der).map_err(|e| CryptoError::invalid_input(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CryptoError::invalid_input(format!(
            "{} bytes follow the certificate",
            rest.len()
        )));
    }
    let validity = certificate.validity();
    let (not_before, not_after) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    let fingerprint = DigestAlgorithm::Sha256
        .digest(der)
        .try_into()
        .map_err(|_| CryptoError::OperationFailed)?;
    Ok(CertificateSummary {
        fingerprint,
        not_before,
        not_after,
    })
}

/// The identity of a certificate's key: SHA-256 of its DER SubjectPublicKeyInfo. Two
/// certificates for the same key have the same id, whoever issued them; a certificate for any
/// other key has another.
pub fn certificate_key_id(der: &[u8]) -> Result<[u8; 32]> {
    let (_, certificate) =
        X509Certificate::from_der(der).map_err(|e| CryptoError::invalid_input(e.to_string()))?;
    DigestAlgorithm::Sha256
        .digest(certificate.public_key().raw)
        .try_into()
        .map_err(|_| CryptoError::OperationFailed)
}

/// [`certificate_key_id`] of the first certificate (the leaf) of a PEM chain.
pub fn chain_key_id(chain_pem: &str) -> Result<[u8; 32]> {
    let blocks = pem::parse_many(chain_pem)
        .map_err(|_| CryptoError::invalid_input("the chain is not PEM"))?;
    let leaf = blocks
        .iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .ok_or_else(|| CryptoError::invalid_input("the chain holds no certificate"))?;
    certificate_key_id(leaf.contents())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{bootstrap_ca, issue_server_cert};

    #[test]
    fn a_key_id_names_the_key_not_the_certificate() {
        let ca = bootstrap_ca("test CA").unwrap();
        let leaf = issue_server_cert(&ca, &["a.example".into()], &[]).unwrap();
        let other = issue_server_cert(&ca, &["a.example".into()], &[]).unwrap();
        let id = chain_key_id(&leaf.cert_chain_pem).unwrap();
        assert_eq!(id, chain_key_id(&leaf.cert_chain_pem).unwrap());
        assert_ne!(id, chain_key_id(&other.cert_chain_pem).unwrap());
        let spki = crate::key_spki(&leaf.key_pem).unwrap();
        let expected: [u8; 32] = DigestAlgorithm::Sha256.digest(&spki).try_into().unwrap();
        assert_eq!(id, expected);
        assert!(chain_key_id("not pem").is_err());
    }
}
