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
