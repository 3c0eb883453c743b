//! Sockets and TLS: the API listener (TLS, the client address, the certificate chooser that
//! serves installed certificates) and the TLS configurations of both ports.

pub(crate) mod listener;
pub(crate) mod log_filter;
pub(crate) mod outbound;
pub(crate) mod proxy_header;
pub(crate) mod service_tls;
pub(crate) mod tls;
