//! Small parsers for the network values `config.yaml` holds.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::Problem;

/// A CIDR whose address is its network address (`10.244.0.0/16`, not `10.244.1.2/16`).
pub(crate) fn parse_cidr(s: &str) -> Result<IpNet, Problem> {
    let net: IpNet = s.parse().map_err(|_| Problem::NotACidr)?;
    if net.trunc() == net {
        Ok(net)
    } else {
        Err(Problem::HostBitsSet {
            network: net.trunc(),
        })
    }
}

/// Whether two CIDRs share any address. CIDR blocks are either nested or disjoint.
pub(crate) fn overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(b) || b.contains(a)
}

/// A DNS host name: dot-separated labels of letters, digits, `-` and `_`, 1-63 characters each,
/// not starting or ending with `-`, at most 253 characters, last label not all digits (so a
/// mistyped IPv4 address is not taken for a name). One trailing dot is allowed.
pub(crate) fn is_host_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels_ok = s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let last_numeric = s
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    labels_ok && !last_numeric
}

/// A port number 1-65535 written in decimal.
pub(crate) fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().filter(|p| *p != 0)
}

/// An IP address or a host name.
pub(crate) fn is_ip_or_host(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok() || is_host_name(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        assert!(parse_cidr("10.244.0.0/16").is_ok());
        assert!(parse_cidr("fd00::/8").is_ok());
        assert_eq!(parse_cidr("10.244.0.0/33"), Err(Problem::NotACidr));
        assert_eq!(parse_cidr("10.244.0.0"), Err(Problem::NotACidr));
        assert_eq!(
            parse_cidr("10.244.1.0/16"),
            Err(Problem::HostBitsSet {
                network: "10.244.0.0/16".parse().unwrap()
            })
        );
        let a = "10.96.0.0/12".parse().unwrap();
        assert!(overlap(&a, &"10.100.0.0/16".parse().unwrap()));
        assert!(!overlap(&a, &"10.244.0.0/16".parse().unwrap()));
        assert!(!overlap(&a, &"fd00::/8".parse().unwrap()));
    }

    #[test]
    fn host_names() {
        for ok in [
            "example.com",
            "a",
            "proxy-1.corp.local",
            "x_y.z",
            "example.com.",
        ] {
            assert!(is_host_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a.com",
            "a-.com",
            "a..b",
            "a b",
            "10.0.0.256",
            "*.example.com",
            "a/b",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }

    #[test]
    fn ports() {
        assert_eq!(parse_port("514"), Some(514));
        assert_eq!(parse_port("65535"), Some(65535));
        for bad in ["0", "65536", "", "-1", "+5", "5a"] {
            assert_eq!(parse_port(bad), None, "{bad}");
        }
    }
}
